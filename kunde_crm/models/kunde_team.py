import ast

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .kunde_case_constants import (
    ACKNOWLEDGEMENT_LIMIT,
    DEFAULT_RATING_MIN_DAYS,
    DEFAULT_REOPEN_DAYS,
)


class KundeTeam(models.Model):
    _name = "kunde.team"
    _description = "Customer Service Team"
    _inherit = ["mail.alias.mixin", "mail.thread", "rating.parent.mixin"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer(string="Color Index")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        tracking=True,
        check_company=True,
        domain=[("share", "=", False)],
    )
    member_ids = fields.Many2many(
        "res.users",
        "kunde_team_member_rel",
        "team_id",
        "user_id",
        string="Members",
        check_company=True,
        domain=[("share", "=", False)],
        help="Agents of this team: its open, unassigned cases form their queue.",
    )
    privacy = fields.Selection(
        [("company", "Everyone in the company"), ("members", "Members only")],
        string="Visibility",
        default="company",
        required=True,
        help="Who reads the team's cases. Members only: its members, and "
        "managers; other agents and read-only users do not see them.",
    )
    case_ids = fields.One2many("kunde.case", "team_id", string="Cases")
    send_acknowledgement = fields.Boolean(
        string="Acknowledge New Cases",
        default=True,
        help="Send the customer an email with the case reference when a case "
        "arrives by email or the portal. Never sent to automatic mail, and at most "
        f"{ACKNOWLEDGEMENT_LIMIT} times an hour to the same sender.",
    )
    reopen_days = fields.Integer(
        string="Reopen Window (days)",
        default=DEFAULT_REOPEN_DAYS,
        help="A customer reply to a case closed fewer days ago reopens it; a later "
        "reply opens a new case linked to the old one.",
    )
    rating_request = fields.Boolean(
        string="Satisfaction Survey",
        default=True,
        help="Ask the customer to rate the case (1, 3 or 5) by email when it is "
        "closed. Never for cases closed as spam or duplicate, internal cases, or "
        "automatic or unverified senders.",
    )
    rating_min_days = fields.Integer(
        string="Days Between Surveys",
        default=DEFAULT_RATING_MIN_DAYS,
        help="A customer who got a satisfaction survey fewer days ago gets none "
        "for the next closed case.",
    )
    open_case_count = fields.Integer(compute="_compute_case_counts")
    unassigned_case_count = fields.Integer(compute="_compute_case_counts")

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    def _compute_case_counts(self):
        groups = self.env["kunde.case"]._read_group(
            [("team_id", "in", self.ids), ("is_closed", "=", False)],
            ["team_id", "user_id"],
            ["__count"],
        )
        open_counts, unassigned_counts = {}, {}
        for team, user, count in groups:
            open_counts[team] = open_counts.get(team, 0) + count
            if not user:
                unassigned_counts[team] = unassigned_counts.get(team, 0) + count
        for team in self:
            team.open_case_count = open_counts.get(team, 0)
            team.unassigned_case_count = unassigned_counts.get(team, 0)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("reopen_days")
    def _check_reopen_days(self):
        if any(team.reopen_days < 0 for team in self):
            raise ValidationError(_("The reopen window cannot be negative."))

    @api.constrains("rating_min_days")
    def _check_rating_min_days(self):
        if any(team.rating_min_days < 0 for team in self):
            raise ValidationError(
                _("The number of days between surveys cannot be negative.")
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    # The case record rules hold each user's team ids (res.users
    # kunde_member_team_ids / kunde_hidden_team_ids) and ir.rule caches them per
    # user: a change of who is in a team, or of what a team hides, clears that
    # cache, in every worker (the registry signals it through the database).
    _rule_fields = {"member_ids", "privacy", "active", "company_id"}

    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        teams._clear_rule_cache()
        return teams

    def write(self, vals):
        result = super().write(vals)
        if self._rule_fields.intersection(vals):
            self._clear_rule_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self._clear_rule_cache()
        return result

    def _clear_rule_cache(self):
        self.env["res.users"].invalidate_model(
            ["kunde_member_team_ids", "kunde_hidden_team_ids"]
        )
        self.env.registry.clear_cache()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_has_cases(self):
        counts = self.env["kunde.case"]._usage_counts("team_id", self)
        used = self.filtered(lambda team: counts.get(team))
        if used:
            raise UserError(
                _(
                    "You cannot delete the team %(teams)s: it still has %(count)s "
                    "case(s). Move the cases to another team first, or archive the "
                    "team.",
                    teams=", ".join(used.mapped("name")),
                    count=sum(counts[team] for team in used),
                )
            )

    # ------------------------------------------------------------------
    # Mail alias: a message to the team's address becomes a case of the team
    # ------------------------------------------------------------------
    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get("kunde.case").id
        if self.id:
            values["alias_defaults"] = defaults = ast.literal_eval(
                self.alias_defaults or "{}"
            )
            defaults["team_id"] = self.id
        return values

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "kunde_crm.kunde_case_action"
        )
        action["domain"] = [("team_id", "=", self.id)]
        action["context"] = {
            "default_team_id": self.id,
            "search_default_filter_open": 1,
        }
        return action
