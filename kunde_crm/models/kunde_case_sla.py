"""kunde.case service levels: SLA policy, working-hour deadlines, status, cron."""

from odoo import api, fields, models
from odoo.tools import SQL

from .kunde_case_constants import SLA_AT_RISK_SHARE


class KundeCase(models.Model):
    _inherit = "kunde.case"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    sla_policy_id = fields.Many2one(
        "kunde.sla.policy",
        string="SLA Policy",
        compute="_compute_sla_policy_id",
        store=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The most specific active policy for the case's team, category and "
        "priority.",
    )
    sla_first_response_deadline = fields.Datetime(
        string="First Response Deadline",
        compute="_compute_sla_deadlines",
        store=True,
        help="The customer must get a first answer by then (working hours of the "
        "policy's calendar, paused time added).",
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolution Deadline",
        compute="_compute_sla_deadlines",
        store=True,
        help="The case must be closed by then (working hours of the policy's "
        "calendar, paused time added).",
    )
    sla_deadline = fields.Datetime(
        string="Next SLA Deadline",
        compute="_compute_sla_deadlines",
        store=True,
        index=True,
        help="The earliest deadline the case has not met yet.",
    )
    sla_at_risk_date = fields.Datetime(
        string="SLA At Risk From",
        compute="_compute_sla_deadlines",
        store=True,
        index=True,
        help=f"From then on less than {SLA_AT_RISK_SHARE:.0%} of the allowed time is "
        "left.",
    )
    sla_status = fields.Selection(
        [
            ("on_track", "On Track"),
            ("at_risk", "At Risk"),
            ("breached", "Breached"),
            ("met", "Met"),
        ],
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index=True,
    )
    sla_reached_date = fields.Datetime(
        string="SLA Met On",
        compute="_compute_sla_kept",
        store=True,
        help="When the case was closed within its deadlines.",
    )
    sla_kept = fields.Float(
        string="SLA Kept (%)",
        compute="_compute_sla_kept",
        store=True,
        aggregator="avg",
        help="100 when the SLA was met, 0 when it was breached. Its average in "
        "reports is the share of cases that kept their SLA, among those whose "
        "outcome is known.",
    )
    sla_pause_start = fields.Datetime(
        string="SLA Paused Since",
        compute="_compute_sla_pause",
        store=True,
        help="The case waits in a pause stage (or is closed): the clock stopped "
        "then.",
    )
    sla_paused_hours = fields.Float(
        string="SLA Paused Hours",
        compute="_compute_sla_pause",
        store=True,
        help="Working hours spent in pause stages, added to the resolution "
        "deadline.",
    )
    sla_response_paused_hours = fields.Float(
        string="SLA Paused Hours Before First Response",
        compute="_compute_sla_pause",
        store=True,
        help="Working hours spent in pause stages before the first response, "
        "added to the first response deadline.",
    )

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("team_id", "category_id", "priority", "company_id")
    def _compute_sla_policy_id(self):
        policies = self.env["kunde.sla.policy"].search(
            [("company_id", "in", [False, *self.company_id.ids])]
        )
        for case in self:
            case.sla_policy_id = policies._best_for(case)

    @api.depends("stage_id", "is_closed", "date_closed", "sla_policy_id")
    def _compute_sla_pause(self):
        """Stop the clock in the policy's pause stages and while closed.

        When the pause ends, its working hours are added to the paused hours
        (and to those before the first response, for the part before it). The
        previous values are read from the database (``_origin``), as for the
        closing date.
        """
        now = fields.Datetime.now()
        for case in self:
            before = case._origin
            start = before.sla_pause_start
            paused_hours = before.sla_paused_hours
            response_hours = before.sla_response_paused_hours
            policy = case.sla_policy_id
            paused = bool(policy) and (
                case.is_closed or case.stage_id in policy.pause_stage_ids
            )
            if paused and not start:
                start = (case.is_closed and case.date_closed) or now
            elif start and not paused:
                calendar = policy.calendar_id or case.company_id.resource_calendar_id
                end = max(now, start)
                if calendar and end > start:
                    paused_hours += calendar.get_work_hours_count(start, end)
                    first = case.date_first_response
                    response_end = min(end, first) if first else end
                    if response_end > start:
                        response_hours += calendar.get_work_hours_count(
                            start, response_end
                        )
                start = False
            case.sla_pause_start = start
            case.sla_paused_hours = paused_hours
            case.sla_response_paused_hours = response_hours

    @api.depends(
        "sla_policy_id",
        "date_received",
        "sla_paused_hours",
        "sla_response_paused_hours",
        "date_first_response",
        "date_closed",
        "is_closed",
    )
    def _compute_sla_deadlines(self):
        """Deadlines in working hours of the policy's calendar (its leaves and
        public holidays excluded), pushed by the paused working hours."""
        used = 1 - SLA_AT_RISK_SHARE
        for case in self:
            policy = case.sla_policy_id
            calendar = policy.calendar_id or case.company_id.resource_calendar_id
            if not (policy and calendar and case.date_received):
                case.sla_first_response_deadline = False
                case.sla_resolution_deadline = False
                case.sla_deadline = case.sla_at_risk_date = False
                continue
            response = policy.first_response_hours
            resolution = policy.resolution_hours
            response_pause = case.sla_response_paused_hours
            pause = case.sla_paused_hours
            first, first_risk, last, last_risk = calendar._kunde_plan_hours(
                case.date_received,
                [
                    response + response_pause,
                    response * used + response_pause,
                    resolution + pause,
                    resolution * used + pause,
                ],
            )
            case.sla_first_response_deadline = first
            case.sla_resolution_deadline = last
            pending = []
            if not case._sla_first_reached():
                pending.append((first, first_risk))
            if not case.is_closed:
                pending.append((last, last_risk))
            case.sla_deadline = min((d for d, _r in pending if d), default=False)
            case.sla_at_risk_date = min((r for _d, r in pending if r), default=False)

    @api.depends(
        "sla_policy_id",
        "sla_first_response_deadline",
        "sla_resolution_deadline",
        "sla_deadline",
        "sla_at_risk_date",
        "sla_pause_start",
        "date_first_response",
        "date_closed",
        "is_closed",
    )
    def _compute_sla_status(self):
        """Status now; the scheduled action moves running cases on in time."""
        now = fields.Datetime.now()
        for case in self:
            first_deadline = case.sla_first_response_deadline
            last_deadline = case.sla_resolution_deadline
            if not (case.sla_policy_id and first_deadline and last_deadline):
                case.sla_status = False
                continue
            first = case._sla_first_reached()
            closed = case.is_closed and case.date_closed
            if (first and first > first_deadline) or (
                closed and closed > last_deadline
            ):
                case.sla_status = "breached"
            elif first and closed:
                case.sla_status = "met"
            else:
                # The clock stands still during a pause.
                clock = case.sla_pause_start or now
                if case.sla_deadline and clock > case.sla_deadline:
                    case.sla_status = "breached"
                elif case.sla_at_risk_date and clock >= case.sla_at_risk_date:
                    case.sla_status = "at_risk"
                else:
                    case.sla_status = "on_track"

    @api.depends("sla_status", "date_closed")
    def _compute_sla_kept(self):
        for case in self:
            met = case.sla_status == "met"
            case.sla_kept = 100.0 if met else 0.0
            case.sla_reached_date = case.date_closed if met else False

    def _sla_first_reached(self):
        """When the customer got a first answer; closing the case counts."""
        self.ensure_one()
        return self.date_first_response or (self.is_closed and self.date_closed)

    def _read_group_select(self, aggregate_spec, query):
        # "SLA Kept (%)" averages the cases whose outcome is known (met or
        # breached): cases still running do not count as 0.
        if aggregate_spec == "sla_kept:avg":
            return SQL(
                "AVG(CASE WHEN %s IN %s THEN %s END)",
                self._field_to_sql(self._table, "sla_status", query),
                ("met", "breached"),
                self._field_to_sql(self._table, "sla_kept", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------
    # Scheduled action and private helpers
    # ------------------------------------------------------------------
    def _sla_recompute(self):
        """Apply the SLA policies to these cases again (a policy changed)."""
        for fname in (
            "sla_policy_id",
            "sla_pause_start",
            "sla_first_response_deadline",
            "sla_status",
            "sla_kept",
        ):
            # every field the method computes, e.g. both deadlines
            for field in self.pool.field_computed[self._fields[fname]]:
                self.env.add_to_compute(field, self)

    @api.model
    def _cron_sla_update(self, batch_size=1000):
        """Every 5 minutes: running cases become "at risk" or "breached".

        A constant number of queries whatever the number of cases: two
        searches on the indexed deadlines, one write per new status, one batch
        of activities for the team leaders. The status is written before the
        activities, in the same transaction, so a case is never reported twice;
        Odoo runs one instance of a scheduled action at a time.
        """
        now = fields.Datetime.now()
        running = [("sla_pause_start", "=", False), ("is_closed", "=", False)]
        breach_domain = running + [
            ("sla_status", "in", ["on_track", "at_risk"]),
            ("sla_deadline", "<", now),
        ]
        risk_domain = running + [
            ("sla_status", "=", "on_track"),
            ("sla_at_risk_date", "<=", now),
            ("sla_deadline", ">=", now),
        ]
        to_breach = self.search(
            breach_domain, order="sla_deadline, id", limit=batch_size
        )
        to_risk = self.search(risk_domain, order="sla_deadline, id", limit=batch_size)
        cases = self.with_context(mail_notrack=True)
        if to_breach:
            cases.browse(to_breach.ids).write({"sla_status": "breached"})
        if to_risk:
            cases.browse(to_risk.ids).write({"sla_status": "at_risk"})
        to_breach._sla_notify_breach()
        remaining = 0
        if len(to_breach) == batch_size or len(to_risk) == batch_size:
            remaining = self.search_count(breach_domain) + self.search_count(
                risk_domain
            )
        self.env["ir.cron"]._notify_progress(
            done=len(to_breach) + len(to_risk), remaining=remaining
        )

    def _sla_notify_breach(self):
        """A to-do for the team leader on each breached case, in one batch."""
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for leader, cases in (
            self.filtered("team_id.user_id")
            .grouped(lambda case: case.team_id.user_id)
            .items()
        ):
            leader_env = self.with_context(lang=leader.lang, tz=leader.tz).env
            summary = leader_env._("SLA breached")
            today = fields.Date.context_today(self.with_env(leader_env))
            for case in cases:
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": case.id,
                        "activity_type_id": activity_type.id
                        if activity_type
                        else False,
                        "user_id": leader.id,
                        "summary": summary,
                        "note": leader_env._(
                            "%(case)s missed its service level deadline.",
                            case=case.display_name,
                        ),
                        "date_deadline": today,
                        "automated": True,
                    }
                )
        if vals_list:
            # No email per activity: the leader sees them in the activity menu.
            self.env["mail.activity"].sudo().with_context(
                mail_activity_quick_update=True
            ).create(vals_list)
