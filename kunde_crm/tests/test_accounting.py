"""Cases about invoices: links, counts, overdue position, auto-linking, credit notes."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestAccounting(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, "kc_acc", groups="account.group_account_invoice", name="Regnskap"
        )
        cls.invoice = cls._invoice(cls.customer_company, 1000, "2026-03-10", post=True)
        cls.invoice_contact = cls._invoice(cls.customer, 250, "2026-04-30", post=True)
        cls.other_invoice = cls._invoice(
            cls.other_customer, 700, "2026-03-10", post=True
        )
        # The category for invoice questions is this one, not one the database
        # already has (the demo data has one).
        Category = cls.env["kunde.case.category"]
        Category.search([("use_for_invoices", "=", True)]).use_for_invoices = False
        cls.invoice_category = Category.create(
            {"name": "Fakturaspørsmål", "use_for_invoices": True}
        )

    @classmethod
    def _invoice(cls, partner, amount, due, post=True, move_type="out_invoice"):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": "2026-02-10",
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Brød",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    # ------------------------------------------------------------------
    # links
    # ------------------------------------------------------------------
    def test_link_invoices_of_the_customers_company(self):
        case = self._case()
        case.invoice_ids = self.invoice | self.invoice_contact
        self.assertEqual(case.invoice_count, 2)
        self.assertEqual(self.invoice.kunde_case_ids, case)

    def test_link_constraint(self):
        case = self._case()
        bill = self._invoice(
            self.customer_company, 80, "2026-03-01", move_type="in_invoice"
        )
        for wrong, message in (
            (self.other_invoice, "of its own customer"),
            (bill, "customer invoices"),
        ):
            with self.assertRaisesRegex(ValidationError, message), self.cr.savepoint():
                case.invoice_ids = wrong
            self.env.invalidate_all(flush=False)  # drop the refused values
        self.cr.execute(
            "SELECT count(*) FROM kunde_case_account_move_rel WHERE case_id = %s",
            [case.id],
        )
        self.assertEqual(self.cr.fetchone()[0], 0, "nothing half-linked")
        # Changing the customer afterwards is checked as well.
        case.invoice_ids = self.invoice
        with self.assertRaises(ValidationError):
            case.partner_id = self.other_customer

    def test_invoice_case_counts_batched(self):
        invoices = self.invoice | self.invoice_contact | self.other_invoice
        self._case(invoice_ids=[Command.set(self.invoice.ids)])
        self._case(invoice_ids=[Command.set((self.invoice | self.invoice_contact).ids)])
        invoices.invalidate_recordset()
        with self.assertQueryCount(1):
            counts = invoices.mapped("kunde_case_count")
        self.assertEqual(counts, [2, 1, 0])

    def test_new_case_from_invoice(self):
        action = self.invoice.action_new_kunde_case()
        form = Form(self.Case.with_user(self.agent).with_context(**action["context"]))
        case = form.save()
        self.assertEqual(case.partner_id, self.customer_company)
        self.assertEqual(case.invoice_ids, self.invoice)
        self.assertEqual(case.category_id, self.invoice_category)
        self.assertIn(self.invoice.name, case.name)
        opened = self.invoice.action_open_kunde_cases()
        self.assertIn(case, self.Case.search(opened["domain"]))

    # ------------------------------------------------------------------
    # the customer's payment position
    # ------------------------------------------------------------------
    def test_overdue_position_around_due_date(self):
        case = self._case()
        other = self._case(partner_id=self.other_customer.id)
        with freeze_time("2026-03-10"):
            (case | other).invalidate_recordset()
            self.assertEqual(case.partner_total_due, 1250)
            self.assertEqual(case.partner_overdue_amount, 0, "due today is not overdue")
            self.assertEqual(case.partner_overdue_count, 0)
        with freeze_time("2026-03-11"):
            (case | other).invalidate_recordset()
            self.assertEqual(case.partner_total_due, 1250)
            self.assertEqual(case.partner_overdue_amount, 1000)
            self.assertEqual(case.partner_overdue_count, 1)
            self.assertEqual(other.partner_overdue_amount, 700)
        with freeze_time("2026-05-01"):
            case.invalidate_recordset()
            self.assertEqual(case.partner_overdue_amount, 1250)
            self.assertEqual(case.partner_overdue_count, 2)

    def test_position_query_count_constant(self):
        cases = self.Case.create(
            [
                {"name": f"Sak {i}", "partner_id": p.id, "team_id": self.team.id}
                for i, p in enumerate([self.customer, self.other_customer] * 20)
            ]
        )
        one = cases[:1].with_user(self.agent)
        many = cases.with_user(self.agent)
        many.mapped("partner_overdue_amount")  # warm-up: access rules, user
        counts = []
        for records in (one, many, one, many):  # the first round warms caches up
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            records.mapped("partner_overdue_amount")
            counts.append(self.cr.sql_log_count - before)
        self.assertEqual(
            counts[2], counts[3], f"constant in the number of cases {counts}"
        )
        self.assertLessEqual(counts[3], 7, counts)

    def test_agent_sees_position_without_accounting_rights(self):
        case = self._case(invoice_ids=[Command.set(self.invoice.ids)])
        as_agent = case.with_user(self.agent)
        self.assertEqual(as_agent.partner_total_due, 1250)
        self.assertEqual(as_agent.invoice_ids.mapped("name"), [self.invoice.name])

    def test_overdue_menu_lists_open_cases_on_overdue_invoices(self):
        overdue_case = self._case(invoice_ids=[Command.set(self.invoice.ids)])
        current_case = self._case(invoice_ids=[Command.set(self.invoice_contact.ids)])
        closed_case = self._case(
            invoice_ids=[Command.set(self.invoice.ids)], stage_id=self.stage_solved.id
        )
        action = self.env.ref("kunde_crm.kunde_case_action_overdue_invoices")
        domain = safe_eval(action.domain, {"context_today": lambda: date(2026, 3, 20)})
        found = self.Case.with_user(self.accountant).search(domain)
        self.assertIn(overdue_case, found)
        self.assertNotIn(current_case, found)
        self.assertNotIn(closed_case, found)

    # ------------------------------------------------------------------
    # automatic linking on intake
    # ------------------------------------------------------------------
    def test_auto_link_invoice_number(self):
        case = self._case(name=f"Spørsmål om {self.invoice.name}")
        self.assertEqual(case.invoice_ids, self.invoice)

    def test_auto_link_faktura_phrasing(self):
        number = str(self.invoice_contact.sequence_number).zfill(5)
        case = self._case(
            description=f"<p>Gjelder fakturanr. {number}, beløpet er feil.</p>"
        )
        self.assertIn(self.invoice_contact, case.invoice_ids)
        case = self._case(description=f"<p>Hei, faktura {number} er betalt.</p>")
        self.assertIn(self.invoice_contact, case.invoice_ids)

    def test_auto_link_kid(self):
        self.invoice.payment_reference = "4001234567897"
        case = self._case(description="<p>Jeg betalte med KID 4001234567897 i går.</p>")
        self.assertEqual(case.invoice_ids, self.invoice)

    def test_other_customers_invoice_not_linked_nor_disclosed(self):
        case = self._case(
            name=f"Hva med {self.other_invoice.name}?", email_from="kari@fjord.example"
        )
        self.assertFalse(case.invoice_ids)
        note = case.message_ids.filtered(lambda m: "does not belong" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertTrue(note.subtype_id.internal, "only the agent sees the note")
        self.assertNotIn(self.other_customer.name, note.body)
        self.assertNotIn(self.other_invoice.name, note.body)

    def test_auto_link_from_portal_as_customer(self):
        portal = new_test_user(
            self.env, "kc_inv_portal", groups="base.group_portal", name="Kari P"
        )
        portal.partner_id.parent_id = self.customer_company
        case = self.Case.with_user(portal).create(
            {"name": f"Feil på {self.invoice.name}", "partner_id": portal.partner_id.id}
        )
        self.assertEqual(case.sudo().invoice_ids, self.invoice)

    # ------------------------------------------------------------------
    # credit note
    # ------------------------------------------------------------------
    def test_credit_note_from_case(self):
        case = self._case(invoice_ids=[Command.set(self.invoice.ids)])
        action = case.with_user(self.accountant).action_create_credit_note()
        self.assertEqual(action["res_model"], "account.move.reversal")
        wizard_form = Form(
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(**action["context"])
        )
        self.assertIn(case.reference, wizard_form.reason)
        wizard = wizard_form.save()
        wizard.reverse_moves()
        credit_note = wizard.new_move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertIn(case.reference, credit_note.ref)
        self.assertIn(credit_note, case.invoice_ids)

    def test_credit_note_needs_posted_invoice(self):
        case = self._case()
        with self.assertRaisesRegex(Exception, "posted customer invoice"):
            case.action_create_credit_note()
