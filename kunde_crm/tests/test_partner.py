from odoo.tests import tagged

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestPartnerCaseCount(KundeCrmCase):
    def test_company_counts_include_contacts(self):
        self._case()
        self._case(partner_id=self.customer_company.id)
        self._case(stage_id=self.stage_solved.id)
        self._case(partner_id=self.other_customer.id)
        partners = (
            self.customer_company | self.customer | self.other_customer
        ).with_user(self.agent)
        partners.invalidate_recordset()
        self.assertEqual(partners[0].kunde_case_count, 3)
        self.assertEqual(partners[0].kunde_case_open_count, 2)
        self.assertEqual(partners[1].kunde_case_count, 2)
        self.assertEqual(partners[1].kunde_case_open_count, 1)
        self.assertEqual(partners[2].kunde_case_count, 1)

    def test_count_query_count_constant(self):
        """One batch of partners costs the same queries as one partner."""
        companies = self.env["res.partner"].create(
            [{"name": f"Kunde {i} AS", "is_company": True} for i in range(40)]
        )
        contacts = self.env["res.partner"].create(
            [
                {"name": f"Kontakt {i}", "parent_id": c.id}
                for i, c in enumerate(companies)
            ]
        )
        self.Case.create(
            [
                {"name": f"Sak {i}", "partner_id": p.id, "team_id": self.team.id}
                for i, p in enumerate(contacts | companies)
            ]
        )
        one = companies[:1].with_user(self.agent)
        many = companies.with_user(self.agent)
        one.invalidate_recordset()
        many.invalidate_recordset()
        # warm-up caches not related to the count (access rights, rules)
        _ = companies[1].with_user(self.agent).kunde_case_count
        with self.assertQueryCount(5):
            one.mapped("kunde_case_count")
        many.invalidate_recordset()
        with self.assertQueryCount(5):
            counts = many.mapped("kunde_case_count")
        self.assertEqual(counts, [2] * 40)

    def test_smart_button_opens_family_cases(self):
        case = self._case()
        action = self.customer_company.action_open_kunde_cases()
        self.assertIn(case, self.Case.search(action["domain"]))
