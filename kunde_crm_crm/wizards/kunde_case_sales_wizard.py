"""Send to Sales: the agent picks a sales team, a salesperson, a type and a summary."""

from odoo import api, fields, models


class KundeCaseSalesWizard(models.TransientModel):
    _name = "kunde.case.sales.wizard"
    _description = "Send a Case to Sales"

    def _default_lead_type(self):
        uses_leads = self.env["kunde.case"]._sales_uses_leads()
        return "lead" if uses_leads else "opportunity"

    case_id = fields.Many2one(
        "kunde.case", required=True, readonly=True, ondelete="cascade"
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        required=True,
        domain="[('company_id', 'in', (company_id, False))]",
    )
    # Computed, not related: a related field would write a default_company_id
    # sent in the context through to the case.
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    allowed_user_ids = fields.Many2many(
        "res.users", compute="_compute_allowed_user_ids"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        domain="[('id', 'in', allowed_user_ids)]",
        help="Gets the lead and a to-do. Empty: the lead goes to the team, and "
        "the team leader gets the to-do.",
    )
    lead_type = fields.Selection(
        [("lead", "Lead"), ("opportunity", "Opportunity")],
        string="Type",
        required=True,
        default=_default_lead_type,
    )
    uses_leads = fields.Boolean(compute="_compute_uses_leads")
    summary = fields.Html(
        compute="_compute_summary",
        compute_sudo=False,  # prefilled as the user, from a case they may read
        store=True,
        readonly=False,
        help="What sales needs to know. It goes to the lead's notes: the case "
        "and its conversation stay in customer service.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            wizard.case_id._check_may_send_to_sales()
        return wizards

    @api.depends("case_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.case_id.company_id

    @api.depends("team_id")
    def _compute_allowed_user_ids(self):
        for wizard in self:
            wizard.allowed_user_ids = self._sales_users(wizard.team_id)

    @api.depends("case_id")
    def _compute_uses_leads(self):
        self.uses_leads = self.env["kunde.case"]._sales_uses_leads()

    @api.model
    def _sales_users(self, team):
        """The team's members and leader who have sales rights."""
        team = team._origin.sudo()
        return (team.member_ids | team.user_id).filtered(
            lambda user: user.has_group("sales_team.group_sale_salesman")
        )

    @api.depends("case_id")
    def _compute_summary(self):
        for wizard in self:
            if wizard.case_id and not wizard.summary:
                # Read as the user: a case they may not read stops here.
                wizard.summary = wizard.case_id._default_sales_summary()

    @api.onchange("team_id")
    def _onchange_team_id(self):
        allowed = self._sales_users(self.team_id)
        if self.user_id._origin not in allowed:
            self.user_id = False
        leader = self.team_id._origin.user_id
        if not self.user_id and leader and leader in allowed:
            self.user_id = leader

    def action_send(self):
        self.ensure_one()
        self.case_id._send_to_sales(
            self.team_id, self.user_id, self.summary, self.lead_type
        )
        return {"type": "ir.actions.act_window_close"}
