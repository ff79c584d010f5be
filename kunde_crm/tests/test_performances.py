"""Query counts of the paths users hit all day, pinned for 1 and for 50 records.

Each path is measured twice, with one record and with fifty: the counts must be
the same (no query per row) and no higher than the pinned number. A change that
adds a query per row fails here long before a customer notices it.
"""

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import HttpCase

from .common import KundeCrmCase

SIZES = (1, 50)


class QueryCountMixin:
    def _assert_constant(self, prepare, run, pinned):
        """run(prepare(size)) costs the same queries for every size, and no
        more than ``pinned`` (assertQueryCount). Each run is measured after a
        first one has warmed the caches that live longer than a request."""
        counts = {}
        for size in SIZES:
            argument = prepare(size)
            run(argument)
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(pinned):
                before = self.cr.sql_log_count
                run(argument)
                self.env.flush_all()
                counts[size] = self.cr.sql_log_count - before
        self.assertEqual(
            counts[SIZES[0]],
            counts[SIZES[-1]],
            f"the query count grows with the number of records: {counts}",
        )


@tagged("post_install", "-at_install", "is_query_count")
class TestPerformances(QueryCountMixin, KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            "kc_perf_accountant",
            groups="account.group_account_invoice,kunde_crm.kunde_crm_group_viewer",
        )
        cls.queue_spec = {
            name: {"fields": {"display_name": {}}}
            if cls.Case._fields[name].type == "many2one"
            else {}
            for name in (
                "reference",
                "name",
                "partner_id",
                "category_id",
                "priority",
                "stage_id",
                "team_id",
                "user_id",
                "company_id",
                "date_received",
                "age",
                "sla_status",
                "sla_deadline",
                "channel",
            )
        }
        cls.queue_spec["tag_ids"] = {"fields": {"display_name": {}}}

    def _team_with_cases(self, size, **vals):
        """A fresh team of the agent with ``size`` open cases, each its own
        customer and category (so that no row shares a related record)."""
        team = self.env["kunde.team"].create(
            {"name": f"Perf team {size}", "member_ids": [Command.set(self.agent.ids)]}
        )
        partners = self.env["res.partner"].create(
            [
                {"name": f"Perf customer {size}-{i}", "email": f"p{size}-{i}@ex.no"}
                for i in range(size)
            ]
        )
        categories = self.env["kunde.case.category"].create(
            [{"name": f"Perf category {size}-{i}"} for i in range(size)]
        )
        cases = self.Case.create(
            [
                dict(
                    {
                        "name": f"Perf case {i}",
                        "team_id": team.id,
                        "partner_id": partner.id,
                        "category_id": category.id,
                    },
                    **vals,
                )
                for i, (partner, category) in enumerate(
                    zip(partners, categories, strict=True)
                )
            ]
        )
        return team, cases

    def _agents_queue(self, size):
        """A team of ``size`` open cases, the agent's only team (so My Queue
        and take-next see its cases alone)."""
        team, _cases = self._team_with_cases(size)
        (self.env["kunde.team"].search([]) - team).member_ids = [
            Command.unlink(self.agent.id)
        ]
        return team

    def test_my_queue_page(self):
        def run(team):
            result = self.Case.with_user(self.agent).web_search_read(
                [("in_my_queue", "=", True)], self.queue_spec, limit=80
            )
            self.assertEqual(result["length"], len(team.case_ids))

        self._assert_constant(self._agents_queue, run, 9)

    def test_board_grouped_by_stage(self):
        def run(team):
            groups = self.Case.with_user(self.agent).web_read_group(
                [("team_id", "=", team.id), ("is_closed", "=", False)],
                ["stage_id"],
                ["stage_id"],
            )
            self.assertEqual(
                sum(group["stage_id_count"] for group in groups["groups"]),
                len(team.case_ids),
            )

        self._assert_constant(self._agents_queue, run, 4)

    def test_take_next(self):
        def prepare(size):
            return self._agents_queue(size + 1)  # the warm-up run takes one

        def run(team):
            action = self.Case.with_user(self.agent).action_take_next()
            self.assertEqual(action["res_model"], "kunde.case")

        self._assert_constant(prepare, run, 8)

    def test_case_list_with_ratings(self):
        """The case list and board show each case's rating: a stored column,
        read with the rows, never a query per case."""
        spec = dict(self.queue_spec, csat_rating={}, date_closed={})

        def prepare(size):
            team, cases = self._team_with_cases(size)
            cases.action_close()
            for rate, case in zip((5, 3, 1) * size, cases, strict=False):
                case.sudo().write({"csat_rating": rate, "csat_rated": 1})
            return team

        def run(team):
            result = self.Case.with_user(self.agent).web_search_read(
                [("team_id", "=", team.id)], spec, limit=80
            )
            self.assertEqual(result["length"], len(team.case_ids))
            self.assertTrue(all(row["csat_rating"] for row in result["records"]))

        self._assert_constant(prepare, run, 8)

    def test_close_marks_the_survey(self):
        """Closing many cases marks them for the survey job in one write."""

        def prepare(size):
            cases = self._team_with_cases(size)[1]
            cases.action_close()
            return cases

        def run(cases):
            cases.sudo().write({"rating_request_pending": False})
            cases.with_user(self.agent)._rating_mark_pending(self.stage_solved.id)
            self.assertTrue(all(cases.mapped("rating_request_pending")))

        self._assert_constant(prepare, run, 9)

    def test_partner_smart_buttons(self):
        spec = {
            "kunde_case_count": {},
            "kunde_case_open_count": {},
            "kunde_stat_open": {},
            "kunde_stat_last_90_days": {},
            "kunde_stat_avg_first_response": {},
            "kunde_stat_avg_close": {},
        }

        def prepare(size):
            company = self.env["res.partner"].create(
                {"name": f"Perf company {size}", "is_company": True}
            )
            contacts = self.env["res.partner"].create(
                [
                    {"name": f"Perf contact {size}-{i}", "parent_id": company.id}
                    for i in range(size)
                ]
            )
            self.Case.create(
                [
                    {"name": "Perf", "team_id": self.team.id, "partner_id": c.id}
                    for c in contacts
                ]
            )
            return company

        def run(company):
            values = company.with_user(self.manager).web_read(spec)[0]
            self.assertEqual(values["kunde_case_count"], len(company.child_ids))

        self._assert_constant(prepare, run, 12)

    def test_invoice_smart_button(self):
        product = self.env["product.product"].create({"name": "Perf product"})

        def prepare(size):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": product.id, "price_unit": 100})
                    ],
                }
            )
            self.Case.create(
                [
                    {
                        "name": f"About the invoice {i}",
                        "team_id": self.team.id,
                        "partner_id": self.customer.id,
                        "invoice_ids": [Command.link(invoice.id)],
                    }
                    for i in range(size)
                ]
            )
            return invoice

        def run(invoice):
            values = invoice.with_user(self.accountant).web_read(
                {"kunde_case_count": {}}
            )[0]
            self.assertEqual(values["kunde_case_count"], len(invoice.kunde_case_ids))

        self._assert_constant(prepare, run, 4)


