from odoo import _, api, fields, models
from odoo.fields import Command


class AccountMove(models.Model):
    _inherit = "account.move"

    kunde_case_ids = fields.Many2many(
        "kunde.case",
        "kunde_case_account_move_rel",
        "move_id",
        "case_id",
        string="Customer Service Cases",
        copy=False,
    )
    kunde_case_count = fields.Integer(
        string="Cases",
        compute="_compute_kunde_case_count",
        groups="kunde_crm.kunde_crm_group_viewer,account.group_account_invoice",
    )

    @api.constrains("kunde_case_ids")
    def _check_kunde_case_ids(self):
        # The link is one table: checked the same from either side.
        self.sudo().kunde_case_ids._check_invoice_ids()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._kunde_check_case_links(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._kunde_check_case_links(vals)
        return super().write(vals)

    def _kunde_check_case_links(self, vals):
        """Linking or unlinking cases from the invoice needs the right to change
        those cases, as from the case: checked before the link exists (an
        accountant reads cases *because* they are linked to an invoice)."""
        commands = vals.get("kunde_case_ids")
        if not commands or self.env.su:
            return
        case_ids = set()
        for command in commands:
            if command[0] in (Command.LINK, Command.UNLINK, Command.DELETE):
                case_ids.add(command[1])
            elif command[0] in (Command.SET, Command.CLEAR):
                case_ids.update(self.kunde_case_ids.ids)
                if command[0] == Command.SET:
                    case_ids.update(command[2])
        cases = self.env["kunde.case"].browse(sorted(case_ids))
        cases.check_access("write")

    def _compute_kunde_case_count(self):
        """Cases per invoice: one grouped query for the whole recordset."""
        counts = dict(
            self.env["kunde.case"]._read_group(
                [("invoice_ids", "in", self.ids)], ["invoice_ids"], ["__count"]
            )
        )
        for move in self:
            move.kunde_case_count = counts.get(move, 0)

    def action_open_kunde_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "kunde_crm.kunde_case_action"
        )
        action.update(
            domain=[("invoice_ids", "in", self.ids)],
            context={
                "default_partner_id": self.partner_id.id,
                "default_invoice_ids": [(6, 0, self.ids)],
            },
        )
        return action

    def action_new_kunde_case(self):
        """A new case about this invoice, prefilled for the agent."""
        self.ensure_one()
        category = self.env["kunde.case.category"].search(
            [("use_for_invoices", "=", True)], limit=1
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("New Case"),
            "res_model": "kunde.case",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_invoice_ids": [(6, 0, self.ids)],
                "default_category_id": category.id,
                "default_name": _("About invoice %(number)s", number=self.name),
                "default_channel": "phone",
            },
        }

    @api.model
    def _kunde_customer_documents_domain(self):
        return [
            ("move_type", "in", self.get_sale_types()),
            ("state", "=", "posted"),
        ]
