"""Customer health: reasons at their thresholds, the hooks, the nightly job, i18n."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import KundeCrmCase, load_norwegian

NOW = datetime(2026, 6, 15, 12, 0, 0)


class HealthCase(KundeCrmCase):
    """Helpers: cases, ratings and invoices at a given moment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.rating_model = cls.env["ir.model"]._get("kunde.case")
        cls.bad_category = cls.env["kunde.case.category"].create(
            {"name": "Feil på faktura"}
        )
        # The customers here have no company: the main company judges them.
        # Each test speaks of one signal; the average is switched on where
        # it is the subject.
        cls.main_company = cls.env.ref("base.main_company")
        cls.main_company.kunde_health_satisfaction_amber = 0

    @contextmanager
    def _at(self, when):
        """Frozen time, and a transaction that started then (write_date)."""
        if not isinstance(when, datetime):
            when = datetime.combine(when, time(12))
        self.env.flush_all()
        saved = self.cr._now
        with freeze_time(when):
            self.cr._now = when
            try:
                yield
                self.env.flush_all()
            finally:
                self.cr._now = saved

    def _rate(self, case, value, when):
        with self._at(when):
            return self.env["rating.rating"].create(
                {
                    "res_model_id": self.rating_model.id,
                    "res_id": case.id,
                    "partner_id": case.partner_id.id,
                    "rating": value,
                    "consumed": True,
                }
            )

    def _cases(self, count, when, partner=None, category=None):
        partner = partner or self.customer
        return self.Case.create(
            [
                {
                    "name": f"Sak {i}",
                    "partner_id": partner.id,
                    "team_id": self.team.id,
                    "category_id": (category or self.bad_category).id,
                    "date_received": when,
                }
                for i in range(count)
            ]
        )

    def _invoice(self, partner, amount, due, invoice_date=None):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date or due - timedelta(days=30),
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
        move.action_post()
        return move

    def _health(self, partner, when=NOW):
        with self._at(when):
            partner._kunde_health_refresh()
        partner.invalidate_recordset()
        return partner.kunde_health, partner.kunde_health_reasons or ""


@tagged("post_install", "-at_install")
class TestHealthThresholds(HealthCase):
    def test_dissatisfied_ratings_around_thresholds_and_window(self):
        company = self.customer_company
        case = self._cases(1, NOW - timedelta(days=100))
        self.assertEqual(self._health(company), ("green", ""))
        # Exactly 90 days ago: outside the window; a second later: inside.
        self._rate(case, 1, NOW - timedelta(days=90))
        self.assertEqual(self._health(company)[0], "green")
        self._rate(case, 2, NOW - timedelta(days=90) + timedelta(seconds=1))
        self.assertEqual(
            self._health(company), ("amber", "1 dissatisfied rating in 90 days")
        )
        # A satisfied one changes nothing; a second dissatisfied one: red.
        self._rate(case, 5, NOW - timedelta(days=1))
        self.assertEqual(self._health(company)[0], "amber")
        self._rate(case, 1, NOW - timedelta(days=1))
        self.assertEqual(
            self._health(company), ("red", "2 dissatisfied ratings in 90 days")
        )
        # Ratings not consumed (requests sent, not answered) do not count.
        self.env["rating.rating"].create(
            {
                "res_model_id": self.rating_model.id,
                "res_id": case.id,
                "rating": 1,
                "consumed": False,
            }
        )
        self.assertEqual(self._health(company)[0], "red")

    def test_overdue_invoice_around_thresholds(self):
        company = self.customer_company
        due = NOW.date() - timedelta(days=40)
        with freeze_time(due - timedelta(days=5)):
            self._invoice(company, 1000, due)
        for days, expected in ((0, "green"), (14, "green"), (15, "amber")):
            with self.subTest(days=days):
                health, reasons = self._health(company, due + timedelta(days=days))
                self.assertEqual(health, expected)
        self.assertEqual(reasons, "Invoice overdue 15 days")
        self.assertEqual(self._health(company, due + timedelta(days=29))[0], "amber")
        self.assertEqual(
            self._health(company, due + timedelta(days=30)),
            ("red", "Invoice overdue 30 days"),
        )

    def test_case_burst_around_thresholds_and_window(self):
        company = self.customer_company
        # Received exactly 30 days ago: outside the window.
        self._cases(1, NOW - timedelta(days=30))
        self._cases(4, NOW - timedelta(days=29))
        self.assertEqual(self._health(company)[0], "green")
        # The fifth inside 30 days: amber; another category does not add up.
        self._cases(3, NOW - timedelta(days=1), category=self.category)
        self.assertEqual(self._health(company)[0], "green")
        self._cases(1, NOW - timedelta(days=30) + timedelta(seconds=1))
        self.assertEqual(
            self._health(company),
            ("amber", "5 cases in 30 days about Feil på faktura"),
        )
        self._cases(4, NOW - timedelta(hours=1))
        self.assertEqual(self._health(company)[0], "amber")
        self._cases(1, NOW - timedelta(hours=1))
        self.assertEqual(
            self._health(company),
            ("red", "10 cases in 30 days about Feil på faktura"),
        )

    def test_satisfaction_average_over_12_months(self):
        self.main_company.kunde_health_satisfaction_amber = 3.0
        company = self.customer_company
        case = self._cases(1, NOW - timedelta(days=400))
        # Dissatisfied ratings older than 90 days: only the average speaks.
        self._rate(case, 5, NOW - timedelta(days=365))  # just outside 12 months
        self._rate(case, 2, NOW - timedelta(days=200))
        self._rate(case, 4, NOW - timedelta(days=100))
        self.assertEqual(self._health(company)[0], "green")  # (2 + 4) / 2 = 3.0
        self.assertEqual(company.kunde_satisfaction_avg, 3.0)
        self._rate(case, 2, NOW - timedelta(days=365) + timedelta(seconds=1))
        health, reasons = self._health(company)
        self.assertAlmostEqual(company.kunde_satisfaction_avg, 8 / 3, places=2)
        self.assertEqual(
            (health, reasons),
            ("amber", "Average satisfaction 2.7 of 5 over 12 months"),
        )

    def test_case_dates_and_contacts_carry_the_company_health(self):
        company = self.customer_company
        first = self._cases(1, NOW - timedelta(days=300))
        self._cases(5, NOW - timedelta(days=3))
        self._cases(1, NOW - timedelta(days=2), partner=company, category=self.category)
        self._health(company)
        self.assertEqual(company.kunde_first_case_date, first.date_received)
        self.assertEqual(company.kunde_last_case_date, NOW - timedelta(days=2))
        # The contacts show their company's health, new contacts too.
        self.assertEqual(self.customer.kunde_health, "amber")
        self.assertEqual(self.customer.kunde_last_case_date, NOW - timedelta(days=2))
        newcomer = self.Partner.create({"name": "Ny", "parent_id": company.id})
        self.assertEqual(newcomer.kunde_health, "amber")
        self.assertEqual(
            newcomer.kunde_health_reasons, "5 cases in 30 days about Feil på faktura"
        )
        # A customer without any case is green, with empty dates.
        self.assertEqual(self._health(self.other_customer)[0], "green")
        self.assertFalse(self.other_customer.kunde_first_case_date)

    def test_thresholds_are_validated(self):
        company = self.env.company
        for vals in (
            {"kunde_health_bad_ratings_red": 0},
            {"kunde_health_overdue_days_amber": 40},
            {"kunde_health_burst_days": 0},
            {"kunde_health_satisfaction_amber": 6},
        ):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    company.write(vals)


