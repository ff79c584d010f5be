"""The segment wizard: who is added, who is skipped (and counted), in batches."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SegmentCase


@tagged("post_install", "-at_install")
class TestSegmentWizard(SegmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.anne = cls._customer("Anne Aas", "anne@aas.example")
        cls.bjorn = cls._customer("Bjørn Berg", "bjorn@berg.example")
        cls.case_anne = cls._case(partner_id=cls.anne.id)
        cls.case_bjorn = cls._case(partner_id=cls.bjorn.id)

    def test_selected_cases_customers_are_added(self):
        wizard = self._run(case_ids=[(6, 0, (self.case_anne | self.case_bjorn).ids)])
        self.assertEqual(
            self._list_emails(), ["anne@aas.example", "bjorn@berg.example"]
        )
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.count_added, 2)
        self.assertIn("2 customer(s) added to Kundeavis", wizard.result_message)
        contact = self.env["mailing.contact"].search(
            [("email_normalized", "=", "anne@aas.example")]
        )
        self.assertEqual(contact.name, "Anne Aas")

    def test_case_list_selection_comes_from_active_ids(self):
        wizard = (
            self.Wizard.with_user(self.marketer)
            .with_context(active_model="kunde.case", active_ids=self.case_anne.ids)
            .create({"mailing_list_id": self.mailing_list.id})
        )
        self.assertEqual(wizard.case_ids, self.case_anne)
        wizard.action_add_to_list()
        self.assertEqual(self._list_emails(), ["anne@aas.example"])

    def test_blacklisted_address_is_skipped_and_counted(self):
        self.env["mail.blacklist"]._add("BJORN@berg.example")
        wizard = self._run(case_ids=[(6, 0, (self.case_anne | self.case_bjorn).ids)])
        self.assertEqual(self._list_emails(), ["anne@aas.example"])
        self.assertEqual((wizard.count_added, wizard.count_blacklisted), (1, 1))
        self.assertIn("1 blacklisted", wizard.result_message)
        self.assertFalse(
            self.env["mailing.contact"].search(
                [("email_normalized", "=", "bjorn@berg.example")]
            ),
            "a blacklisted address gets no contact either",
        )

    def test_opted_out_address_is_skipped_and_stays_opted_out(self):
        contact = self.env["mailing.contact"].create(
            {"name": "Bjørn", "email": "bjorn@berg.example"}
        )
        subscription = self.env["mailing.subscription"].create(
            {"contact_id": contact.id, "list_id": self.mailing_list.id, "opt_out": True}
        )
        other_list = self.env["mailing.list"].create({"name": "Andre nyheter"})
        wizard = self._run(case_ids=[(6, 0, (self.case_anne | self.case_bjorn).ids)])
        self.assertEqual(self._list_emails(), ["anne@aas.example"])
        self.assertTrue(subscription.opt_out)
        self.assertEqual((wizard.count_added, wizard.count_opted_out), (1, 1))
        self.assertIn("1 opted out of this list", wizard.result_message)
        # Opted out of one list is not opted out of another.
        wizard = self._run(
            mailing_list_id=other_list.id,
            case_ids=[(6, 0, self.case_bjorn.ids)],
        )
        self.assertEqual(self._list_emails(other_list), ["bjorn@berg.example"])
        self.assertEqual(wizard.count_opted_out, 0)

    def test_contacts_deduplicated_on_normalised_email(self):
        ola_1 = self._customer("Ola Nordmann", "Ola@Example.com ")
        ola_2 = self._customer("Ola N.", "ola@example.com")
        existing = self.env["mailing.contact"].create(
            {"name": "Ola", "email": "OLA@example.com"}
        )
        cases = self._case(partner_id=ola_1.id) | self._case(partner_id=ola_2.id)
        wizard = self._run(case_ids=[(6, 0, cases.ids)])
        contacts = self.env["mailing.contact"].search(
            [("email_normalized", "=", "ola@example.com")]
        )
        self.assertEqual(contacts, existing, "the existing contact is reused")
        self.assertEqual(self._list_emails(), ["ola@example.com"])
        self.assertEqual(wizard.count_added, 1)
        # Again: nobody is added twice.
        wizard = self._run(case_ids=[(6, 0, cases.ids)])
        self.assertEqual((wizard.count_added, wizard.count_existing), (0, 1))
        self.assertEqual(
            len(
                self.env["mailing.subscription"].search(
                    [("list_id", "=", self.mailing_list.id)]
                )
            ),
            1,
        )

    def test_open_case_customers_left_out_with_one_tick(self):
        self.case_anne.action_close()
        # Bjørn's company still has an open case (case_bjorn): left out.
        cases = self.case_anne | self.case_bjorn
        wizard = self._run(case_ids=[(6, 0, cases.ids)], exclude_open=True)
        self.assertEqual(self._list_emails(), ["anne@aas.example"])
        self.assertEqual(wizard.count_open, 1)
        self.assertIn("1 with an open case", wizard.result_message)
        wizard = self._run(case_ids=[(6, 0, cases.ids)])
        self.assertEqual(
            self._list_emails(), ["anne@aas.example", "bjorn@berg.example"]
        )

    def test_open_case_of_a_colleague_counts_for_the_company(self):
        colleague = self._customer(
            "Kollega", "kollega@fjord.example", parent_id=self.customer_company.id
        )
        closed = self._case(partner_id=colleague.id)
        closed.action_close()
        self._case()  # Kari, same company, open
        wizard = self._run(case_ids=[(6, 0, closed.ids)], exclude_open=True)
        self.assertEqual(self._list_emails(), [])
        self.assertEqual(wizard.count_open, 1)

    def test_category_with_subcategories_in_the_last_days(self):
        recent_child = self._case(
            partner_id=self.anne.id,
            category_id=self.category_child.id,
            date_received=self._days_ago(10),
        )
        self._case(
            partner_id=self.bjorn.id,
            category_id=self.category_parent.id,
            date_received=self._days_ago(100),
        )
        self._case(  # another category, recent
            partner_id=self.customer.id, date_received=self._days_ago(5)
        )
        wizard = self._run(source="category", category_id=self.category_parent.id)
        self.assertEqual(wizard.days, 90)
        self.assertEqual(self._list_emails(), ["anne@aas.example"])
        self.assertTrue(recent_child)
        # 120 days: Bjørn too.
        self._run(source="category", category_id=self.category_parent.id, days=120)
        self.assertEqual(
            self._list_emails(), ["anne@aas.example", "bjorn@berg.example"]
        )

    def test_category_period_up_to_a_date(self):
        self._case(
            partner_id=self.anne.id,
            category_id=self.category_parent.id,
            date_received=self._days_ago(40),
        )
        self._case(
            partner_id=self.bjorn.id,
            category_id=self.category_parent.id,
            date_received=self._days_ago(3),
        )
        today = fields.Date.context_today(self.Wizard)
        self._run(
            source="category",
            category_id=self.category_parent.id,
            days=30,
            date_to=today - timedelta(days=20),
        )
        self.assertEqual(self._list_emails(), ["anne@aas.example"])

    def test_case_without_customer_adds_its_address(self):
        case = self.Case.create(
            {
                "name": "Spørsmål",
                "email_from": "Per@Example.NO",
                "team_id": self.team.id,
            }
        )
        self.assertFalse(case.partner_id)
        wizard = self._run(case_ids=[(6, 0, case.ids)])
        self.assertEqual(self._list_emails(), ["per@example.no"])
        self.assertEqual(wizard.count_added, 1)

    def test_customer_without_email_is_counted(self):
        silent = self._customer("Uten Epost", False)
        case = self._case(partner_id=silent.id)
        wizard = self._run(case_ids=[(6, 0, (case | self.case_anne).ids)])
        self.assertEqual((wizard.count_added, wizard.count_no_email), (1, 1))

    def test_new_list_is_created(self):
        wizard = self._run(
            mailing_list_id=False,
            new_list_name="  Vårkampanje ",
            case_ids=[(6, 0, self.case_anne.ids)],
        )
        self.assertEqual(wizard.mailing_list_id.name, "Vårkampanje")
        self.assertEqual(
            self._list_emails(wizard.mailing_list_id), ["anne@aas.example"]
        )
        action = wizard.action_open_list()
        self.assertEqual(action["res_id"], wizard.mailing_list_id.id)

    def test_bad_input_is_refused_and_nothing_is_created(self):
        Contact = self.env["mailing.contact"]
        lists_before = self.env["mailing.list"].search_count([])
        contacts_before = Contact.search_count([])
        cases = [(6, 0, self.case_anne.ids)]
        for vals, message in (
            ({"case_ids": [], "source": "cases"}, "at least one case"),
            ({"source": "category"}, "Choose a category"),
            (
                {"source": "category", "category_id": self.category.id, "days": 0},
                "between 1 and",
            ),
            ({"mailing_list_id": False, "case_ids": cases}, "Choose a mailing list"),
            (
                {"mailing_list_id": False, "new_list_name": "  ", "case_ids": cases},
                "Choose a mailing list",
            ),
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, message):
                self._run(**vals)
        self.assertEqual(self.env["mailing.list"].search_count([]), lists_before)
        self.assertEqual(Contact.search_count([]), contacts_before)

    def test_done_wizard_does_not_add_again(self):
        wizard = self._run(case_ids=[(6, 0, self.case_anne.ids)])
        self.env["mailing.subscription"].search(
            [("list_id", "=", self.mailing_list.id)]
        ).unlink()
        wizard.action_add_to_list()
        self.assertEqual(self._list_emails(), [])
        self.assertEqual(wizard.count_added, 1)

    def test_form_shows_case_or_category_fields(self):
        with Form(self.Wizard.with_user(self.marketer)) as form:
            form.source = "category"
            form.category_id = self.category_parent
            form.mailing_list_id = self.mailing_list
        self.assertEqual(form.record.days, 90)

    def test_category_button_and_trend_row_open_the_wizard(self):
        self._case(partner_id=self.anne.id, category_id=self.category_child.id)
        category = self.category_parent.with_user(self.marketer)
        action = category.action_kunde_mailing_wizard()
        self.assertEqual(action["res_model"], "kunde.case.mailing.wizard")
        wizard = (
            self.Wizard.with_user(self.marketer)
            .with_context(**action["context"])
            .create({"mailing_list_id": self.mailing_list.id})
        )
        self.assertEqual(
            (wizard.source, wizard.category_id, wizard.days),
            ("category", self.category_parent, 90),
        )
        wizard.action_add_to_list()
        self.assertEqual(self._list_emails(), ["anne@aas.example"])

        Trend = self.env["kunde.case.trend"].with_user(self.marketer)
        Trend.action_open()
        row = Trend.search(
            [
                ("create_uid", "=", self.marketer.id),
                ("category_id", "=", self.category_child.id),
            ]
        )
        action = row.action_kunde_mailing_wizard()
        wizard = (
            self.Wizard.with_user(self.marketer)
            .with_context(**action["context"])
            .create({"mailing_list_id": self.mailing_list.id})
        )
        self.assertEqual(wizard.category_id, self.category_child)
        self.assertEqual(wizard.days, 30)
        self.assertEqual(wizard.date_to, row.date_to)
        no_category = Trend.new({"date_from": row.date_from, "date_to": row.date_to})
        with self.assertRaisesRegex(UserError, "with a category"):
            no_category.action_kunde_mailing_wizard()

    def test_query_count_does_not_grow_with_customers(self):
        """Batched: the same queries for 5 and for 40 customers, new or not."""
        counts = {}
        for size in (3, 5, 40):  # the first run warms the caches
            partners = self.Partner.create(
                [
                    {"name": f"Kunde {size}-{i}", "email": f"k{size}-{i}@q.example"}
                    for i in range(size)
                ]
            )
            # Half of them have a contact already (on no list).
            self.env["mailing.contact"].create(
                [{"name": p.name, "email": p.email} for p in partners[: size // 2]]
            )
            self.env["mail.blacklist"]._add(partners[-1].email)
            cases = self.Case.create(
                [
                    {"name": "Spørsmål", "partner_id": p.id, "team_id": self.team.id}
                    for p in partners
                ]
            )
            mailing_list = self.env["mailing.list"].create({"name": f"Liste {size}"})
            wizard = self._wizard(
                mailing_list_id=mailing_list.id,
                case_ids=[(6, 0, cases.ids)],
                exclude_open=False,
            )
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            wizard.action_add_to_list()
            self.env.flush_all()
            counts[size] = self.cr.sql_log_count - before
            self.assertEqual(wizard.count_added, size - 1)
            self.assertEqual(wizard.count_blacklisted, 1)
        self.assertEqual(counts[5], counts[40], counts)
        self.assertLessEqual(counts[40], 20, counts)
