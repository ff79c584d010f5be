"""The customer portal over real HTTP, as two customers who must not see each other."""

import io
import json

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import DISABLED_MAIL_CONTEXT


@tagged("post_install", "-at_install")
class TestPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        Partner = cls.env["res.partner"]
        cls.team = cls.env["kunde.team"].create({"name": "Kundeservice", "sequence": 1})
        cls.company_1 = Partner.create({"name": "Fjord Bakeri AS", "is_company": True})
        cls.company_2 = Partner.create(
            {"name": "Nordlys Elektro AS", "is_company": True}
        )
        cls.customer_1 = new_test_user(
            cls.env,
            "kunde1",
            groups="base.group_portal",
            name="Kari Kunde",
            email="kari@fjord.example",
            password="kunde1-pw",
            lang="en_US",  # the pages' English messages are checked
        )
        cls.customer_1.partner_id.parent_id = cls.company_1
        cls.customer_2 = new_test_user(
            cls.env,
            "kunde2",
            groups="base.group_portal",
            name="Ola Kunde",
            email="ola@nordlys.example",
            password="kunde2-pw",
            lang="en_US",  # the pages' English messages are checked
        )
        cls.customer_2.partner_id.parent_id = cls.company_2
        cls.public_category = cls.env["kunde.case.category"].create(
            {"name": "Faktura", "is_public": True}
        )
        cls.internal_category = cls.env["kunde.case.category"].create(
            {"name": "Intern revisjon", "is_public": False}
        )
        cls.case_1 = cls.env["kunde.case"].create(
            {
                "name": "Karis faktura",
                "partner_id": cls.customer_1.partner_id.id,
                "team_id": cls.team.id,
                "description": "<p>Beløpet er feil</p>",
            }
        )
        cls.case_2 = cls.env["kunde.case"].create(
            {
                "name": "Olas strømbrudd",
                "partner_id": cls.customer_2.partner_id.id,
                "team_id": cls.team.id,
            }
        )
        cls.case_1.message_post(
            body="Hemmelig internt notat",
            subtype_xmlid="mail.mt_note",
            message_type="comment",
        )
        cls.case_1.message_post(
            body="Hei Kari, vi ser på det.",
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
        )

    def _post_reply(self, case, body, token=None):
        params = {
            "thread_model": "kunde.case",
            "thread_id": case.id,
            "post_data": {"body": body, "message_type": "comment"},
        }
        if token:
            params["token"] = token
        return self.url_open(
            "/mail/message/post",
            data=json.dumps({"params": params}),
            headers={"Content-Type": "application/json"},
        )

    # ------------------------------------------------------------------
    # reading
    # ------------------------------------------------------------------
    def test_each_customer_sees_only_their_own(self):
        self.authenticate("kunde1", "kunde1-pw")
        page = self.url_open("/my/cases")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Karis faktura", page.text)
        self.assertNotIn("Olas strømbrudd", page.text)
        page = self.url_open(f"/my/cases/{self.case_1.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.case_1.reference, page.text)
        self.assertIn("Beløpet er feil", page.text)
        self.assertNotIn("Hemmelig internt notat", page.text)
        home = self.url_open("/my")
        self.assertEqual(home.status_code, 200)
        self.assertIn("/my/cases", home.text)

        self.authenticate("kunde2", "kunde2-pw")
        page = self.url_open("/my/cases")
        self.assertIn("Olas strømbrudd", page.text)
        self.assertNotIn("Karis faktura", page.text)

    def test_search_and_paging(self):
        self.env["kunde.case"].create(
            [
                {"name": f"Sak nummer {i}", "partner_id": self.customer_1.partner_id.id}
                for i in range(85)  # more than one portal page (80)
            ]
        )
        self.authenticate("kunde1", "kunde1-pw")
        page = self.url_open("/my/cases?search=nummer%2017")
        self.assertIn("Sak nummer 17", page.text)
        self.assertNotIn("Karis faktura", page.text)
        first = self.url_open("/my/cases")
        second = self.url_open("/my/cases/page/2")
        self.assertEqual(second.status_code, 200)
        self.assertIn("/my/cases/page/2", first.text)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_other_customers_case_is_not_found(self):
        self.authenticate("kunde1", "kunde1-pw")
        token = self.case_2._portal_ensure_token()
        for url in (
            f"/my/cases/{self.case_2.id}",
            f"/my/cases/{self.case_2.id}?access_token=guessed-{token[:8]}",
            f"/my/cases/{self.case_2.id}?access_token=",
            "/my/cases/999999999",
        ):
            with self.subTest(url=url):
                page = self.url_open(url)
                self.assertEqual(page.status_code, 404)
                self.assertNotIn("Olas strømbrudd", page.text)

    @mute_logger("odoo.http", "odoo.addons.base.models.ir_rule")
    def test_stale_token_refused_valid_token_works(self):
        token = self.case_2._portal_ensure_token()
        # Anyone with the link from the email reads the case...
        page = self.url_open(f"/my/cases/{self.case_2.id}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Olas strømbrudd", page.text)
        # ...until the token is renewed: the old link no longer works.
        self.case_2.access_token = False
        self.case_2._portal_ensure_token()
        page = self.url_open(f"/my/cases/{self.case_2.id}?access_token={token}")
        self.assertEqual(page.status_code, 404)

    @mute_logger(
        "odoo.http", "odoo.addons.base.models.ir_rule", "odoo.addons.mail.models"
    )
    def test_reply_to_other_customers_case_refused(self):
        self.authenticate("kunde1", "kunde1-pw")
        before = len(self.case_2.message_ids)
        stale_token = self.case_2._portal_ensure_token()
        self.case_2.access_token = False
        self.case_2._portal_ensure_token()
        for token in (None, "guessed-token", stale_token):
            with self.subTest(token=token):
                response = self._post_reply(self.case_2, "Jeg blander meg inn", token)
                self.assertIn(response.status_code, (403, 404, 200))
                if response.status_code == 200:
                    self.assertIn("error", response.json())
        self.case_2.invalidate_recordset()
        self.assertEqual(len(self.case_2.message_ids), before)
        self.assertFalse(
            self.case_2.message_ids.filtered(lambda m: "blander" in (m.body or ""))
        )

    # ------------------------------------------------------------------
    # replying
    # ------------------------------------------------------------------
    def test_customer_replies_and_reopens_closed_case(self):
        self.case_1.action_close()
        self.assertTrue(self.case_1.is_closed)
        self.authenticate("kunde1", "kunde1-pw")
        response = self._post_reply(self.case_1, "Det er fortsatt feil")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("error", response.json())
        self.case_1.invalidate_recordset()
        message = self.case_1.message_ids.filtered(lambda m: "fortsatt feil" in m.body)
        self.assertEqual(message.author_id, self.customer_1.partner_id)
        self.assertFalse(self.case_1.is_closed, "a customer reply reopens the case")

    def test_closed_long_ago_offers_new_linked_inquiry(self):
        self.case_1.action_close()
        self.case_1.date_closed = "2020-01-01 00:00:00"
        self.authenticate("kunde1", "kunde1-pw")
        page = self.url_open(f"/my/cases/{self.case_1.id}")
        self.assertIn(f"/my/cases/new?origin_case_id={self.case_1.id}", page.text)
        response = self.url_open(
            "/my/cases/new",
            data={
                "subject": "Samme feil igjen",
                "origin_case_id": str(self.case_1.id),
                "csrf_token": self._csrf(),
            },
        )
        self.assertEqual(response.status_code, 200)
        new = self.env["kunde.case"].search([("name", "=", "Samme feil igjen")])
        self.assertEqual(new.origin_case_id, self.case_1)

    # ------------------------------------------------------------------
    # writing to us
    # ------------------------------------------------------------------
    def _csrf(self):
        page = self.url_open("/my/cases/new")
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        return page.text[start : page.text.index('"', start)]

    def test_new_case_form(self):
        self.authenticate("kunde1", "kunde1-pw")
        form = self.url_open("/my/cases/new")
        self.assertEqual(form.status_code, 200)
        self.assertIn("Faktura", form.text)
        self.assertNotIn("Intern revisjon", form.text, "only public categories")
        response = self.url_open(
            "/my/cases/new",
            data={
                "subject": "Feil i leveringen",
                "category_id": str(self.public_category.id),
                "description": "Det manglet to kasser.\n<script>alert('x')</script>",
                "csrf_token": self._csrf(),
            },
            files={
                "attachments": (
                    "foto.jpg",
                    io.BytesIO(b"\xff\xd8jpegdata"),
                    "image/jpeg",
                )
            },
        )
        self.assertEqual(response.status_code, 200)
        case = self.env["kunde.case"].search([("name", "=", "Feil i leveringen")])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.channel, "portal")
        self.assertEqual(case.partner_id, self.customer_1.partner_id)
        self.assertEqual(case.category_id, self.public_category)
        self.assertEqual(case.team_id, self.team)
        self.assertIn("Det manglet to kasser", case.description)
        self.assertNotIn("<script", case.description)
        self.assertIn(f"/my/cases/{case.id}", response.url)
        attachment = case.message_ids.attachment_ids
        self.assertEqual(attachment.name, "foto.jpg")
        self.assertEqual(attachment.raw, b"\xff\xd8jpegdata")
        self.assertTrue(case.ack_pending)
        self.env["kunde.case"]._cron_send_acknowledgements()  # the scheduler's part
        ack = case.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("kunde_crm.mt_case_acknowledgement")
        )
        self.assertEqual(len(ack), 1, "portal cases are acknowledged like email")

    def test_new_case_without_subject_keeps_input(self):
        self.authenticate("kunde1", "kunde1-pw")
        count = self.env["kunde.case"].search_count([])
        response = self.url_open(
            "/my/cases/new",
            data={
                "subject": "  ",
                "description": "Viktig tekst",
                "csrf_token": self._csrf(),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Please write a subject", response.text)
        self.assertIn("Viktig tekst", response.text, "what the customer typed is kept")
        self.assertEqual(self.env["kunde.case"].search_count([]), count)

    def test_new_case_with_too_large_attachment(self):
        self.authenticate("kunde1", "kunde1-pw")
        count = self.env["kunde.case"].search_count([])
        big = io.BytesIO(b"0" * (20 * 1024 * 1024))
        response = self.url_open(
            "/my/cases/new",
            data={
                "subject": "Stor fil",
                "description": "Se vedlegg",
                "csrf_token": self._csrf(),
            },
            files={"attachments": ("stor.bin", big, "application/octet-stream")},
            timeout=60,
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("larger than 10 MB", response.text)
        self.assertIn("Stor fil", response.text)
        self.assertEqual(self.env["kunde.case"].search_count([]), count)

    def test_category_of_another_kind_is_ignored(self):
        self.authenticate("kunde1", "kunde1-pw")
        self.url_open(
            "/my/cases/new",
            data={
                "subject": "Lurt forsøk",
                "category_id": str(self.internal_category.id),
                "csrf_token": self._csrf(),
            },
        )
        case = self.env["kunde.case"].search([("name", "=", "Lurt forsøk")])
        self.assertTrue(case)
        self.assertFalse(case.category_id)

    def test_agent_answer_visible_to_customer(self):
        agent = new_test_user(
            self.env,
            "portal_agent",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent Anna",
        )
        self.team.member_ids = [Command.link(agent.id)]
        self.case_1.with_user(agent).message_post(
            body="Vi har sendt en kreditnota.",
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
        )
        self.authenticate("kunde1", "kunde1-pw")
        response = self.url_open(
            "/mail/chatter_fetch",
            data=json.dumps(
                {"params": {"thread_model": "kunde.case", "thread_id": self.case_1.id}}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("kreditnota", response.text)
        self.assertNotIn("Hemmelig internt notat", response.text)
