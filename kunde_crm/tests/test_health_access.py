"""Customer health as the attacker (groups, companies) and its query counts."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .test_health import NOW, HealthCase

HEALTH_FIELDS = (
    "kunde_health",
    "kunde_health_reasons",
    "kunde_satisfaction_avg",
    "kunde_first_case_date",
    "kunde_last_case_date",
    "kunde_overdue_amount",
    "kunde_invoiced_12m",
)


@tagged("post_install", "-at_install")
class TestHealthAccess(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.viewer = new_test_user(
            env, "kc_health_viewer", groups="kunde_crm.kunde_crm_group_viewer"
        )
        # Allowed to export: the field's group is what must refuse.
        cls.employee = new_test_user(
            env,
            "kc_health_employee",
            groups="base.group_user,base.group_allow_export",
        )
        cls.accountant = new_test_user(
            env, "kc_health_accountant", groups="account.group_account_invoice"
        )
        cls.portal = new_test_user(env, "kc_health_portal", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer_company
        cls.public = env.ref("base.public_user")
        cls._cases(cls, 5, NOW - timedelta(days=1))

    def test_reporting_and_agents_read_the_health(self):
        self._health(self.customer_company)
        for user in (self.viewer, self.lonely_agent, self.manager):
            with self.subTest(user=user.login), freeze_time(NOW):
                partner = self.customer.with_user(user)
                values = partner.read(list(HEALTH_FIELDS))[0]
                self.assertEqual(values["kunde_health"], "amber")
                self.assertTrue(values["kunde_health_reasons"])
                found = self.Partner.with_user(user).search(
                    [("kunde_health", "in", ["amber", "red"])]
                )
                self.assertIn(self.customer_company, found)
                self.assertIn(self.customer, found)
        # The case list's badge.
        case = self.Case.search([("partner_id", "=", self.customer.id)], limit=1)
        self.assertEqual(case.with_user(self.agent).kunde_partner_health, "amber")
        at_risk = self.Case.with_user(self.agent).search(
            [("kunde_partner_health", "in", ["amber", "red"])]
        )
        self.assertIn(case, at_risk)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule", "odoo.http")
    def test_others_cannot_learn_the_health_by_any_path(self):
        self._health(self.customer_company)
        attackers = {
            "employee": self.employee,
            "accountant": self.accountant,
            "portal": self.portal,
            "public": self.public,
        }
        for role, user in attackers.items():
            Partner = self.Partner.with_user(user)
            mine = self.customer.with_user(user)
            for fname in HEALTH_FIELDS:
                with self.subTest(role=role, fname=fname, path="read"):
                    with self.assertRaises(AccessError):
                        mine.read([fname])
            with self.subTest(role=role, path="search"):
                with self.assertRaises(AccessError):
                    Partner.search([("kunde_health", "=", "amber")])
            with self.subTest(role=role, path="order"):
                with self.assertRaises(AccessError):
                    Partner.search([], order="kunde_satisfaction_avg desc")
            with self.subTest(role=role, path="read_group"):
                with self.assertRaises(AccessError):
                    Partner.read_group([], ["kunde_health"], ["kunde_health"])
            with self.subTest(role=role, path="export"):
                # Refused for the field (AccessError), or before: no export right.
                with self.assertRaises(UserError):
                    mine.export_data(["kunde_health"])
            with self.subTest(role=role, path="case badge"):
                try:
                    cases = self.Case.with_user(user).search(
                        [("partner_id", "=", self.customer.id)]
                    )
                except AccessError:
                    cases = self.Case  # no access to cases at all: fine
                if cases:
                    with self.assertRaises(AccessError):
                        cases.read(["kunde_partner_health"])

    def test_multi_company_thresholds_and_figures(self):
        company_b = self.env["res.company"].create(
            {
                "name": "Nord AS",
                "kunde_health_burst_amber": 3,
                "kunde_health_burst_red": 4,
            }
        )
        team_b = self.env["kunde.team"].create(
            {"name": "Team Nord", "company_id": company_b.id}
        )
        customer_b = self.Partner.create(
            {"name": "Kunde Nord", "is_company": True, "company_id": company_b.id}
        )
        category_b = self.env["kunde.case.category"].create(
            {"name": "Levering", "company_id": company_b.id}
        )
        self.Case.create(
            [
                {
                    "name": f"Nord {i}",
                    "partner_id": customer_b.id,
                    "team_id": team_b.id,
                    "category_id": category_b.id,
                    "date_received": NOW - timedelta(days=1),
                }
                for i in range(4)
            ]
        )
        # Company B's thresholds judge B's customer; the main company's (5 / 10)
        # would keep it green.
        self.assertEqual(
            self._health(customer_b), ("red", "4 cases in 30 days about Levering")
        )
        # Four cases of the main company's customer stay green: B's thresholds
        # do not apply to it.
        self._cases(4, NOW - timedelta(days=1), partner=self.other_customer)
        self.assertEqual(self._health(self.other_customer)[0], "green")
        # A user of the main company only cannot read B's customer at all.
        with self.assertRaises(AccessError):
            customer_b.with_user(self.viewer).read(["kunde_health"])
        self.assertFalse(
            self.Partner.with_user(self.viewer).search(
                [("kunde_health", "=", "red"), ("id", "=", customer_b.id)]
            )
        )
        # A shared contact is judged on the main company's cases only; the
        # reasons (figures) are for the main company's users.
        shared = self.Partner.create({"name": "Delt Kunde", "is_company": True})
        self.Case.create(
            [
                {
                    "name": f"Nord delt {i}",
                    "partner_id": shared.id,
                    "team_id": team_b.id,
                    "category_id": category_b.id,
                    "date_received": NOW - timedelta(days=1),
                }
                for i in range(5)
            ]
        )
        self.assertEqual(self._health(shared), ("green", ""))
        user_b = new_test_user(
            self.env,
            "kc_health_b",
            groups="kunde_crm.kunde_crm_group_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self._cases(5, NOW - timedelta(days=1), partner=shared)
        self.assertEqual(self._health(shared)[0], "amber")
        self.assertFalse(shared.with_user(user_b).kunde_health_reasons)
        self.assertTrue(shared.with_user(self.viewer).kunde_health_reasons)
        # Amounts are those of the reader's current company only.
        with freeze_time(NOW):
            self._invoice(shared, 700, NOW.date() - timedelta(days=3))
            self.assertEqual(shared.with_user(self.viewer).kunde_overdue_amount, 700)
            self.assertEqual(shared.with_user(user_b).kunde_overdue_amount, 0)


@tagged("post_install", "-at_install", "is_query_count")
class TestHealthPerformances(HealthCase):
    def _customers(self, size):
        partners = self.Partner.create(
            [{"name": f"Perf {size} {i}", "is_company": True} for i in range(size)]
        )
        contacts = self.Partner.create(
            [
                {"name": f"Kontakt {i}", "parent_id": p.id}
                for i, p in enumerate(partners)
            ]
        )
        cases = self.Case.create(
            [
                {
                    "name": f"Perf {i}",
                    "partner_id": c.id,
                    "team_id": self.team.id,
                    "category_id": self.bad_category.id,
                    "date_received": NOW - timedelta(days=i % 60),
                }
                for i, c in enumerate(contacts)
            ]
        )
        for case in cases[:3]:
            self._rate(case, 2, NOW - timedelta(days=3))
        return partners | contacts

    def test_figures_of_a_list_of_customers(self):
        """The 360 figures of 1 or 80 customers (a list page) cost the same."""

        names = [
            *HEALTH_FIELDS,
            "kunde_overdue_count",
            "kunde_stat_open",
            "kunde_stat_categories",
            "kunde_days_since_contact",
        ]

        counts = {}
        with freeze_time(NOW):
            for size in (1, 80):
                partners = self._customers(size)
                partners.with_user(self.agent).read(names)
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                with self.assertQueryCount(20):
                    partners.with_user(self.agent).read(names)
                counts[size] = self.cr.sql_log_count - before
        # (the first size also warms caches that outlive a request)
        self.assertLessEqual(counts[80], counts[1], counts)

    def test_refresh_of_a_batch(self):
        """The nightly batch's queries do not grow with its size.

        Constant, but for the ORM's UPDATEs, batched by 100 rows: 80 customers
        and their 80 contacts are written in two.
        """
        counts = {}
        with freeze_time(NOW):
            for size in (1, 80):
                partners = self._customers(size).filtered("is_company")
                partners._kunde_health_refresh()
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                with self.assertQueryCount(16):
                    partners._kunde_health_refresh()
                    self.env.flush_all()
                counts[size] = self.cr.sql_log_count - before
        self.assertLessEqual(counts[80], counts[1] + 1, counts)
