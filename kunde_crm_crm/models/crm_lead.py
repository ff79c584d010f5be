"""crm.lead from customer service: the link to its case, and the figures for reports."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

KUNDE_GROUP = "kunde_crm.kunde_crm_group_viewer"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Customer-service data: for Kundeservice users only (read, search, group
    # by and export all refuse these fields to anyone else).
    kunde_case_id = fields.Many2one(
        "kunde.case",
        string="Customer Service Case",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="set null",
        groups=KUNDE_GROUP,
        help="The case this lead was sent from (Send to Sales on the case).",
    )
    kunde_case_readable = fields.Boolean(
        compute="_compute_kunde_case_readable", groups=KUNDE_GROUP
    )
    kunde_category_id = fields.Many2one(
        "kunde.case.category",
        string="Case Category",
        related="kunde_case_id.category_id",
        store=True,
        index="btree_not_null",
        groups=KUNDE_GROUP,
    )
    kunde_team_id = fields.Many2one(
        "kunde.team",
        string="Customer Service Team",
        related="kunde_case_id.team_id",
        store=True,
        index="btree_not_null",
        groups=KUNDE_GROUP,
    )
    kunde_won_revenue = fields.Monetary(
        string="Won Revenue from Cases",
        currency_field="company_currency",
        compute="_compute_kunde_won_revenue",
        store=True,
        groups=KUNDE_GROUP,
        help="The expected revenue of a won lead that came from a case.",
    )

    @api.depends("kunde_case_id")
    @api.depends_context("uid")
    def _compute_kunde_case_readable(self):
        readable = self.kunde_case_id._filtered_access("read")
        for lead in self:
            lead.kunde_case_readable = bool(lead.kunde_case_id) and (
                lead.kunde_case_id in readable
            )

    @api.depends("kunde_case_id", "stage_id.is_won", "expected_revenue")
    def _compute_kunde_won_revenue(self):
        for lead in self:
            won = lead.kunde_case_id and lead.stage_id.is_won
            lead.kunde_won_revenue = lead.expected_revenue if won else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_kunde_case_link(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_kunde_case_link(vals)
        return super().write(vals)

    @api.model
    def _check_kunde_case_link(self, vals):
        """Only Send to Sales links a lead to a case (kunde.case._send_to_sales).

        Anyone writing the link directly (RPC, import, the case's lead_ids)
        could attach a lead to a case they may not read, and then read its
        category and team from the lead.
        """
        if "kunde_case_id" in vals and not self.env.su:
            raise AccessError(
                _("A lead is linked to a case only by Send to Sales on the case.")
            )

    def action_open_kunde_case(self):
        self.ensure_one()
        case = self.kunde_case_id
        case.check_access("read")  # as the user: their record rules decide
        return case._action_open_form()
