"""kunde.erasure.wizard: the manager's confirmation before a contact's personal
data is erased (the work itself is res.partner._kunde_erase_personal_data)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.res_partner_erasure import MANAGER_GROUP


class KundeErasureWizard(models.TransientModel):
    _name = "kunde.erasure.wizard"
    _description = "Erase Personal Data"

    def _default_partner_id(self):
        if self.env.context.get("active_model") == "res.partner":
            return self.env.context.get("active_id")
        return False

    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        ondelete="cascade",
        default=_default_partner_id,
    )
    include_children = fields.Boolean(
        string="Also Erase Its Contacts",
        help="Erase the contacts under this one (its employees, invoice and "
        "delivery addresses) too. Without it they keep their data.",
    )
    child_ids = fields.Many2many(
        "res.partner",
        string="Its Contacts",
        compute="_compute_summary",
        context={"active_test": False},
    )
    case_ids = fields.Many2many(
        "kunde.case", string="Cases", compute="_compute_summary"
    )
    case_count = fields.Integer(string="Cases to Anonymise", compute="_compute_summary")
    invoice_count = fields.Integer(
        string="Linked Invoices (kept)", compute="_compute_summary"
    )
    confirmation = fields.Char(
        help="Type the word shown above to confirm. Erasing cannot be undone."
    )
    confirmation_word = fields.Char(compute="_compute_confirmation_word")

    @api.depends("partner_id", "include_children")
    def _compute_summary(self):
        Case = self.env["kunde.case"].with_context(active_test=False)
        for wizard in self:
            children = self.env["res.partner"]
            if wizard.partner_id:
                children = (
                    self.env["res.partner"]
                    .with_context(active_test=False)
                    .search(
                        [
                            ("id", "child_of", wizard.partner_id.ids),
                            ("id", "!=", wizard.partner_id.id),
                        ]
                    )
                )
            wizard.child_ids = children
            partners = wizard._partners_to_erase()
            # Counted as the manager: the erasure itself reaches every case of
            # the contacts, of every company.
            cases = Case.search([("partner_id", "in", partners.ids)])
            wizard.case_ids = cases
            wizard.case_count = Case.sudo().search_count(
                [("partner_id", "in", partners.ids)]
            )
            wizard.invoice_count = len(cases.invoice_ids)

    def _compute_confirmation_word(self):
        for wizard in self:
            wizard.confirmation_word = self.env._("ERASE")

    def _partners_to_erase(self):
        self.ensure_one()
        if self.include_children:
            return self.partner_id | self.child_ids
        return self.partner_id

    def action_erase(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only customer service managers can erase personal data.")
            )
        typed = (self.confirmation or "").strip().upper()
        if typed not in {self.confirmation_word.upper(), "ERASE"}:
            raise UserError(
                self.env._(
                    "Type %(word)s in the confirmation field to erase the "
                    "personal data. Nothing was erased.",
                    word=self.confirmation_word,
                )
            )
        log = self._partners_to_erase()._kunde_erase_personal_data()
        return {
            "type": "ir.actions.act_window",
            "res_model": "kunde.erasure.log",
            "res_id": log.id,
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "current",
        }
