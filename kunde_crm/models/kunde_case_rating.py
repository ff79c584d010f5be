"""kunde.case satisfaction (CSAT): the survey after close, the rating, its follow-up."""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, sql

from .kunde_case_constants import (
    DEFAULT_RATING_MIN_DAYS,
    RATING_FEEDBACK_MAX_CHARS,
    RATING_VALUES,
)
from .kunde_case_mail import AUTOMATIC_SENDERS

_logger = logging.getLogger(__name__)

# Written by rating_apply() and the survey job only, never by a client.
RATING_FIELDS = frozenset(
    {
        "csat_rating",
        "csat_satisfied",
        "csat_rated",
        "csat_feedback",
        "csat_rated_on",
        "rating_request_pending",
        "rating_requested_on",
        "rating_ids",
        "from_automatic_email",
    }
)


class KundeCase(models.Model):
    _inherit = "kunde.case"  # with rating.mixin (declared by kunde_case.py)

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    rating_request_pending = fields.Boolean(
        string="Satisfaction Survey Pending",
        copy=False,
        readonly=True,
        help="The case was closed: a scheduled action decides seconds later "
        "whether the customer gets the satisfaction survey, and sends it.",
    )
    rating_requested_on = fields.Datetime(
        string="Survey Sent On",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="When the customer was asked to rate the case (once per case).",
    )
    from_automatic_email = fields.Boolean(
        string="From Automatic Mail",
        copy=False,
        readonly=True,
        help="The case came from an automatic mail (auto-reply, bulk mail): no "
        "acknowledgement and no satisfaction survey.",
    )
    csat_rating = fields.Integer(
        string="Satisfaction",
        copy=False,
        readonly=True,
        aggregator="avg",
        groups="base.group_user",
        help="The customer's rating: 5 satisfied, 3 okay, 1 dissatisfied. Its "
        "average in reports counts rated cases only.",
    )
    csat_satisfied = fields.Float(
        string="Satisfied (%)",
        copy=False,
        readonly=True,
        aggregator="avg",
        groups="base.group_user",
        help="100 when the customer chose the happy face, 0 otherwise. Its "
        "average in reports is the share of 5s among rated cases.",
    )
    csat_rated = fields.Integer(
        string="Rated Cases",
        copy=False,
        readonly=True,
        aggregator="sum",
        groups="base.group_user",
        help="1 when the customer rated the case: its sum counts ratings.",
    )
    csat_feedback = fields.Text(
        string="Customer Comment",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    csat_rated_on = fields.Datetime(
        string="Rated On",
        copy=False,
        readonly=True,
        index="btree_not_null",
        groups="base.group_user",
    )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    def init(self):
        result = super().init()
        # The few closed cases waiting for the survey job (constant SQL).
        sql.create_index(
            self.env.cr,
            "kunde_case_rating_pending_idx",
            self._table,
            ["id"],
            where="rating_request_pending",
        )
        return result

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # The automatic-mail flag is the intake's (_customer_case_values).
            self._check_rating_write(
                dict.fromkeys(set(vals) - {"from_automatic_email"})
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_rating_write(vals)
        result = super().write(vals)
        if vals.get("stage_id"):
            self._rating_mark_pending(vals["stage_id"])
        return result

    def _check_rating_write(self, vals):
        """Ratings and survey state come from the customer's link and the
        survey job, never from a client (agents, managers, RPC)."""
        forbidden = RATING_FIELDS.intersection(vals)
        if forbidden and not self.env.su:
            raise AccessError(
                _(
                    "The customer's rating and the satisfaction survey cannot be "
                    "changed by hand (%(fields)s).",
                    fields=", ".join(sorted(forbidden)),
                )
            )

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        # A rating reaches a case through rating_apply() alone: a chatter post
        # carrying a rating (Odoo's rating_value) would forge one.
        if (kwargs.get("rating_value") or kwargs.get("rating_id")) and not (
            self._cursor_mark("kunde_rating_apply")
        ):
            raise AccessError(
                _("A case is rated by its customer, from the satisfaction survey.")
            )
        return super().message_post(**kwargs)

    # ------------------------------------------------------------------
    # Intake and close hooks
    # ------------------------------------------------------------------
    @api.model
    def _customer_case_values(self, vals, channel, automatic=False):
        values = super()._customer_case_values(vals, channel, automatic=automatic)
        if automatic:
            values["from_automatic_email"] = True
        return values

    def _rating_mark_pending(self, stage_id):
        """Closed: the survey job looks at the case after this transaction.

        Only the closing stage is read here (it is in the cache), so moving a
        case between open stages (take next) costs no query.
        """
        stage = self.env["kunde.case.stage"].browse(stage_id)
        if not stage.is_closed:
            return
        cases = self.sudo().filtered(
            lambda case: not case.rating_requested_on
            and not case.rating_request_pending
        )
        if cases:
            cases.write({"rating_request_pending": True})
            self._request_rating_survey()

    # ------------------------------------------------------------------
    # Scheduled action: the survey email
    # ------------------------------------------------------------------
    @api.model
    def _request_rating_survey(self):
        """Wake the survey job: it runs right after this transaction commits,
        so closing a case never waits for the email, nor fails with it."""
        self.env.ref("kunde_crm.ir_cron_kunde_rating_requests").sudo()._trigger()

    @api.model
    def _cron_send_rating_requests(self, batch_size=200):
        """Send the satisfaction survey for the cases closed since the last run.

        Each pending case is looked at once: it gets its survey, or it is
        skipped for good (see _rating_skip_reason); either way the flag is
        cleared in the same transaction. What is left wakes the job again.
        """
        Case = self.sudo().with_context(active_test=False)
        cases = Case.search(
            [("rating_request_pending", "=", True)], order="id", limit=batch_size
        )
        if not cases:
            return
        to_send = cases._rating_survey_recipients()
        cases.write({"rating_request_pending": False})
        if to_send:
            to_send.write({"rating_requested_on": fields.Datetime.now()})
            to_send._send_rating_survey()
        if len(cases) == batch_size:
            self._request_rating_survey()

    def _rating_survey_recipients(self):
        """The cases of this batch whose customer gets the survey."""
        now = fields.Datetime.now()
        addresses = set(self.partner_id.mapped("email_normalized")) - {False}
        last_sent = self._rating_last_survey_by_address(addresses)
        internal = self._rating_internal_partners()
        recipients = self.browse()
        for case in self:
            reason = case._rating_skip_reason(last_sent, internal, now)
            if reason:
                _logger.info(
                    "No satisfaction survey for %s: %s", case.reference, reason
                )
                continue
            last_sent[case.partner_id.email_normalized] = now
            recipients |= case
        return recipients

    def _rating_skip_reason(self, last_sent, internal, now):
        """Why this case's customer gets no survey (a log line), or None."""
        self.ensure_one()
        team = self.team_id
        address = self.partner_id.email_normalized
        if not self.is_closed:
            return "reopened before the survey was sent"
        if team and not team.rating_request:
            return "the team sends no surveys"
        if self.stage_id.rating_excluded or self.category_id.rating_excluded:
            return "closed as spam or duplicate (stage or category)"
        if self.from_automatic_email or self.sender_unverified:
            return "automatic or unverified sender"
        if not address or address.split("@")[0] in AUTOMATIC_SENDERS:
            return "no customer address"
        if self.partner_id in internal:
            return "internal case"
        days = team.rating_min_days if team else DEFAULT_RATING_MIN_DAYS
        if last_sent.get(address) and now - last_sent[address] < timedelta(days=days):
            return f"the customer got a survey within {days} days"
        return None

    @api.model
    def _rating_last_survey_by_address(self, addresses):
        """{address: last survey sent to it}, whichever contact had it."""
        if not addresses:
            return {}
        groups = (
            self.sudo()
            .with_context(active_test=False)
            ._read_group(
                [
                    ("partner_id.email_normalized", "in", sorted(addresses)),
                    ("rating_requested_on", "!=", False),
                ],
                ["partner_id"],
                ["rating_requested_on:max"],
            )
        )
        last = {}
        for partner, sent in groups:
            address = partner.email_normalized
            if not last.get(address) or sent > last[address]:
                last[address] = sent
        return last

    @api.model
    def _rating_internal_partners(self):
        """Contacts of our own: the companies and internal users. A case for
        one of them is internal and gets no survey."""
        companies = self.env["res.company"].sudo().search([])
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("share", "=", False)])
        )
        return companies.partner_id | users.partner_id

    def _send_rating_survey(self):
        """One email per case, in the customer's language, through the mail
        queue. The mail is linked to no document, so its links (the rating
        token) are not in the chatter for anyone to click; the chatter gets a
        line saying the survey went out."""
        template = self.env.ref("kunde_crm.mail_template_case_rating_request").sudo()
        headers = {
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        }
        template.send_mail_batch(
            self.ids,
            email_layout_xmlid="mail.mail_notification_light",
            email_values={"model": False, "res_id": False, "headers": repr(headers)},
        )
        for case in self:
            case._message_log(
                body=Markup("<p>%s</p>")
                % _(
                    "Satisfaction survey sent to %(email)s.",
                    email=case.partner_id.email_normalized,
                ),
            )
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    # ------------------------------------------------------------------
    # The rating itself
    # ------------------------------------------------------------------
    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        """Record the customer's rating: once, 1, 3 or 5, from the survey link.

        The only way a rating reaches a case (our page and Odoo's /rate routes
        both call it, as the system, after checking the token). A recorded
        rating is never overwritten: the rating row is locked, then checked.
        """
        self.ensure_one()
        if not self.env.su:
            raise AccessError(
                _("A case is rated by its customer, from the satisfaction survey.")
            )
        if rate not in RATING_VALUES:
            raise UserError(_("A rating is 1, 3 or 5 (received %(rate)s).", rate=rate))
        Rating = self.env["rating.rating"]
        if token:
            rating = Rating.search([("access_token", "=", token)], limit=1)
        if not rating or rating.res_model != self._name or rating.res_id != self.id:
            raise UserError(_("This satisfaction survey link is not valid."))
        self.env.cr.execute(
            SQL(
                "SELECT consumed FROM rating_rating WHERE id = %s FOR UPDATE",
                rating.id,
            )
        )
        if self.env.cr.fetchone()[0]:
            raise UserError(_("This case has already been rated. Thank you!"))
        feedback = (feedback or "").strip()[:RATING_FEEDBACK_MAX_CHARS]
        with self._mark_cursor("kunde_rating_apply", True):
            rating = super().rating_apply(
                rate,
                rating=rating,
                feedback=feedback,
                subtype_xmlid="kunde_crm.mt_case_rating",
            )
        self.write(
            {
                "csat_rating": rate,
                "csat_satisfied": 100.0 if rate == RATING_VALUES[-1] else 0.0,
                "csat_rated": 1,
                "csat_feedback": feedback or False,
                "csat_rated_on": fields.Datetime.now(),
            }
        )
        if rate == RATING_VALUES[0]:
            self._rating_follow_up_dissatisfied(feedback)
        return rating

    def _rating_follow_up_dissatisfied(self, feedback):
        """A dissatisfied customer: a to-do for the team leader (else the case's
        agent) and a note on the case."""
        self.ensure_one()
        body = Markup("<p>%s</p>") % _(
            "The customer is dissatisfied (1 of 5). Follow up with them."
        )
        if feedback:
            body += Markup("<blockquote>%s</blockquote>") % feedback
        self.message_post(
            body=body,
            author_id=self.env.ref("base.partner_root").id,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        responsible = self.team_id.user_id or self.user_id
        if not responsible:
            return
        leader_env = self.with_context(lang=responsible.lang, tz=responsible.tz).env
        # No email per activity: the responsible sees it in the activity menu.
        self.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=responsible.id,
            summary=leader_env._("Dissatisfied customer"),
            note=leader_env._(
                "%(case)s was rated 1 of 5 by the customer: call them back.",
                case=self.display_name,
            ),
            date_deadline=fields.Date.context_today(self.with_env(leader_env)),
        )

    def _rating_get_parent_field_name(self):
        return "team_id"

    def _rating_apply_get_default_subtype_id(self):
        return self.env["ir.model.data"]._xmlid_to_res_id("kunde_crm.mt_case_rating")

    # ------------------------------------------------------------------
    # Reports: averages over rated cases only
    # ------------------------------------------------------------------
    def _read_group_select(self, aggregate_spec, query):
        # (A 0 is not written over an empty column: COALESCE reads it as 0.)
        if aggregate_spec in ("csat_rating:avg", "csat_satisfied:avg"):
            fname = aggregate_spec.split(":")[0]
            return SQL(
                "AVG(CASE WHEN %s > 0 THEN COALESCE(%s, 0) END)",
                self._field_to_sql(self._table, "csat_rating", query),
                self._field_to_sql(self._table, fname, query),
            )
        return super()._read_group_select(aggregate_spec, query)
