"""kunde.case queue: My Queue, Take and Take next, and the queue's indexes."""

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, sql


class KundeCase(models.Model):
    _inherit = "kunde.case"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    in_my_queue = fields.Boolean(
        compute="_compute_in_my_queue",
        search="_search_in_my_queue",
        help="Open and unassigned, in one of my teams.",
    )
    age = fields.Char(compute="_compute_age", help="Time since the case was received.")

    # ------------------------------------------------------------------
    # Compute and search
    # ------------------------------------------------------------------
    @api.depends("date_received")
    @api.depends_context("uid")
    def _compute_age(self):
        now = fields.Datetime.now()
        # Translated once per batch, not once per row (a list shows 80).
        in_minutes = _("%(minutes)s min")
        in_hours = _("%(hours)s h")
        in_days = _("%(days)s d")
        for case in self:
            if not case.date_received:
                case.age = False
                continue
            minutes = max(int((now - case.date_received).total_seconds() // 60), 0)
            if minutes < 60:
                case.age = in_minutes % {"minutes": minutes}
            elif minutes < 48 * 60:
                case.age = in_hours % {"hours": minutes // 60}
            else:
                case.age = in_days % {"days": minutes // (24 * 60)}

    @api.depends("is_closed", "user_id", "team_id")
    @api.depends_context("uid")
    def _compute_in_my_queue(self):
        teams = self.env.user.kunde_member_team_ids
        for case in self:
            case.in_my_queue = (
                not case.is_closed and not case.user_id and case.team_id in teams
            )

    def _search_in_my_queue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                _('"In My Queue" can only be filtered with "is set" or "is not set".')
            )
        # The team ids as a list, not a subquery: the queue index serves it.
        domain = self._queue_domain(self.env.user.kunde_member_team_ids)
        return (
            domain if (operator == "=") == value else ["!", *expression.AND([domain])]
        )

    # ------------------------------------------------------------------
    # Indexes
    # ------------------------------------------------------------------
    def init(self):
        result = super().init()
        # The queue: open, unassigned cases of a team, urgent first then oldest
        # first. The predicate is the one the ORM writes for the queue domain, and
        # the included columns are those the record rules test, so "My queue",
        # its count and take-next read the index alone (constant SQL, no input).
        for old_index in ("kunde_case_queue_idx", "kunde_case_open_queue_idx"):
            sql.drop_index(self.env.cr, old_index, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS kunde_case_queue_head_idx ON %s"
                " (team_id, priority DESC, date_received, id)"
                " INCLUDE (company_id, user_id)"
                " WHERE user_id IS NULL AND active"
                " AND (is_closed IS NULL OR is_closed = FALSE)",
                SQL.identifier(self._table),
            )
        )
        # The same queue in queue order across teams, for agents of several
        # teams: PostgreSQL reads it in order and stops after the page (or the
        # head, for take-next) instead of sorting every case of their teams.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS kunde_case_queue_order_idx ON %s"
                " (priority DESC, date_received, id)"
                " INCLUDE (team_id, company_id, user_id)"
                " WHERE user_id IS NULL AND active"
                " AND (is_closed IS NULL OR is_closed = FALSE)",
                SQL.identifier(self._table),
            )
        )
        # Unassigned cases are nearly all open: without this PostgreSQL takes
        # the two conditions as independent, expects a queue 20 times smaller
        # than it is, and prefers to sort it whole.
        self.env.cr.execute(
            "SELECT 1 FROM pg_statistic_ext WHERE stxname = 'kunde_case_queue_stats'"
        )
        if not self.env.cr.fetchone():
            self.env.cr.execute(
                SQL(
                    "CREATE STATISTICS kunde_case_queue_stats (mcv)"
                    " ON user_id, is_closed FROM %s",
                    SQL.identifier(self._table),
                )
            )
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(self._table)))
        # The few cases waiting for their acknowledgement (constant SQL).
        sql.create_index(
            self.env.cr,
            "kunde_case_ack_pending_idx",
            self._table,
            ["id"],
            where="ack_pending",
        )
        return result

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    @api.model
    def action_take_next(self, _selected_ids=None):
        """Give the first case of the caller's queue to the caller.

        Works on no particular record: over RPC it takes no ids,
        ``execute_kw(db, uid, pw, "kunde.case", "action_take_next", [])``; the
        button on My queue sends the selected rows' ids, which are ignored.

        The head of the queue is locked in PostgreSQL with ``FOR UPDATE SKIP
        LOCKED``: two agents (or two server workers) calling at the same moment
        lock different rows, so no case is handed out twice and none is skipped.
        The query is built by the ORM, so record rules (companies, private
        teams) apply.
        """
        user = self.env.user
        teams = self.env["kunde.team"].search([("member_ids", "in", user.id)])
        if not teams:
            raise UserError(
                _(
                    "You are not a member of any customer service team, so you have "
                    "no queue. Ask a manager to add you to a team."
                )
            )
        case_id = self._take_queue_head(teams)
        if not case_id:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": _("Your queue is empty"),
                    "message": _(
                        "There is no open, unassigned case in your teams right now."
                    ),
                    "type": "info",
                    "sticky": False,
                },
            }
        case = self.browse(case_id)
        case.invalidate_recordset()
        return case._action_open_form()

    @api.model
    def _take_queue_head(self, teams):
        """Lock and assign the head of the queue; return its id (or None).

        On a server this runs in a short transaction of its own at READ
        COMMITTED: there ``FOR UPDATE SKIP LOCKED`` re-checks a row that another
        worker has just taken instead of failing the whole request with a
        serialisation error (Odoo's requests run at REPEATABLE READ), so agents
        pressing at the same moment do not wait for retries. The assignment is
        committed with it. Under tests (their data is not committed, so another
        connection would not see it) it runs inline, in the caller's transaction.
        """
        if self.pool.in_test_mode() or tools.config["test_enable"]:
            return self._lock_and_assign(teams)
        with self.pool.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            env = self.env(cr=cr)
            return self.with_env(env)._lock_and_assign(teams.with_env(env))

    @api.model
    def _lock_and_assign(self, teams):
        query = self._search(self._queue_domain(teams), order=self._order, limit=1)
        # The lock returns the team and stage too, so that the assignment needs
        # no second read of the row. execute_query flushes the pending writes
        # the query depends on.
        rows = self.env.execute_query(
            SQL(
                "%s FOR UPDATE OF %s SKIP LOCKED",
                query.select(
                    self._field_to_sql(self._table, "id"),
                    self._field_to_sql(self._table, "team_id"),
                    self._field_to_sql(self._table, "stage_id"),
                ),
                SQL.identifier(self._table),
            )
        )
        if not rows:
            return None
        case_id, team_id, stage_id = rows[0]
        case = self.browse(case_id)
        # What the lock read is what write() would read again to move the stage.
        self.env.cache.update(case, self._fields["team_id"], [team_id])
        self.env.cache.update(case, self._fields["stage_id"], [stage_id])
        case.write({"user_id": self.env.user.id})
        self.env.flush_all()
        return case_id

    def action_take(self):
        """Take these cases (from the board or the list)."""
        self.write({"user_id": self.env.user.id})
        return True

    # ------------------------------------------------------------------
    # Private helpers
    # ------------------------------------------------------------------
    @api.model
    def _queue_domain(self, teams):
        return [
            ("is_closed", "=", False),
            ("user_id", "=", False),
            ("team_id", "in", teams.ids),
            ("company_id", "in", self.env.companies.ids),
        ]

    @api.model
    def _assignment_values(self, team, stage_id):
        """What assigning a case of ``team`` in stage ``stage_id``
        writes besides the agent: a case still in its team's first open stage
        moves on to the next one."""
        new_stage, progress_stage = self._open_stages_for(team)
        if progress_stage != new_stage and stage_id == new_stage.id:
            return {"stage_id": progress_stage.id}
        return {}
