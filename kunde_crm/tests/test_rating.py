"""Satisfaction (CSAT) after close: who gets the survey, the rating, its follow-up,
the report figures, and the attacks on ratings."""

import base64
import io
from datetime import date, datetime

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import KundeCrmCase, load_norwegian

SURVEY_SUBJECT = "How did we do?"


class RatingCase(KundeCrmCase):
    """Shared helpers: close a case, run the survey job, rate as the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.lang = "en_US"
        cls.team.user_id = cls.manager  # the team leader

    def _close_and_survey(self, *cases):
        for case in cases:
            case.with_user(self.agent).action_close()
        self.env["kunde.case"]._cron_send_rating_requests()

    def _surveys(self, partner=None):
        return self.env["mail.mail"].search(
            [
                ("recipient_ids", "in", (partner or self.customer).ids),
                ("subject", "like", "%" + SURVEY_SUBJECT),
            ]
        )

    def _token(self, case):
        rating = (
            self.env["rating.rating"]
            .sudo()
            .search([("res_model", "=", "kunde.case"), ("res_id", "=", case.id)])
        )
        self.assertEqual(len(rating), 1, "one survey, one rating token per case")
        return rating.access_token

    def _rate(self, case, rate, feedback=None):
        """As the survey page does: the system, after the token matched."""
        return case.sudo().rating_apply(
            rate, token=self._token(case), feedback=feedback
        )


@tagged("post_install", "-at_install")
class TestRatingRules(RatingCase):
    def test_close_sends_one_survey_after_commit(self):
        case = self._case()
        case.with_user(self.agent).action_close()
        # Nothing is sent while closing: the case waits for the job.
        self.assertTrue(case.rating_request_pending)
        self.assertFalse(self._surveys())
        self.env["kunde.case"]._cron_send_rating_requests()
        survey = self._surveys()
        self.assertEqual(len(survey), 1)
        self.assertFalse(case.rating_request_pending)
        self.assertTrue(case.rating_requested_on)
        self.assertIn("/kunde/rate/" + self._token(case) + "/5", survey.body_html)
        self.assertIn(case.reference, survey.subject)
        # The mail is an automatic one, and its links are not in the chatter.
        self.assertIn("Auto-Submitted", survey.headers)
        self.assertFalse(survey.model)
        self.assertNotIn(
            self._token(case), "".join(case.message_ids.mapped(lambda m: str(m.body)))
        )
        # One request per case, ever: reopened and closed again, no second one.
        case.action_reopen()
        case.action_close()
        self.assertFalse(case.rating_request_pending)
        self.env["kunde.case"]._cron_send_rating_requests()
        self.assertEqual(len(self._surveys()), 1)

    def test_no_survey_when_team_off(self):
        self.team.rating_request = False
        self._close_and_survey(self._case())
        self.assertFalse(self._surveys())

    def test_no_survey_for_spam_stage_or_category(self):
        spam_stage = self.env["kunde.case.stage"].create(
            {"name": "Spam", "is_closed": True, "rating_excluded": True, "sequence": 99}
        )
        duplicate = self.env["kunde.case.category"].create(
            {"name": "Duplikat", "rating_excluded": True}
        )
        by_stage = self._case()
        by_stage.with_user(self.agent).write({"stage_id": spam_stage.id})
        by_category = self._case(category_id=duplicate.id)
        self._close_and_survey(by_category)
        self.assertTrue(by_stage.is_closed)
        self.assertFalse(self._surveys())
        self.assertFalse(
            by_stage.rating_requested_on or by_category.rating_requested_on
        )

    def test_no_survey_for_internal_cases(self):
        colleague = self._case(partner_id=self.agent2.partner_id.id)
        own_company = self._case(partner_id=self.env.company.partner_id.id)
        no_customer = self._case(partner_id=False)
        self._close_and_survey(colleague, own_company, no_customer)
        self.assertFalse(
            self.env["mail.mail"].search([("subject", "like", "%" + SURVEY_SUBJECT)])
        )

    def test_no_survey_to_automatic_or_unverified_senders(self):
        Case = self.env["kunde.case"]
        automatic = Case.create(
            Case._customer_case_values(
                {
                    "name": "Out of office",
                    "partner_id": self.customer.id,
                    "team_id": self.team.id,
                },
                "email",
                automatic=True,
            )
        )
        self.assertTrue(automatic.from_automatic_email)
        unverified = self._case(sender_unverified=True)
        daemon = self.env["res.partner"].create(
            {"name": "Mail Delivery System", "email": "MAILER-DAEMON@example.no"}
        )
        bounce = self._case(partner_id=daemon.id)
        self._close_and_survey(automatic, unverified, bounce)
        self.assertFalse(
            self.env["mail.mail"].search([("subject", "like", "%" + SURVEY_SUBJECT)])
        )

    def test_min_days_between_surveys_to_the_same_customer(self):
        self.team.rating_min_days = 30
        with freeze_time("2026-03-01 10:00:00"):
            first, second = self._case(), self._case()
            self._close_and_survey(first, second)  # same batch: one survey
        self.assertEqual(len(self._surveys()), 1)
        self.assertTrue(first.rating_requested_on)
        self.assertFalse(second.rating_requested_on)
        with freeze_time("2026-03-30 10:00:00"):  # 29 days later: still none
            self._close_and_survey(self._case())
        self.assertEqual(len(self._surveys()), 1)
        with freeze_time("2026-03-31 10:00:01"):  # 30 days later: one more
            self._close_and_survey(self._case())
        self.assertEqual(len(self._surveys()), 2)

    def test_reopened_before_the_job_gets_none(self):
        case = self._case()
        case.with_user(self.agent).action_close()
        case.with_user(self.agent).action_reopen()
        self.env["kunde.case"]._cron_send_rating_requests()
        self.assertFalse(self._surveys())
        # Closed for good later: it gets its survey then.
        self._close_and_survey(case)
        self.assertEqual(len(self._surveys()), 1)

    def test_team_min_days_cannot_be_negative(self):
        with self.assertRaises(ValidationError):
            self.team.rating_min_days = -1

    def test_survey_in_the_customers_language(self):
        load_norwegian(self.env)
        self.customer.lang = "nb_NO"
        self._close_and_survey(self._case())
        survey = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.customer.ids)]
        )
        self.assertEqual(len(survey), 1)
        self.assertIn("Hvor fornøyd er du", survey.subject)
        self.assertIn("Klikk på et fjes", survey.body_html)
        self.assertNotIn("Click a face", survey.body_html)


@tagged("post_install", "-at_install")
class TestRatingApply(RatingCase):
    def test_rating_recorded_once_and_shown(self):
        case = self._case(user_id=self.agent.id)
        self._close_and_survey(case)
        self._rate(case, 5, feedback="Rask og hyggelig hjelp")
        self.assertEqual(case.csat_rating, 5)
        self.assertEqual(case.csat_satisfied, 100.0)
        self.assertEqual(case.csat_feedback, "Rask og hyggelig hjelp")
        self.assertTrue(case.csat_rated_on)
        self.assertEqual(case.rating_last_value, 5)
        message = case.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("kunde_crm.mt_case_rating")
        )
        self.assertEqual(len(message), 1)
        self.assertIn("Rask og hyggelig hjelp", str(message.body))
        self.assertEqual(message.author_id, self.customer)
        # Still closed: a rating is not a customer reply.
        self.assertTrue(case.is_closed)
        # A second rating does not overwrite the first.
        with self.assertRaises(UserError):
            self._rate(case, 1, feedback="Endret mening")
        self.assertEqual(case.csat_rating, 5)
        self.assertEqual(case.csat_feedback, "Rask og hyggelig hjelp")

    def test_bad_rate_values_change_nothing(self):
        case = self._case()
        self._close_and_survey(case)
        for rate in (0, 2, 4, 6, -1):
            with self.assertRaises(UserError):
                self._rate(case, rate)
        self.assertFalse(case.csat_rating)
        rating = (
            self.env["rating.rating"]
            .sudo()
            .search([("res_model", "=", "kunde.case"), ("res_id", "=", case.id)])
        )
        self.assertFalse(rating.consumed)

    def test_token_of_another_case_is_refused(self):
        case, other = self._case(), self._case(partner_id=self.other_customer.id)
        self._close_and_survey(case, other)
        with self.assertRaises(UserError):
            case.sudo().rating_apply(5, token=self._token(other))
        self.assertFalse(case.csat_rating or other.csat_rating)

    def test_dissatisfied_gives_leader_an_activity_and_a_note(self):
        case = self._case(user_id=self.agent.id)
        self._close_and_survey(case)
        self._rate(case, 1, feedback="Ingen svarte meg")
        activity = case.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)  # the team leader
        self.assertEqual(activity.summary, "Dissatisfied customer")
        note = case.message_ids.filtered(
            lambda m: "dissatisfied" in str(m.body) and m.subtype_id.internal
        )
        self.assertEqual(len(note), 1)
        self.assertIn("Ingen svarte meg", str(note.body))

    def test_dissatisfied_without_leader_goes_to_the_agent(self):
        self.team.user_id = False
        case = self._case(user_id=self.agent.id)
        self._close_and_survey(case)
        self._rate(case, 1)
        self.assertEqual(case.activity_ids.user_id, self.agent)

    def test_satisfied_gives_no_activity(self):
        case = self._case(user_id=self.agent.id)
        self._close_and_survey(case)
        self._rate(case, 3)
        self.assertFalse(case.activity_ids)


@tagged("post_install", "-at_install")
class TestRatingAttacks(RatingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env,
            "kc_rating_portal",
            groups="base.group_portal",
            name="Kari Portal",
            email="kari.portal@fjord.example",
        )
        cls.portal.partner_id.parent_id = cls.customer_company
        cls.viewer = new_test_user(
            cls.env, "kc_rating_viewer", groups="kunde_crm.kunde_crm_group_viewer"
        )
        cls.public = cls.env.ref("base.public_user")

    def setUp(self):
        super().setUp()
        self.case = self._case(partner_id=self.portal.partner_id.id)
        self._close_and_survey(self.case)

    def test_nobody_writes_rating_fields(self):
        for user in (self.agent, self.manager, self.viewer, self.portal):
            for field, value in (
                ("csat_rating", 5),
                ("csat_satisfied", 100),
                ("csat_feedback", "forged"),
                ("rating_requested_on", False),
                ("rating_request_pending", True),
            ):
                with self.assertRaises(AccessError, msg=f"{user.login} {field}"):
                    self.case.with_user(user).write({field: value})
        self.assertFalse(self.case.csat_rating)

    def test_agent_cannot_forge_a_rating(self):
        token = self._token(self.case)
        with self.assertRaises(AccessError):
            self.env["kunde.case"].with_user(self.agent).create(
                {"name": "Forged", "team_id": self.team.id, "csat_rating": 5}
            )
        Rating = self.env["rating.rating"].with_user(self.agent)
        # The case's rating and its token are hidden from agents and managers.
        self.assertFalse(Rating.search([("res_model", "=", "kunde.case")]))
        self.assertFalse(
            self.env["rating.rating"]
            .with_user(self.manager)
            .search([("access_token", "=", token)])
        )
        with self.assertRaises(AccessError):
            self.case.with_user(self.agent).rating_apply(5, token=token)
        model_id = self.env["ir.model"]._get_id("kunde.case")
        with self.assertRaises(AccessError):
            Rating.create(
                {"res_model_id": model_id, "res_id": self.case.id, "rating": 5}
            )
        # Created for another document, then moved onto the case.
        stray = Rating.create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "rating": 5,
                "consumed": True,
            }
        )
        with self.assertRaises(AccessError):
            stray.write({"res_model_id": model_id})
        with self.assertRaises(AccessError):
            self.case.with_user(self.agent).write(
                {"rating_ids": [Command.create({"rating": 5, "consumed": True})]}
            )
        with self.assertRaises(AccessError):
            self.case.with_user(self.agent).message_post(
                body="5 stars", rating_value=5, message_type="comment"
            )
        self.assertFalse(self.case.csat_rating)
        self.assertEqual(self.case.rating_last_value, 0)

    def test_portal_and_public_cannot_rate_over_rpc(self):
        token = self._token(self.case)
        for user in (self.portal, self.public):
            with self.assertRaises(AccessError):
                self.case.with_user(user).rating_apply(5, token=token)
        # Odoo's chatter accepts a rating with a message: not on a case.
        with self.assertRaises(AccessError):
            self.case.with_user(self.portal).message_post(
                body="Fantastisk", rating_value=5, message_type="comment"
            )
        with self.assertRaises(AccessError):
            self.env["rating.rating"].with_user(self.portal).search_read(
                [("access_token", "=", token)]
            )
        self.assertFalse(self.case.csat_rating)

    def test_customer_does_not_read_the_rating_fields(self):
        self._rate(self.case, 1, feedback="intern kommentar")
        with self.assertRaises(AccessError):
            self.case.with_user(self.portal).read(["csat_feedback"])


@tagged("post_install", "-at_install")
class TestRatingReports(RatingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.viewer = new_test_user(
            cls.env,
            "kc_csat_viewer",
            groups="kunde_crm.kunde_crm_group_viewer",
            lang="en_US",
        )
        cls.private_team = cls.env["kunde.team"].create(
            {
                "name": "Hemmelig",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )

    def _rated(self, rate, feedback=None, **vals):
        self.counter = getattr(self, "counter", 0) + 1
        partner = self.env["res.partner"].create(
            {"name": f"Kunde {self.counter}", "email": f"k{self.counter}@example.no"}
        )
        vals.setdefault("date_received", datetime(2026, 3, 2, 9))
        case = self._case(partner_id=partner.id, user_id=self.agent.id, **vals)
        self._close_and_survey(case)
        self._rate(case, rate, feedback=feedback)
        return case

    def _data(self):
        with freeze_time("2026-03-15 10:00:00"):
            self.rated = (
                self._rated(5, "Veldig bra")
                | self._rated(3)
                | self._rated(1, "Treg")
                | self._rated(5, "Hemmelig ros", team_id=self.private_team.id)
            )
            # Closed, surveyed, never rated: counts nowhere.
            self.unrated = self._case(date_received=datetime(2026, 3, 3, 9))
            self._close_and_survey(self.unrated)

    def test_pivot_averages_rated_cases_only(self):
        self._data()
        groups = self.Case.with_user(self.viewer).read_group(
            [("team_id", "=", self.team.id)],
            ["csat_rating:avg", "csat_satisfied:avg", "csat_rated:sum"],
            ["user_id", "csat_rated_on:month"],
            lazy=False,
        )
        self.assertEqual(len(groups), 2)  # the rated month, the unrated case
        rated = next(g for g in groups if g["csat_rated_on:month"])
        self.assertEqual(rated["csat_rated"], 3)
        self.assertAlmostEqual(rated["csat_rating"], 3.0)
        self.assertAlmostEqual(rated["csat_satisfied"], 100.0 / 3)
        unrated = next(g for g in groups if not g["csat_rated_on:month"])
        self.assertFalse(unrated["csat_rating"])
        self.assertFalse(unrated["csat_satisfied"])
        # Per category, all teams the viewer reads (not the private team).
        category = self.Case.with_user(self.viewer).read_group(
            [], ["csat_rating:avg", "csat_rated:sum"], ["category_id"]
        )
        self.assertEqual(category[0]["csat_rated"], 3)
        self.assertAlmostEqual(category[0]["csat_rating"], 3.0)

    def test_trend_shows_satisfaction(self):
        self._data()
        Trend = self.env["kunde.case.trend"].with_user(self.viewer)
        action = Trend.action_open(date(2026, 3, 1), date(2026, 3, 31))
        row = Trend.search(action["domain"]).filtered(
            lambda r: r.category_id == self.category
        )
        self.assertEqual(row.csat_count, 3)
        self.assertAlmostEqual(row.csat_avg, 3.0)
        self.assertAlmostEqual(row.csat_satisfied, 100.0 / 3)

    def test_workbook_satisfaction_sheet(self):
        self._data()
        with freeze_time("2026-04-02 10:00:00"):
            wizard = (
                self.env["kunde.case.report.wizard"]
                .with_user(self.viewer)
                .create({"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)})
            )
            wizard.action_generate()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        sheet = book["Satisfaction"]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(
            rows[0][:5],
            ("Breakdown", "Name", "Ratings", "Average (1 to 5)", "Satisfied (5 of 5)"),
        )
        by_key = {(row[0], row[1]): row[2:5] for row in rows[1:] if row[0]}
        self.assertEqual(by_key[("Team", "Team A")][0], 3)
        self.assertAlmostEqual(by_key[("Team", "Team A")][1], 3.0)
        self.assertAlmostEqual(by_key[("Team", "Team A")][2], 1 / 3)
        self.assertEqual(by_key[("Agent", self.agent.name)][0], 3)
        self.assertEqual(by_key[("Category", "Faktura")][0], 3)
        self.assertEqual(by_key[("Month", datetime(2026, 3, 1))][0], 3)
        self.assertNotIn(("Team", "Hemmelig"), by_key)
        texts = {value for row in rows for value in row if isinstance(value, str)}
        self.assertIn("Veldig bra", texts)
        self.assertIn("Treg", texts)
        self.assertNotIn("Hemmelig ros", texts)  # a private team's comment
        summary = {
            row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
        }
        self.assertEqual(summary["Satisfaction ratings"], 3)
        self.assertAlmostEqual(summary["Satisfied customers (5 of 5)"], 1 / 3)

    def test_monthly_mail_names_satisfaction(self):
        self._data()
        recipient = self.env["res.partner"].create(
            {"name": "Ledelsen", "email": "ledelsen@example.no", "lang": "en_US"}
        )
        self.env.company.kunde_report_partner_ids = recipient
        with freeze_time("2026-04-01 05:00:00"):
            self.env["kunde.case.report.wizard"]._cron_send_monthly_report()
        mail = self.env["mail.mail"].search([("recipient_ids", "in", recipient.ids)])
        # Built for outsiders: never a members-only team's ratings.
        self.assertIn("Satisfaction: 3 ratings, on average 3.0 of 5", mail.body_html)
        self.assertIn("33 % satisfied", mail.body_html)
