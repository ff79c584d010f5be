"""kunde.case invoices: links, automatic linking, payment position, credit notes."""

import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import html2plaintext

# Invoice references a customer writes: the number in the journal's format
# (INV/2026/00012, FAKT/2026/00012), "faktura 12345" / "fakturanr. 12345", and
# payment references such as Norwegian KID numbers. Every quantifier is bounded
# and no two unbounded runs of the same characters follow each other, so
# matching is linear in the length of the text, whatever a customer sends.
INVOICE_NUMBER = re.compile(r"\b[A-Z]{2,10}/\d{4}/\d{2,20}\b", re.IGNORECASE)
INVOICE_PHRASE = re.compile(
    r"\b(?:fakturanummer|fakturanr|faktura|invoice)\.?"
    r"(?:[^\S\n]{0,3}(?:nr|no)\.?)?[^\S\n]{0,3}[:#]?[^\S\n]{0,3}(\d{3,12})\b",
    re.IGNORECASE,
)
KID_NUMBER = re.compile(r"(?<![\d/])\d{6,25}(?![\d/])")
# How much of a case's text is searched for invoice references.
SCAN_HTML_CHARS = 500_000
SCAN_TEXT_CHARS = 50_000


class KundeCase(models.Model):
    _inherit = "kunde.case"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    invoice_ids = fields.Many2many(
        "account.move",
        "kunde_case_account_move_rel",
        "case_id",
        "move_id",
        string="Invoices",
        copy=False,
        domain=lambda self: (
            f"[('move_type', 'in', {self.env['account.move'].get_sale_types()!r}),"
            " ('commercial_partner_id', '=', commercial_partner_id)]"
        ),
        help="Customer invoices and credit notes this case is about.",
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    partner_total_due = fields.Monetary(
        string="Customer Total Due",
        currency_field="company_currency_id",
        compute="_compute_partner_receivable",
        help="Open balance of the customer's posted invoices and credit notes.",
    )
    partner_overdue_amount = fields.Monetary(
        string="Customer Overdue Amount",
        currency_field="company_currency_id",
        compute="_compute_partner_receivable",
    )
    partner_overdue_count = fields.Integer(
        string="Customer Overdue Invoices", compute="_compute_partner_receivable"
    )

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for case in self:
            case.invoice_count = len(case.invoice_ids)

    @api.depends("commercial_partner_id", "company_id")
    @api.depends_context("uid")
    def _compute_partner_receivable(self):
        """The customer's receivable position, for a whole recordset.

        Two grouped queries whatever the number of cases. Agents may not read
        every invoice; they see the totals of the customer of a case they read.
        """
        self.partner_total_due = self.partner_overdue_amount = 0
        self.partner_overdue_count = 0
        partners = self.commercial_partner_id
        if not partners:
            return
        Move = self.env["account.move"].sudo()
        domain = Move._kunde_customer_documents_domain() + [
            ("commercial_partner_id", "in", partners.ids),
            ("company_id", "in", self.company_id.ids),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        groupby = ["commercial_partner_id", "company_id"]
        due = {
            (partner, company): amount
            for partner, company, amount in Move._read_group(
                domain, groupby, ["amount_residual_signed:sum"]
            )
        }
        overdue = {
            (partner, company): (amount, count)
            for partner, company, amount, count in Move._read_group(
                domain + [("invoice_date_due", "<", fields.Date.context_today(self))],
                groupby,
                ["amount_residual_signed:sum", "__count"],
            )
        }
        for case in self:
            key = (case.commercial_partner_id, case.company_id)
            case.partner_total_due = due.get(key, 0.0)
            amount, count = overdue.get(key, (0.0, 0))
            case.partner_overdue_amount = amount
            case.partner_overdue_count = count

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("invoice_ids", "partner_id")
    def _check_invoice_ids(self):
        for case in self:
            wrong = case.sudo().invoice_ids.filtered(
                lambda m, case=case: not m.is_sale_document()
                or m.commercial_partner_id != case.commercial_partner_id
            )
            if wrong:
                raise ValidationError(
                    _(
                        "Case %(reference)s can only be linked to customer invoices "
                        "and credit notes of its own customer. %(count)s of the "
                        "selected documents are not.",
                        reference=case.reference,
                        count=len(wrong),
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_create_credit_note(self):
        """Odoo's reversal wizard for the case's posted invoices."""
        self.ensure_one()
        invoices = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        if not invoices:
            raise UserError(_("Link a posted customer invoice to the case first."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Credit Note"),
            "res_model": "account.move.reversal",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": "account.move",
                "active_ids": invoices.ids,
                "default_reason": _("Case %(reference)s", reference=self.reference),
                "default_kunde_case_id": self.id,
            },
        }

    # ------------------------------------------------------------------
    # Private helpers
    # ------------------------------------------------------------------
    @api.model
    def _invoice_references(self, text):
        """Invoice numbers, KID numbers and "faktura 123" phrasings in a text."""
        # Customer text of any size: the patterns are linear, and only the
        # beginning of a very long text is read (invoice numbers come early).
        text = (text or "")[:SCAN_HTML_CHARS]
        text = html2plaintext(text) if "<" in text else text
        text = text[:SCAN_TEXT_CHARS]
        names = {m.upper() for m in INVOICE_NUMBER.findall(text)}
        numbers = set(INVOICE_PHRASE.findall(text))
        kids = set(KID_NUMBER.findall(text)) - numbers
        return names, numbers, kids

    def _auto_link_invoices(self):
        """Link the invoices the customer mentions, but only their own.

        One search for the whole batch. An invoice of another customer is never
        linked and never named; the agent gets an internal note instead.
        """
        wanted = {}
        all_names, all_numbers, all_kids = set(), set(), set()
        for case in self:
            names, numbers, kids = self._invoice_references(
                f"{case.name or ''}\n{case.description or ''}"
            )
            if names or numbers or kids:
                wanted[case] = (names, numbers, kids)
                all_names |= names
                all_numbers |= numbers
                all_kids |= kids
        if not wanted:
            return
        # Matching must see every invoice to tell "not this customer's" apart;
        # only the case's own commercial partner's invoices are ever linked.
        Move = self.env["account.move"].sudo()
        conditions = []
        if all_names:
            conditions.append([("name", "in", sorted(all_names))])
        if all_numbers:
            conditions.append(
                [("sequence_number", "in", sorted({int(n) for n in all_numbers}))]
            )
        if all_kids | all_numbers:
            conditions.append(
                [("payment_reference", "in", sorted(all_kids | all_numbers))]
            )
        moves = Move.search(
            Move._kunde_customer_documents_domain()
            + [("company_id", "in", self.company_id.ids)]
            + expression.OR(conditions)
        )
        for case, (names, numbers, kids) in wanted.items():
            matches = moves.filtered(
                lambda m, names=names, numbers=numbers, kids=kids: m.name in names
                or str(m.sequence_number) in {str(int(n)) for n in numbers}
                or m.payment_reference in (kids | numbers)
            ).filtered(lambda m, case=case: m.company_id == case.company_id)
            own = matches.filtered(
                lambda m, case=case: case.commercial_partner_id
                and m.commercial_partner_id == case.commercial_partner_id
            )
            if own - case.sudo().invoice_ids:
                case.sudo().write({"invoice_ids": [(4, move.id) for move in own]})
            if matches - own:
                case.sudo().message_post(
                    body=_(
                        "The customer mentions an invoice number that does not "
                        "belong to them. It was not linked; check the case before "
                        "you answer."
                    ),
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                )
