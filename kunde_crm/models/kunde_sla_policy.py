from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .kunde_case_constants import PRIORITIES

# Fields of a policy that change which cases it applies to, or their deadlines.
SLA_POLICY_FIELDS = {
    "active",
    "sequence",
    "team_id",
    "category_ids",
    "priority",
    "first_response_hours",
    "resolution_hours",
    "calendar_id",
    "pause_stage_ids",
    "company_id",
}


class KundeSlaPolicy(models.Model):
    _name = "kunde.sla.policy"
    _description = "Service Level Policy"
    _order = "sequence, id"
    _check_company_auto = True

    def _default_pause_stage_ids(self):
        return self.env.ref("kunde_crm.stage_waiting", raise_if_not_found=False)

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to use the policy in every company.",
    )
    team_id = fields.Many2one(
        "kunde.team",
        index=True,
        check_company=True,
        help="The team whose cases get this promise. Leave empty for every team.",
    )
    category_ids = fields.Many2many(
        "kunde.case.category",
        string="Categories",
        check_company=True,
        help="The policy applies to cases of these categories and their "
        "subcategories. Leave empty for every category.",
    )
    priority = fields.Selection(
        PRIORITIES,
        string="Minimum Priority",
        default="0",
        required=True,
        help="The policy applies to cases of this priority and higher.",
    )
    first_response_hours = fields.Float(
        string="First Response Within (hours)",
        required=True,
        default=8.0,
        help="Working hours from receipt to the first answer to the customer.",
    )
    resolution_hours = fields.Float(
        string="Resolution Within (hours)",
        required=True,
        default=40.0,
        help="Working hours from receipt until the case is closed.",
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        required=True,
        check_company=True,
        default=lambda self: self.env.company.resource_calendar_id,
        help="The clock only runs in these working hours; its time off (public "
        "holidays) does not count.",
    )
    pause_stage_ids = fields.Many2many(
        "kunde.case.stage",
        string="Pause Stages",
        default=_default_pause_stage_ids,
        help="Stages where the clock stops, e.g. Waiting for customer. The time "
        "a case spends in them is added to its deadlines.",
    )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("first_response_hours", "resolution_hours")
    def _check_hours(self):
        for policy in self:
            if policy.first_response_hours <= 0 or policy.resolution_hours <= 0:
                raise ValidationError(
                    _(
                        "The SLA policy %(policy)s needs more than 0 working hours "
                        "for both the first response and the resolution.",
                        policy=policy.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        policies = super().create(vals_list)
        policies._recompute_open_cases()
        return policies

    def write(self, vals):
        if not SLA_POLICY_FIELDS.intersection(vals):
            return super().write(vals)
        before = self._affected_open_cases()
        result = super().write(vals)
        (before | self._affected_open_cases())._sla_recompute()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        counts = self.env["kunde.case"]._usage_counts("sla_policy_id", self)
        used = self.filtered(lambda policy: counts.get(policy))
        if used:
            raise UserError(
                _(
                    "You cannot delete the SLA policy %(policies)s: %(count)s "
                    "case(s) were measured against it. Archive it instead.",
                    policies=", ".join(used.mapped("name")),
                    count=sum(counts[policy] for policy in used),
                )
            )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _affected_open_cases(self):
        """Open cases this policy may apply to, or applies to now."""
        if not self:
            return self.env["kunde.case"]
        domain = [("is_closed", "=", False)]
        if all(policy.team_id for policy in self):
            domain.append(("team_id", "in", self.team_id.ids))
        if all(policy.company_id for policy in self):
            domain.append(("company_id", "in", self.company_id.ids))
        Case = self.env["kunde.case"].sudo()
        return Case.search(domain) | Case.search(
            [("is_closed", "=", False), ("sla_policy_id", "in", self.ids)]
        )

    def _recompute_open_cases(self):
        self._affected_open_cases()._sla_recompute()

    def _applies_to(self, case):
        """Whether this policy covers ``case`` (team, category, priority, company)."""
        self.ensure_one()
        if self.company_id and self.company_id != case.company_id:
            return False
        if self.team_id and self.team_id != case.team_id:
            return False
        if int(case.priority or 0) < int(self.priority or 0):
            return False
        return not self.category_ids or bool(self._matched_category(case))

    def _matched_category(self, case):
        """The deepest of the policy's categories that is (an ancestor of) the
        case's category."""
        self.ensure_one()
        path = case.category_id.parent_path or ""
        ancestors = {int(part) for part in path.split("/") if part}
        matched = self.category_ids.filtered(lambda c: c.id in ancestors)
        return max(
            matched,
            key=lambda c: len((c.parent_path or "").split("/")),
            default=self.env["kunde.case.category"],
        )

    def _specificity(self, case):
        """Sort key: a team beats no team, then the deeper matching category,
        then the higher minimum priority, then the sequence."""
        self.ensure_one()
        category = self._matched_category(case) if self.category_ids else False
        depth = len((category.parent_path or "").split("/")) if category else 0
        return (bool(self.team_id), depth, int(self.priority or 0), -self.sequence)

    def _best_for(self, case):
        """The most specific of these policies that applies to ``case``."""
        matching = self.filtered(lambda policy: policy._applies_to(case))
        if not matching:
            return self.browse()
        return max(matching, key=lambda policy: policy._specificity(case))
