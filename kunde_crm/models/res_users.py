from odoo import fields, models
from odoo.tools import SQL


class ResUsers(models.Model):
    _inherit = "res.users"

    # The team lists the case record rules and the "My Queue" filter read. They
    # are plain id lists, so the rules' SQL is ``team_id IN (…)`` instead of a
    # subquery on the teams: PostgreSQL can then use the queue index and scan
    # the whole case table in parallel. The rules are cached per user by
    # ir.rule; kunde.team clears that cache when membership or privacy change.
    kunde_member_team_ids = fields.Many2many(
        "kunde.team",
        string="Customer Service Teams",
        compute="_compute_kunde_member_team_ids",
        compute_sudo=True,
        groups="base.group_user",
        context={"active_test": False},
        help="The teams (archived ones included) this user is a member of.",
    )
    kunde_hidden_team_ids = fields.Many2many(
        "kunde.team",
        string="Hidden Customer Service Teams",
        compute="_compute_kunde_hidden_team_ids",
        compute_sudo=True,
        groups="base.group_user",
        context={"active_test": False},
        help="The members-only teams this user is not a member of.",
    )

    def _compute_kunde_member_team_ids(self):
        # Straight from the membership table: this runs on every My Queue
        # request, and archived teams count as well.
        Team = self.env["kunde.team"].with_context(active_test=False)
        table = Team._fields["member_ids"]
        Team.flush_model(["member_ids"])
        self.env.cr.execute(
            SQL(
                "SELECT %s, array_agg(%s) FROM %s WHERE %s = ANY(%s) GROUP BY 1",
                SQL.identifier(table.column2),
                SQL.identifier(table.column1),
                SQL.identifier(table.relation),
                SQL.identifier(table.column2),
                self._origin.ids,
            )
        )
        teams = dict(self.env.cr.fetchall())
        for user in self:
            user.kunde_member_team_ids = Team.browse(teams.get(user._origin.id, []))

    def _compute_kunde_hidden_team_ids(self):
        Team = self.env["kunde.team"].with_context(active_test=False)
        private = Team.search([("privacy", "=", "members")])
        for user in self:
            user.kunde_hidden_team_ids = private - user.kunde_member_team_ids

    def _is_agent_for_cases(self):
        """An agent (or manager): may write to customers and answers count for
        the service level."""
        self.ensure_one()
        return self.has_group("kunde_crm.kunde_crm_group_agent")
