"""The satisfaction survey page over real HTTP: a link scanner must not rate."""

import re

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DISABLED_MAIL_CONTEXT

CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestRatingHttp(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        Partner = cls.env["res.partner"]
        cls.team = cls.env["kunde.team"].create({"name": "Kundeservice"})
        company_1 = Partner.create({"name": "Fjord Bakeri AS", "is_company": True})
        company_2 = Partner.create({"name": "Nordlys Elektro AS", "is_company": True})
        cls.customer_1 = new_test_user(
            cls.env,
            "csat_kunde1",
            groups="base.group_portal",
            name="Kari Kunde",
            email="kari@fjord.example",
            password="csat_kunde1-pw",
            lang="en_US",
        )
        cls.customer_1.partner_id.parent_id = company_1
        cls.customer_2 = new_test_user(
            cls.env,
            "csat_kunde2",
            groups="base.group_portal",
            name="Ola Kunde",
            email="ola@nordlys.example",
            password="csat_kunde2-pw",
            lang="en_US",
        )
        cls.customer_2.partner_id.parent_id = company_2
        cls.agent = new_test_user(
            cls.env,
            "csat_agent",
            groups="kunde_crm.kunde_crm_group_agent",
            password="csat_agent-pw",
        )
        cls.case_1 = cls.env["kunde.case"].create(
            {
                "name": "Karis faktura",
                "partner_id": cls.customer_1.partner_id.id,
                "team_id": cls.team.id,
            }
        )
        cls.case_2 = cls.env["kunde.case"].create(
            {
                "name": "Olas strøm",
                "partner_id": cls.customer_2.partner_id.id,
                "team_id": cls.team.id,
            }
        )
        (cls.case_1 | cls.case_2).action_close()
        cls.env["kunde.case"]._cron_send_rating_requests()
        Rating = cls.env["rating.rating"].sudo()
        on_case = [("res_model", "=", "kunde.case")]
        cls.rating_1 = Rating.search(on_case + [("res_id", "=", cls.case_1.id)])
        cls.rating_2 = Rating.search(on_case + [("res_id", "=", cls.case_2.id)])
        cls.token_1 = cls.rating_1.access_token

    def _page(self, url):
        response = self.url_open(url)
        match = CSRF.search(response.text)
        return response, match and match.group(1)

    def _post(self, token, data):
        return self.url_open(
            f"/kunde/rate/{token}/submit", data=data, allow_redirects=False
        )

    def test_get_shows_faces_and_records_nothing(self):
        for _attempt in range(3):  # a mail scanner opens every link, repeatedly
            for rate in (1, 3, 5):
                response, csrf = self._page(f"/kunde/rate/{self.token_1}/{rate}")
                self.assertEqual(response.status_code, 200)
                self.assertTrue(csrf)
                self.assertIn("How satisfied are you", response.text)
                self.assertIn(f'value="{rate}" checked="checked"', response.text)
        self.assertFalse(self.rating_1.consumed)
        self.assertFalse(self.case_1.csat_rating)

    def test_post_records_once(self):
        _response, csrf = self._page(f"/kunde/rate/{self.token_1}/5")
        response = self._post(
            self.token_1,
            {"csrf_token": csrf, "rate": "5", "feedback": "Takk for hjelpen"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("has been recorded", response.text)
        self.case_1.invalidate_recordset()
        self.assertEqual(self.case_1.csat_rating, 5)
        self.assertEqual(self.case_1.csat_feedback, "Takk for hjelpen")
        # A second POST (another face) does not overwrite it.
        response = self._post(
            self.token_1, {"csrf_token": csrf, "rate": "1", "feedback": "Nei"}
        )
        self.assertEqual(response.status_code, 409)
        self.assertIn("already been rated", response.text)
        self.case_1.invalidate_recordset()
        self.assertEqual(self.case_1.csat_rating, 5)
        self.assertEqual(self.case_1.csat_feedback, "Takk for hjelpen")
        # The page now says so, and offers no form.
        response, csrf = self._page(f"/kunde/rate/{self.token_1}")
        self.assertIsNone(csrf)
        self.assertIn("already been rated", response.text)

    def test_post_without_csrf_is_refused(self):
        with mute_logger("odoo.http"):
            response = self._post(self.token_1, {"rate": "5"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.rating_1.consumed)

    def test_bad_token_is_404(self):
        for token in (
            "0" * 32,
            self.token_1[:-1] + ("0" if self.token_1[-1] != "0" else "1"),
            "not-a-token",
            self.token_1.upper(),
        ):
            response = self.url_open(f"/kunde/rate/{token}/5")
            self.assertEqual(response.status_code, 404, token)
        _response, csrf = self._page(f"/kunde/rate/{self.token_1}")
        response = self._post("0" * 32, {"csrf_token": csrf, "rate": "5"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.rating_1.consumed)

    def test_bad_rate_is_a_clear_error(self):
        response = self.url_open(f"/kunde/rate/{self.token_1}/4")
        self.assertEqual(response.status_code, 400)
        self.assertIn("the rating is 1, 3 or 5", response.text)
        _response, csrf = self._page(f"/kunde/rate/{self.token_1}")
        for rate in ("4", "0", "10", "abc", ""):
            response = self._post(self.token_1, {"csrf_token": csrf, "rate": rate})
            self.assertEqual(response.status_code, 400, rate)
            self.assertIn("the rating is 1, 3 or 5", response.text)
        self.assertFalse(self.rating_1.consumed)
        self.assertFalse(self.case_1.csat_rating)

    def test_page_shows_only_its_own_case(self):
        response, _csrf = self._page(f"/kunde/rate/{self.token_1}/5")
        self.assertIn(self.case_1.reference, response.text)
        self.assertNotIn(self.case_2.reference, response.text)
        self.assertNotIn(self.rating_2.access_token, response.text)

    def test_other_company_portal_user_cannot_rate(self):
        self.authenticate("csat_kunde2", "csat_kunde2-pw")
        response, csrf = self._page(f"/kunde/rate/{self.token_1}/1")
        self.assertEqual(response.status_code, 403)
        self.assertIsNone(csrf)
        self.assertNotIn(self.case_1.name, response.text)
        _response, csrf = self._page(f"/kunde/rate/{self.rating_2.access_token}")
        response = self._post(self.token_1, {"csrf_token": csrf, "rate": "1"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.rating_1.consumed)
        self.assertFalse(self.case_1.csat_rating)

    def test_agent_cannot_rate_with_the_customers_link(self):
        self.authenticate("csat_agent", "csat_agent-pw")
        response, csrf = self._page(f"/kunde/rate/{self.token_1}/5")
        self.assertEqual(response.status_code, 403)
        self.assertIsNone(csrf)
        self.assertFalse(self.rating_1.consumed)

    def test_logged_in_customer_rates(self):
        self.authenticate("csat_kunde1", "csat_kunde1-pw")
        _response, csrf = self._page(f"/kunde/rate/{self.token_1}/3")
        response = self._post(self.token_1, {"csrf_token": csrf, "rate": "3"})
        self.assertEqual(response.status_code, 200)
        self.case_1.invalidate_recordset()
        self.assertEqual(self.case_1.csat_rating, 3)