@tagged("post_install", "-at_install", "is_query_count")
class TestPortalPerformances(QueryCountMixin, HttpCase):
    def test_portal_case_list(self):
        team = self.env["kunde.team"].create({"name": "Portal perf team"})
        category = self.env["kunde.case.category"].create(
            {"name": "Perf public", "is_public": True}
        )
        users = {}

        def prepare(size):
            company = self.env["res.partner"].create(
                {"name": f"Portal perf company {size}", "is_company": True}
            )
            login = f"kc_portal_perf_{size}"
            user = new_test_user(self.env, login, groups="base.group_portal")
            user.partner_id.parent_id = company
            users[size] = user
            self.env["kunde.case"].create(
                [
                    {
                        "name": f"Portal perf case {i}",
                        "team_id": team.id,
                        "partner_id": user.partner_id.id,
                        "category_id": category.id,
                    }
                    for i in range(size)
                ]
            )
            self.authenticate(login, login)
            self.url_open("/my/cases")  # warm the session and the routing
            return size

        def run(size):
            response = self.url_open("/my/cases")
            self.assertEqual(response.status_code, 200)
            self.assertIn(f"Portal perf case {size - 1}", response.text)

        # 10 queries, 11 with Website installed (its page layout reads one more).
        self._assert_constant(prepare, run, 11)
