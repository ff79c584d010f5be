from odoo import api, fields, models


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
        compute="_compute_kunde_team_lists",
        compute_sudo=True,
        context={"active_test": False},
        help="The teams (archived ones included) this user is a member of.",
    )
    kunde_hidden_team_ids = fields.Many2many(
        "kunde.team",
        string="Hidden Customer Service Teams",
        compute="_compute_kunde_team_lists",
        compute_sudo=True,
        context={"active_test": False},
        help="The members-only teams this user is not a member of.",
    )

    @api.depends_context("uid")
    def _compute_kunde_team_lists(self):
        Team = self.env["kunde.team"].with_context(active_test=False)
        member_groups = dict(
            Team._read_group(
                [("member_ids", "in", self.ids)], ["member_ids"], ["id:array_agg"]
            )
        )
        private = Team.search([("privacy", "=", "members")])
        for user in self:
            teams = Team.browse(member_groups.get(user._origin, []))
            user.kunde_member_team_ids = teams
            user.kunde_hidden_team_ids = private - teams