@tagged("post_install", "-at_install")
class TestHealthHooks(HealthCase):
    def test_closing_a_case_decides_the_health_again(self):
        company = self.customer_company
        with self._at(NOW):
            cases = self._cases(5, NOW - timedelta(days=2))
            self.assertFalse(company.kunde_health)  # not checked yet
            cron = self.env.ref("kunde_crm.ir_cron_kunde_customer_refresh")
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            cases[0].with_user(self.agent).action_close()
            # Not in the agent's transaction: the job is woken for after it.
            company.invalidate_recordset()
            self.assertFalse(company.kunde_health)
            self.assertTrue(cases[0].customer_refresh_pending)
            self.assertTrue(
                self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
                - triggers
            )
            self.Case._cron_refresh_customers()
        company.invalidate_recordset()
        self.assertEqual(company.kunde_health, "amber")
        self.assertEqual(company.kunde_health_date, NOW)
        self.assertFalse(cases[0].customer_refresh_pending)

    def test_refresh_flag_is_the_system_s(self):
        case = self._cases(1, NOW - timedelta(days=2))
        for value in (True, False):
            with self.subTest(value=value), self.assertRaises(AccessError):
                case.with_user(self.agent).write({"customer_refresh_pending": value})

    def test_rating_decides_the_health_again(self):
        company = self.customer_company
        case = self._cases(1, NOW - timedelta(days=2))
        with self._at(NOW):
            case.action_close()
            self.Case._cron_refresh_customers()
        company.invalidate_recordset()
        self.assertEqual(company.kunde_health, "green")
        self._rate(case, 1, NOW)
        company.invalidate_recordset()
        self.assertEqual(company.kunde_health, "amber")
        # A request answered later (write consumed) counts as well.
        with self._at(NOW):
            request = self.env["rating.rating"].create(
                {
                    "res_model_id": self.rating_model.id,
                    "res_id": case.id,
                    "rating": 0,
                    "consumed": False,
                }
            )
            company.invalidate_recordset()
            self.assertEqual(company.kunde_health, "amber")
            request.sudo().write({"rating": 1, "consumed": True})
        company.invalidate_recordset()
        self.assertEqual(company.kunde_health, "red")

    def test_health_cannot_be_set_by_hand(self):
        for user in (self.agent, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.customer_company.with_user(user).write(
                        {"kunde_health": "green"}
                    )
                with self.assertRaises(AccessError):
                    self.Partner.with_user(user).create(
                        {"name": "Grønn", "kunde_health": "green"}
                    )
        # Copying a customer copies no health.
        self._cases(5, NOW - timedelta(days=1))
        self._health(self.customer_company)
        copy = self.customer_company.with_user(self.agent).copy()
        self.assertFalse(copy.sudo().kunde_health)


@tagged("post_install", "-at_install")
class TestHealthCron(HealthCase):
    def test_cron_runs_in_resumable_batches(self):
        partners = self.Partner.create(
            [{"name": f"Kunde {i}", "is_company": True} for i in range(5)]
        )
        self._cases(5, NOW - timedelta(days=1), partner=partners[2])
        cron = self.env.ref("kunde_crm.ir_cron_kunde_health")
        seen = self.Partner
        with self._at(NOW):
            todo = self.Partner.search_count(
                ["|", ("is_company", "=", True), ("parent_id", "=", False)]
                + ["|", ("kunde_health_date", "=", False)]
                + [("kunde_health_date", "<", datetime.combine(NOW, time.min))]
            )
            done = 0
            while True:
                progress = self.env["ir.cron.progress"].create(
                    {"cron_id": cron.id, "done": 0, "remaining": 0}
                )
                Partner = self.Partner.with_context(ir_cron_progress_id=progress.id)
                count = Partner._cron_kunde_health(batch_size=2)
                if not count:
                    break
                done += count
                self.assertLessEqual(count, 2)
                self.assertEqual(progress.done, count)
                self.assertEqual(progress.remaining, max(todo - done, 0))
                batch = self.Partner.search(
                    [("kunde_health_date", "=", NOW)], order="id"
                )
                self.assertFalse((batch - seen) & seen)
                seen = batch
                self.assertLess(done, todo + 1, "the job does not end")
        self.assertEqual(done, todo)
        self.assertTrue(partners <= seen)
        self.assertEqual(
            partners.mapped("kunde_health"), ["green"] * 2 + ["amber"] + ["green"] * 2
        )
        # The next night checks everyone again.
        with self._at(NOW + timedelta(days=1)):
            self.assertEqual(self.Partner._cron_kunde_health(batch_size=3), 3)


@tagged("post_install", "-at_install")
class TestHealthTranslations(HealthCase):
    def test_reasons_in_the_readers_language(self):
        load_norwegian(self.env)
        company = self.customer_company
        case = self._cases(5, NOW - timedelta(days=1))[0]
        self.bad_category.with_context(lang="nb_NO").name = "Feil på faktura"
        self.bad_category.with_context(lang="en_US").name = "Wrong invoice"
        self._rate(case, 1, NOW - timedelta(days=1))
        self._rate(case, 1, NOW - timedelta(days=2))
        self._health(company)
        viewer_en = new_test_user(
            self.env, "kc_health_en", groups="kunde_crm.kunde_crm_group_viewer"
        )
        viewer_nb = new_test_user(
            self.env,
            "kc_health_nb",
            groups="kunde_crm.kunde_crm_group_viewer",
            lang="nb_NO",
        )
        # The web client sends the user's language in the context.
        english = company.with_user(viewer_en).kunde_health_reasons
        reader_nb = company.with_user(viewer_nb).with_context(lang=viewer_nb.lang)
        norwegian = reader_nb.kunde_health_reasons
        self.assertEqual(
            english,
            "2 dissatisfied ratings in 90 days\n5 cases in 30 days about Wrong invoice",
        )
        self.assertEqual(
            norwegian,
            "2 misfornøyde vurderinger på 90 dager\n"
            "5 saker på 30 dager om Feil på faktura",
        )
        with freeze_time(NOW):
            self.assertEqual(reader_nb.kunde_stat_categories, "Feil på faktura: 5")


@tagged("post_install", "-at_install")
class TestHealthFigures(HealthCase):
    def test_figures_of_the_customer_360(self):
        company = self.customer_company
        with freeze_time(NOW):
            self._invoice(company, 1000, NOW.date() - timedelta(days=20))
            self._invoice(self.customer, 300, NOW.date() + timedelta(days=10))
            self._invoice(
                company,
                5000,
                NOW.date() - timedelta(days=370),
                invoice_date=NOW.date() - timedelta(days=400),
            )
            self._cases(2, NOW - timedelta(days=10))
            self._cases(1, NOW - timedelta(days=100), category=self.category)
            self._cases(
                1, NOW - timedelta(days=5), partner=company, category=self.category
            )
            agent = self.customer.with_user(self.lonely_agent)
            self.assertFalse(
                self.lonely_agent.has_group("account.group_account_invoice")
            )
            self.assertEqual(agent.kunde_invoiced_12m, 1300)
            self.assertEqual(agent.kunde_overdue_amount, 6000)
            self.assertEqual(agent.kunde_overdue_count, 2)
            self.assertEqual(agent.kunde_stat_open, 4)
            self.assertEqual(
                agent.kunde_stat_categories, "Feil på faktura: 2\nFaktura: 1"
            )
            self.assertEqual(agent.kunde_days_since_contact, 5)
