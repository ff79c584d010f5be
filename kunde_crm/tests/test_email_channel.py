"""Email channel: real .eml fixtures through message_process."""

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import KundeCrmCase, load_norwegian

DATA = Path(__file__).parent / "data"
ALIAS = "kundeservice@kunde.example"


@tagged("post_install", "-at_install")
class TestEmailChannel(KundeCrmCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        alias_domain = cls.env["mail.alias.domain"].create(
            {
                "name": "kunde.example",
                "bounce_alias": "bounce",
                "catchall_alias": "catchall",
            }
        )
        cls.env.company.alias_domain_id = alias_domain
        cls.env.company.email = "post@kunde.example"
        cls.team.write(
            {"alias_name": "kundeservice", "alias_domain_id": alias_domain.id}
        )
        cls.Message = cls.env["mail.message"]
        cls.ack_subtype = cls.env.ref("kunde_crm.mt_case_acknowledgement")

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _eml(self, name, **values):
        raw = (DATA / name).read_bytes()
        values.setdefault("to", ALIAS)
        values.setdefault("message_id", f"{name}-{id(values)}@test.example")
        for key, value in values.items():
            raw = raw.replace(f"{{{key}}}".encode(), str(value).encode())
        return raw

    def _process(self, raw):
        thread_id = self.env["mail.thread"].message_process(None, raw)
        # What the scheduler does seconds later, woken by the intake.
        self.Case._cron_send_acknowledgements()
        return thread_id

    def _cases(self, **domain):
        return self.Case.search([(k, "=", v) for k, v in domain.items()])

    def _acks(self, case):
        return case.message_ids.filtered(lambda m: m.subtype_id == self.ack_subtype)

    def _new_case_from_inquiry(self, message_id="first@fjordbakeri.no"):
        with self.mock_mail_gateway():
            case_id = self._process(self._eml("new_inquiry.eml", message_id=message_id))
        return self.Case.browse(case_id)

    # ------------------------------------------------------------------
    # intake
    # ------------------------------------------------------------------
    def test_plain_new_inquiry(self):
        case = self._new_case_from_inquiry()
        self.assertTrue(case)
        self.assertEqual(case.name, "Feil på fakturaen for oktober")
        self.assertEqual(case.channel, "email")
        self.assertEqual(case.team_id, self.team)
        self.assertIn("12 kasser", case.description)
        self.assertIn("rugbrød", case.description)
        self.assertEqual(case.stage_id, self.stage_new)
        # A new contact, found by address from now on (case-insensitive)
        self.assertEqual(case.partner_id.email, "kari.nordmann@fjordbakeri.no")
        self.assertEqual(case.partner_id.name, "Kari Nordmann")
        # The attachment is kept on the case, and the mail is in the chatter.
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "kunde.case"), ("res_id", "=", case.id)]
        )
        self.assertEqual(attachment.name, "faktura-oktober.pdf")
        incoming = case.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(incoming), 1)
        self.assertEqual(incoming.message_id, "<first@fjordbakeri.no>")
        # Acknowledged once, with the reference in the subject, to the customer.
        ack = self._acks(case)
        self.assertEqual(len(ack), 1)
        self.assertIn(case.reference, ack.subject)
        self.assertEqual(ack.partner_ids, case.partner_id)
        # Sent in the company's name (the template's From).
        self.assertTrue(case.company_id.email)
        self.assertEqual(ack.author_id, case.company_id.partner_id)
        self.assertIn(case.company_id.email, ack.email_from)
        sent = self._new_mails.filtered(lambda m: case.reference in (m.subject or ""))
        self.assertTrue(sent)
        self.assertIn("Auto-Submitted", sent[0].headers or "")
        self.assertIn("kundeservice@kunde.example", sent[0].reply_to)
        # Queued for the mail queue, not sent inside the intake (a slow SMTP
        # server must not hold up the next message), and the queue is woken.
        self.assertEqual(sent.state, "outgoing")
        self.assertFalse(self._mails, "nothing is sent while the mail is read")
        mail_queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", mail_queue.id)])
        )
        # The acknowledgement is not a first response.
        self.assertFalse(case.date_first_response)

    def test_acknowledgement_is_sent_by_the_scheduler(self):
        """The intake only marks the case and wakes the job; the job posts the
        acknowledgement once and queues its email."""
        job = self.env.ref("kunde_crm.ir_cron_kunde_acknowledgements")
        Trigger = self.env["ir.cron.trigger"]
        with self.mock_mail_gateway():
            case_id = self.env["mail.thread"].message_process(
                None, self._eml("new_inquiry.eml", message_id="later@fjordbakeri.no")
            )
        case = self.Case.browse(case_id)
        self.assertTrue(case.ack_pending)
        self.assertFalse(self._acks(case), "nothing is posted inside the intake")
        self.assertTrue(Trigger.search([("cron_id", "=", job.id)]))
        with self.mock_mail_gateway():
            self.Case._cron_send_acknowledgements()
            self.Case._cron_send_acknowledgements()  # a second run finds nothing
        self.assertFalse(case.ack_pending)
        self.assertEqual(len(self._acks(case)), 1)
        self.assertEqual(self._new_mails.state, "outgoing")

    def test_acknowledgement_job_keeps_the_hourly_limit_within_a_batch(self):
        """Six cases from one address waiting together: five acknowledgements."""
        cases = self.Case.create(
            [
                {
                    "name": f"Spørsmål {i}",
                    "team_id": self.team.id,
                    "partner_id": self.customer.id,
                    "ack_pending": True,
                }
                for i in range(6)
            ]
        )
        with self.mock_mail_gateway():
            self.Case._cron_send_acknowledgements()
        self.assertEqual(sum(len(self._acks(case)) for case in cases), 5)
        self.assertFalse(any(cases.mapped("ack_pending")))
        # The hourly count is one query for any number of addresses.
        addresses = {self.customer.email_normalized, "ola@example.no", "x@example.no"}
        self.env.flush_all()
        with self.assertQueryCount(1):
            sent = self.Case._acknowledgements_sent(self.ack_subtype, addresses)
        self.assertEqual(sent, {self.customer.email_normalized: 5})

    def test_existing_contact_found_case_insensitive(self):
        known = self.env["res.partner"].create(
            {"name": "Kari N.", "email": "KARI.NORDMANN@fjordbakeri.no"}
        )
        case = self._new_case_from_inquiry()
        self.assertEqual(case.partner_id, known)

    def test_company_found_by_domain_only_when_unique(self):
        bakery = self.env["res.partner"].create(
            {
                "name": "Fjord Bakeri AS",
                "is_company": True,
                "website": "https://www.fjordbakeri.no",
            }
        )
        case = self._new_case_from_inquiry()
        self.assertEqual(case.partner_id.parent_id, bakery)
        self.assertEqual(case.commercial_partner_id, bakery)

    def test_company_domain_ambiguous(self):
        self.env["res.partner"].create(
            [
                {
                    "name": "Fjord Bakeri AS",
                    "is_company": True,
                    "email": "post@fjordbakeri.no",
                },
                {
                    "name": "Fjord Bakeri Holding AS",
                    "is_company": True,
                    "website": "fjordbakeri.no",
                },
            ]
        )
        case = self._new_case_from_inquiry()
        self.assertFalse(case.partner_id.parent_id)

    def test_duplicate_delivery_creates_one_case(self):
        first = self._new_case_from_inquiry(message_id="dup@fjordbakeri.no")
        count = self.Case.search_count([])
        with (
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.mail.models.mail_thread"),
        ):
            second = self._process(
                self._eml("new_inquiry.eml", message_id="dup@fjordbakeri.no")
            )
        self.assertFalse(second)
        self.assertEqual(self.Case.search_count([]), count)
        self.assertEqual(len(self._acks(first)), 1)

    def test_iso_8859_1_quoted_printable(self):
        with self.mock_mail_gateway():
            case = self.Case.browse(self._process(self._eml("iso_8859_1_qp.eml")))
        self.assertEqual(case.name, "Purring på betalt faktura - blåbær")
        self.assertIn("Åse Ødegård", case.description)
        self.assertIn("Blåbær og Bær AS", case.description)
        self.assertEqual(case.partner_id.name, "Åse Ødegård")

    def test_html_with_script_is_sanitised(self):
        with self.mock_mail_gateway():
            case = self.Case.browse(self._process(self._eml("html_script.eml")))
        self.assertIn("Jeg får ikke logget inn", case.description)
        for dangerous in (
            "<script",
            "onload",
            "onerror",
            "javascript:",
            "<iframe",
            "document.cookie",
        ):
            self.assertNotIn(dangerous, case.description)
            for message in case.message_ids:
                self.assertNotIn(dangerous, message.body)

    def test_message_without_from(self):
        with self.mock_mail_gateway():
            case = self.Case.browse(self._process(self._eml("no_from.eml")))
        self.assertTrue(case, "a message without sender is kept on a case")
        self.assertEqual(case.name, "Melding uten avsender")
        self.assertFalse(case.partner_id)
        self.assertIn("ingen From-linje", case.description)
        self.assertFalse(self._acks(case))

    def test_zero_byte_attachment(self):
        with self.mock_mail_gateway():
            case = self.Case.browse(
                self._process(self._eml("zero_byte_attachment.eml"))
            )
        self.assertEqual(case.name, "Vedlegg mangler innhold")
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "kunde.case"), ("res_id", "=", case.id)]
        )
        self.assertEqual(attachments.mapped("name"), ["tom.txt"])
        self.assertEqual(attachments.file_size, 0)

    def test_ten_megabyte_attachment(self):
        message = EmailMessage()
        message["From"] = "Ola Hansen <ola@example.no>"
        message["To"] = ALIAS
        message["Subject"] = "Stort vedlegg"
        message["Message-ID"] = "<big@example.no>"
        message.set_content("Se vedlagte logg.")
        payload = bytes(range(256)) * (10 * 1024 * 1024 // 256)
        message.add_attachment(
            payload, maintype="application", subtype="octet-stream", filename="logg.bin"
        )
        with self.mock_mail_gateway():
            case = self.Case.browse(self._process(message.as_bytes()))
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "kunde.case"), ("res_id", "=", case.id)]
        )
        self.assertEqual(attachment.name, "logg.bin")
        self.assertEqual(attachment.file_size, len(payload))
        self.assertEqual(attachment.raw, payload)

    def test_bounce_from_mailer_daemon(self):
        count = self.Case.search_count([])
        thread_class = type(self.env["mail.thread"])
        with (
            self.mock_mail_gateway(),
            patch.object(
                thread_class,
                "_routing_handle_bounce",
                autospec=True,
                side_effect=thread_class._routing_handle_bounce,
            ) as bounce_handler,
        ):
            result = self._process(self._eml("bounce_mailer_daemon.eml"))
        self.assertFalse(result)
        self.assertEqual(self.Case.search_count([]), count, "a bounce makes no case")
        self.assertFalse(self._new_mails, "a bounce is never acknowledged")
        # Rejected by Odoo's bounce handler, which logs "not routing bounce email".
        bounce_handler.assert_called_once()

    # ------------------------------------------------------------------
    # replies
    # ------------------------------------------------------------------
    def test_reply_with_full_headers(self):
        case = self._new_case_from_inquiry()
        ack = self._acks(case)
        count = self.Case.search_count([])
        with self.mock_mail_gateway():
            thread_id = self._process(
                self._eml(
                    "reply_full_headers.eml",
                    reference=case.reference,
                    parent_id=ack.message_id.strip("<>"),
                )
            )
        self.assertEqual(thread_id, case.id)
        self.assertEqual(self.Case.search_count([]), count)
        self.assertTrue(
            case.message_ids.filtered(lambda m: "kundenummeret" in (m.body or ""))
        )
        self.assertEqual(len(self._acks(case)), 1, "no acknowledgement for a reply")

    def test_outlook_reply_without_headers_joins_by_reference(self):
        case = self._new_case_from_inquiry()
        count = self.Case.search_count([])
        with self.mock_mail_gateway():
            thread_id = self._process(
                self._eml("reply_outlook.eml", reference=case.reference)
            )
        self.assertEqual(thread_id, case.id)
        self.assertEqual(self.Case.search_count([]), count)
        self.assertTrue(
            case.message_ids.filtered(lambda m: "2026/00412" in (m.body or ""))
        )

    def test_stranger_quoting_reference_does_not_join(self):
        case = self._new_case_from_inquiry()
        with self.mock_mail_gateway():
            thread_id = self._process(
                self._eml("reply_stranger.eml", reference=case.reference)
            )
        self.assertNotEqual(thread_id, case.id)
        other = self.Case.browse(thread_id)
        self.assertTrue(other, "the stranger's mail is kept, as a new case")
        self.assertIn("someone@stranger.example", other.email_from)
        self.assertFalse(
            case.message_ids.filtered(
                lambda m: "someone@stranger" in (m.email_from or "")
            )
        )

    def test_reply_to_closed_case_reopens_it(self):
        case = self._new_case_from_inquiry()
        case.user_id = self.agent
        case.action_close()
        with self.mock_mail_gateway():
            thread_id = self._process(
                self._eml("reply_outlook.eml", reference=case.reference)
            )
        self.assertEqual(thread_id, case.id)
        self.assertFalse(case.is_closed)
        self.assertFalse(case.date_closed)
        self.assertEqual(case.stage_id, self.stage_progress)

    def test_reply_after_reopen_window_opens_linked_case(self):
        case = self._new_case_from_inquiry()
        case.action_close()
        case.date_closed = fields.Datetime.now() - timedelta(
            days=self.team.reopen_days + 1
        )
        count = self.Case.search_count([])
        with self.mock_mail_gateway():
            thread_id = self._process(
                self._eml("reply_outlook.eml", reference=case.reference)
            )
        self.assertEqual(self.Case.search_count([]), count + 1)
        follow_up = self.Case.browse(thread_id)
        self.assertNotEqual(follow_up, case)
        self.assertEqual(follow_up.origin_case_id, case)
        self.assertEqual(follow_up.team_id, self.team)
        self.assertEqual(follow_up.partner_id, case.partner_id)
        self.assertTrue(case.is_closed, "the old case stays closed")
        self.assertTrue(
            follow_up.message_ids.filtered(lambda m: "2026/00412" in (m.body or ""))
        )

    def test_out_of_office_joins_without_acknowledgement(self):
        case = self._new_case_from_inquiry()
        case.action_close()
        ack = self._acks(case)
        with self.mock_mail_gateway():
            thread_id = self._process(
                self._eml(
                    "out_of_office.eml",
                    reference=case.reference,
                    parent_id=ack.message_id.strip("<>"),
                )
            )
        self.assertEqual(thread_id, case.id)
        self.assertTrue(case.message_ids.filtered(lambda m: "ferie" in (m.body or "")))
        self.assertFalse(self._new_mails, "no acknowledgement to an auto-reply")
        self.assertTrue(case.is_closed, "an auto-reply does not reopen the case")

    def test_auto_submitted_new_mail_not_acknowledged(self):
        raw = self._eml("new_inquiry.eml").replace(
            b"MIME-Version: 1.0",
            b"Auto-Submitted: auto-generated\nMIME-Version: 1.0",
            1,
        )
        with self.mock_mail_gateway():
            case = self.Case.browse(self._process(raw))
        self.assertTrue(case)
        self.assertFalse(self._acks(case))

    def test_acknowledgements_limited_per_sender_and_hour(self):
        with freeze_time("2026-11-24 09:00:00"), self.mock_mail_gateway():
            cases = self.Case
            for i in range(10):
                cases |= self.Case.browse(
                    self._process(
                        self._eml("new_inquiry.eml", message_id=f"flood-{i}@x")
                    )
                )
        self.assertEqual(len(cases), 10, "every message is kept as a case")
        acks = self.Message.search(
            [("subtype_id", "=", self.ack_subtype.id), ("res_id", "in", cases.ids)]
        )
        self.assertEqual(len(acks), 5)
        # An hour later the sender is acknowledged again.
        with freeze_time("2026-11-24 10:01:00"), self.mock_mail_gateway():
            later = self.Case.browse(
                self._process(self._eml("new_inquiry.eml", message_id="later@x"))
            )
        self.assertEqual(len(self._acks(later)), 1)

    def test_acknowledgement_switched_off_per_team(self):
        self.team.send_acknowledgement = False
        case = self._new_case_from_inquiry()
        self.assertFalse(self._acks(case))

    # ------------------------------------------------------------------
    # agents answering
    # ------------------------------------------------------------------
    def test_agent_answer_sets_first_response_and_reaches_customer(self):
        case = self._new_case_from_inquiry()
        case.user_id = self.agent
        case_as_agent = case.with_user(self.agent)
        with self.mock_mail_gateway():
            case_as_agent.message_post(
                body="Internt: sjekk med regnskap",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        self.assertFalse(case.date_first_response, "a note is not a response")
        self.assertFalse(
            self._new_mails.filtered(lambda m: case.partner_id in m.recipient_ids),
            "internal notes never reach the customer",
        )
        with self.mock_mail_gateway():
            answer = case_as_agent.message_post(
                body="Hei Kari, vi har rettet fakturaen.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=case.partner_id.ids,
            )
        self.assertEqual(case.date_first_response, answer.date)
        mail = self._new_mails.filtered(lambda m: case.partner_id in m.recipient_ids)
        self.assertTrue(mail)
        self.assertIn(case.reference, mail.subject)
        first = case.date_first_response
        with self.mock_mail_gateway():
            case_as_agent.message_post(
                body="Og kreditnota er sendt.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=case.partner_id.ids,
            )
        self.assertEqual(
            case.date_first_response, first, "only the first answer counts"
        )

    def test_answer_templates_render_for_a_case(self):
        case = self._new_case_from_inquiry()
        templates = self.env["mail.template"].search([("model", "=", "kunde.case")])
        names = {
            "kunde_crm.mail_template_answer_received",
            "kunde_crm.mail_template_answer_need_info",
            "kunde_crm.mail_template_answer_invoice",
            "kunde_crm.mail_template_answer_solved",
            "kunde_crm.mail_template_answer_closing",
        }
        for xmlid in names:
            template = self.env.ref(xmlid)
            self.assertIn(template, templates)
            rendered = template.with_user(self.agent)._generate_template(
                case.ids, ["subject", "body_html"]
            )[case.id]
            self.assertIn(case.reference, rendered["subject"])
            self.assertIn(case.partner_id.name, rendered["body_html"])
        # Norwegian customers get the Norwegian text.
        load_norwegian(self.env)
        case.partner_id.lang = "nb_NO"
        template = self.env.ref("kunde_crm.mail_template_answer_solved")
        lang = template._render_lang(case.ids)[case.id]
        body = template.with_context(lang=lang)._render_field("body_html", case.ids)[
            case.id
        ]
        self.assertIn("løst", body)
