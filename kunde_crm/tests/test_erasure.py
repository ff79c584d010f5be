"""Erasure on request: after it, no erased string is left anywhere in the
database but where the law keeps it, and what the organisation needs stays."""

import base64
import os
from pathlib import Path
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DISABLED_MAIL_CONTEXT, KundeCrmCase
from .erasure_scan import LEGAL_RETENTION_TABLES, find_in_files, find_strings

DATA = Path(__file__).parent / "data"
ALIAS = "kundeservice@kunde.example"
NAME = "Zelda Quixwell"
EMAIL = "zelda.quixwell@fjordmail.example"
OLD_EMAIL = "zq.old@fjordmail.example"
PHONE = "+47 915 55 123"
SUBJECT = "Refusjon Xylofant"
# Every string that describes the person, in what they wrote, what the agents
# wrote about them, their rating, the files, the activity and their history.
ERASED = (
    NAME,
    "Quixwell",
    EMAIL,
    OLD_EMAIL,
    PHONE,
    "91555123",  # the phone as Odoo normalises it
    "Quibbleveien",  # street, and in the mail's text
    "Xylofant",  # subject
    "Wobbleflux",  # the customer's mail
    "Glimmerfjell",  # the agent's answer
    "Quorbit",  # an internal note
    "Zorblatt",  # the second case's subject, and the activity's summary
    "Plonkvik",  # the activity's note
    "Trompetsnegl",  # the rating's comment
    "Snorkelbear",  # inside the attachments
)
# A 1x1 PNG: the contact's picture.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
)


def flush_tracking(env):
    """What Odoo does at commit: write the tracking values and notifications.

    Done after each tracked change: a savepoint rolled back later in the same
    transaction (the mail gateway uses them) drops what is still pending."""
    env.flush_all()
    env.cr.precommit.run()


def mail_env(env):
    """The environment with tracking and chatter on, as in production."""
    context = {
        key: value
        for key, value in env.context.items()
        if key not in DISABLED_MAIL_CONTEXT
    }
    return env(context=context)


@tagged("post_install", "-at_install")
class TestErasure(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        alias_domain = cls.env["mail.alias.domain"].create(
            {"name": "kunde.example", "bounce_alias": "bounce"}
        )
        cls.env.company.alias_domain_id = alias_domain
        cls.team.write(
            {"alias_name": "kundeservice", "alias_domain_id": alias_domain.id}
        )
        cls.attachment_ids_before = (
            cls.env["ir.attachment"]
            .search(["|", ("res_field", "=", False), ("res_field", "!=", False)])
            .ids
        )
        cls._build_history()

    @classmethod
    @mute_logger("odoo.addons.mail.models.mail_mail", "odoo.models.unlink")
    def _build_history(cls):
        """A customer with everything customer service keeps about a person."""
        env = mail_env(cls.env)
        cls.zelda = env["res.partner"].create(
            {
                "name": NAME,
                "email": OLD_EMAIL,
                "phone": PHONE,
                "street": "Quibbleveien 7",
                "city": "Bergen",
                "image_1920": PIXEL,
            }
        )
        flush_tracking(env)  # changes in the transaction that created a record
        cls.zelda.email = EMAIL  # are not tracked; the old address is, now
        flush_tracking(env)
        env["ir.attachment"].create(
            {
                "name": "legitimasjon.txt",
                "raw": b"Snorkelbear-kopi av legitimasjonen",
                "res_model": "res.partner",
                "res_id": cls.zelda.id,
            }
        )
        # 1. Her mail becomes a case, with her attachment.
        raw = (DATA / "erasure_inquiry.eml").read_bytes()
        for key, value in {
            "to": ALIAS,
            "subject": SUBJECT,
            "message_id": "erasure-1@fjordmail.example",
        }.items():
            raw = raw.replace(f"{{{key}}}".encode(), value.encode())
        cls.inquiry_raw = raw
        case_id = env["mail.thread"].message_process(None, raw)
        env["kunde.case"]._cron_send_acknowledgements()
        cls.case_mail = env["kunde.case"].browse(case_id)
        flush_tracking(env)
        cls.case_mail.message_subscribe(partner_ids=cls.zelda.ids)
        # 2. An agent answers her, with a file, and leaves a note.
        agent_case = cls.case_mail.with_user(cls.agent)
        agent_case.action_take()
        agent_case.message_post(
            body="Vi ser på Glimmerfjell-trekket ditt.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=cls.zelda.ids,
            attachments=[("svar.txt", b"Svar til Zelda om Snorkelbear")],
        )
        agent_case.message_post(
            body="Notat: Quorbit, ring henne på +47 915 55 123",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        agent_case.name = f"{SUBJECT} (dobbelt trekk)"  # tracked old subject
        flush_tracking(env)
        # 3. An email to her that could not be sent, and a bounce report.
        env["mail.mail"].create(
            {
                "email_to": EMAIL,
                "subject": "Glimmerfjell",
                "body_html": "<p>Hei Zelda Quixwell</p>",
                "model": "kunde.case",
                "res_id": cls.case_mail.id,
                "state": "exception",
                "failure_reason": f"550 5.1.1 <{EMAIL}>: user unknown",
            }
        )
        env["mail.notification"].search(
            [("res_partner_id", "=", cls.zelda.id)], limit=1
        ).failure_reason = f"Bounced: {EMAIL}"
        # 4. Her rating with a comment, an activity about her.
        env["rating.rating"].create(
            {
                "res_model_id": env["ir.model"]._get_id("kunde.case"),
                "res_id": cls.case_mail.id,
                "partner_id": cls.zelda.id,
                "rated_partner_id": cls.agent.partner_id.id,
                "rating": 5,
                "feedback": "Trompetsnegl, takk for hjelpen!",
                "consumed": True,
            }
        )
        cls.case_mail.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Ring Zorblatt-kunden",
            note="Plonkvik",
            user_id=cls.agent.id,
        )
        # 5. A phone case first typed in for someone else, then moved to her.
        cls.case_phone = env["kunde.case"].create(
            {
                "name": "Telefon om Zorblatt",
                "description": "<p>Ringte fra Quibbleveien</p>",
                "partner_id": cls.other_customer.id,
                "team_id": cls.team.id,
                "category_id": cls.category.id,
                "channel": "phone",
            }
        )
        flush_tracking(env)
        cls.case_phone.partner_id = cls.zelda  # tracked: her name as new value
        flush_tracking(env)
        # 6. Her invoice, linked to the case; a message she wrote on it.
        product = cls.env["product.product"].create({"name": "Abonnement"})
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.zelda.id,
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "price_unit": 299})
                ],
            }
        )
        cls.invoice.action_post()
        cls.case_mail.invoice_ids = cls.invoice
        # The invoice's PDF, sent from the case: it belongs to the invoice.
        cls.invoice_pdf = env["ir.attachment"].create(
            {
                "name": "faktura.pdf",
                "raw": b"%PDF-1.4 faktura",
                "res_model": "account.move",
                "res_id": cls.invoice.id,
            }
        )
        reply = cls.case_mail.message_ids.filtered(
            lambda m: "Glimmerfjell" in (m.body or "")
        )
        reply.attachment_ids |= cls.invoice_pdf
        cls.reply = reply
        cls.invoice.message_post(
            body="Takk, betalt.",
            author_id=cls.zelda.id,
            email_from=f'"{NAME}" <{EMAIL}>',
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        flush_tracking(env)

    def _erase(self, partner=None, **values):
        wizard = (
            self.env["kunde.erasure.wizard"]
            .with_user(self.manager)
            .create(
                dict(
                    {"partner_id": (partner or self.zelda).id, "confirmation": "ERASE"},
                    **values,
                )
            )
        )
        action = wizard.action_erase()
        self.env.flush_all()
        self.env.invalidate_all()
        return self.env["kunde.erasure.log"].browse(action["res_id"])

    def _case_attachments(self):
        return self.env["ir.attachment"].search(
            [
                "|",
                ("res_field", "=", False),
                ("res_field", "!=", False),
                ("id", "not in", self.attachment_ids_before),
            ]
        )

    # ------------------------------------------------------------------
    # nothing erased is left in the database
    # ------------------------------------------------------------------
    def test_no_erased_string_left_in_any_table(self):
        self.env.flush_all()
        before = find_strings(self.env.cr, ERASED)
        tables_before = {table for table, _column in before}
        # The history really holds the data where an erasure must reach.
        for table in (
            "kunde_case",
            "mail_message",
            "mail_tracking_value",
            "ir_attachment",
            "mail_mail",
            "mail_notification",
            "rating_rating",
            "res_partner",
            "mail_activity",
        ):
            self.assertIn(table, tables_before)
        hers = {
            ("kunde.case", self.case_mail.id),
            ("kunde.case", self.case_phone.id),
            ("res.partner", self.zelda.id),
        }
        attachments = self._case_attachments().filtered(
            lambda a: (a.res_model, a.res_id) in hers
        )
        # the mail's file, the answer's file, her document, her picture (5 sizes)
        self.assertEqual(len(attachments), 8)
        self.assertTrue(find_in_files(attachments, ERASED), "files hold her data")
        files = [a.store_fname for a in attachments if a.store_fname]

        self._erase()

        self.assertEqual(find_strings(self.env.cr, ERASED), {})
        self.assertEqual(find_in_files(self._case_attachments(), ERASED), {})
        self.assertFalse(attachments.exists(), "her files are deleted")
        # Odoo's daily clean-up removes them from the disk: they are marked.
        checklist = os.path.join(self.env["ir.attachment"]._filestore(), "checklist")
        for fname in files:
            self.assertTrue(os.path.exists(os.path.join(checklist, fname)))

    def test_the_law_keeps_the_invoice(self):
        """The excluded tables hold what the invoice must keep, nothing more."""
        self._erase()
        kept = find_strings(self.env.cr, ERASED, exclude=())
        self.assertLessEqual({table for table, _c in kept}, LEGAL_RETENTION_TABLES)
        self.assertEqual(self.invoice.invoice_partner_display_name, NAME)

    # ------------------------------------------------------------------
    # what stays
    # ------------------------------------------------------------------
    def test_cases_keep_what_the_organisation_needs(self):
        cases = self.case_mail | self.case_phone
        kept_fields = [
            "reference",
            "date_received",
            "date_assigned",
            "date_first_response",
            "category_id",
            "team_id",
            "user_id",
            "stage_id",
            "invoice_ids",
            "partner_id",
            "channel",
        ]
        before = cases.read(kept_fields, load=None)
        # A mail that was no notification goes with its message (Odoo's rule);
        # every other message stays.
        outgoing = self.env["mail.mail"].search(
            [("model", "=", "kunde.case"), ("is_notification", "=", False)]
        )
        self.assertTrue(outgoing)
        messages_before = self.case_mail.message_ids - outgoing.mail_message_id
        self._erase()
        self.assertEqual(cases.read(kept_fields, load=None), before)
        self.assertEqual(cases.mapped("name"), ["(erased)", "(erased)"])
        self.assertFalse(any(cases.mapped("description")))
        self.assertFalse(any(cases.mapped("email_from")))
        self.assertFalse(any(cases.mapped("phone")))
        # The conversation keeps its shape: the same messages, dates, authors.
        self.assertEqual(self.case_mail.message_ids, messages_before)
        self.assertFalse(any(messages_before.mapped("body")))
        self.assertFalse(any(messages_before.mapped("email_from")))
        self.assertTrue(
            self.case_mail.message_ids.tracking_value_ids.filtered(
                lambda t: t.field_id.name == "stage_id"
            ),
            "the stage history stays",
        )
        rating = self.env["rating.rating"].search(
            [("res_model", "=", "kunde.case"), ("res_id", "=", self.case_mail.id)]
        )
        self.assertEqual(rating.rating, 5)
        self.assertFalse(rating.feedback)
        activity = self.case_mail.activity_ids
        self.assertEqual(activity.user_id, self.agent)
        self.assertFalse(activity.summary)

    def test_contact_is_anonymised_and_invoices_stay_linked(self):
        amount = self.invoice.amount_total
        self._erase()
        self.assertTrue(self.zelda.exists(), "never deleted: its cases and invoices")
        self.assertEqual(self.zelda.name, f"Erased contact #{self.zelda.id}")
        self.assertFalse(self.zelda.active)
        self.assertFalse(self.zelda.email or self.zelda.phone or self.zelda.street)
        self.assertFalse(self.zelda.image_1920)
        self.assertEqual(self.invoice.partner_id, self.zelda)
        self.assertEqual(self.invoice.state, "posted")
        self.assertEqual(self.invoice.amount_total, amount)
        self.assertEqual(self.case_mail.invoice_ids, self.invoice)
        # The invoice's PDF stays with the invoice, off the erased message.
        self.assertTrue(self.invoice_pdf.exists())
        self.assertEqual(self.invoice_pdf.res_id, self.invoice.id)
        self.assertFalse(self.reply.attachment_ids)
        self.assertFalse(
            self.env["mail.followers"].search([("partner_id", "=", self.zelda.id)])
        )

    def test_log_says_who_when_and_how_much(self):
        log = self._erase()
        self.assertEqual(log.user_id, self.manager)
        self.assertEqual(log.partner_ids, self.zelda)
        self.assertEqual(log.case_count, 2)
        self.assertEqual(
            log.case_references,
            ", ".join(sorted([self.case_mail.reference, self.case_phone.reference])),
        )
        self.assertGreater(log.message_count, 5)
        self.assertGreaterEqual(log.attachment_count, 3)
        self.assertEqual(log.rating_count, 1)
        self.assertEqual(log.activity_count, 1)
        self.assertGreaterEqual(log.tracking_count, 3)
        self.assertGreaterEqual(log.mail_count, 1)
        # Managers read it; it holds none of the erased data (the scan of
        # every table above reads its table too).
        self.assertTrue(log.with_user(self.manager).has_access("read"))
        values = " ".join(str(v) for v in log.read()[0].values()).lower()
        for string in ERASED:
            self.assertNotIn(string.lower(), values)

    # ------------------------------------------------------------------
    # the mail gateway after the erasure
    # ------------------------------------------------------------------
    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_new_mail_from_the_erased_address_is_a_new_customer(self):
        self._erase()
        messages_before = self.case_mail.message_ids
        Thread = self.env["mail.thread"]
        new_id = Thread.message_process(
            None,
            self.inquiry_raw.replace(b"erasure-1@", b"erasure-2@"),
        )
        case = self.Case.browse(new_id)
        self.assertNotIn(case, self.case_mail | self.case_phone)
        self.assertNotEqual(case.partner_id, self.zelda)
        self.assertEqual(case.partner_id.email, "zelda.quixwell@fjordmail.example")
        # A reply to her old mail, or quoting the old reference, is new too.
        reply = self.inquiry_raw.replace(
            b"Message-ID: <erasure-1@fjordmail.example>",
            b"Message-ID: <erasure-3@fjordmail.example>\n"
            b"In-Reply-To: <erasure-1@fjordmail.example>",
        ).replace(SUBJECT.encode(), f"Re: [{self.case_mail.reference}] hei".encode())
        reply_id = Thread.message_process(None, reply)
        self.assertNotIn(reply_id, (self.case_mail | self.case_phone).ids)
        self.assertEqual(self.case_mail.message_ids, messages_before)

    # ------------------------------------------------------------------
    # one transaction
    # ------------------------------------------------------------------
    def test_a_failure_half_way_erases_nothing(self):
        Partner = self.registry["res.partner"]
        attachments = self._case_attachments()
        with (
            patch.object(
                Partner,
                "_kunde_erase_messages",
                side_effect=UserError("disk full"),
                autospec=True,
            ),
            self.assertRaises(UserError),
        ):
            self._erase()
        self.env.invalidate_all()
        self.assertEqual(self.zelda.name, NAME)
        self.assertEqual(self.zelda.email, EMAIL)
        self.assertTrue(self.zelda.active)
        self.assertEqual(self.case_mail.name, f"{SUBJECT} (dobbelt trekk)")
        self.assertEqual(attachments.exists(), attachments)
        self.assertTrue(self.case_mail.activity_ids.summary)
        self.assertFalse(self.env["kunde.erasure.log"].search([]))


@tagged("post_install", "-at_install")
class TestErasureQueries(KundeCrmCase):
    """Erasing a contact costs the same number of queries for 1 case as for 20:
    every step works on the whole set (the bench erases contacts with many)."""

    def _erase_counting(self, count):
        env = mail_env(self.env)
        partner = env["res.partner"].create(
            {"name": f"Kunde med {count} saker", "email": f"k{count}@example.no"}
        )
        cases = env["kunde.case"].create(
            [
                {"name": f"Sak {i}", "partner_id": partner.id, "team_id": self.team.id}
                for i in range(count)
            ]
        )
        flush_tracking(env)
        for case in cases:
            case.message_post(
                body="Hei",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
                attachments=[("vedlegg.txt", b"innhold")],
            )
            case.name = f"{case.name} endret"
        case.activity_schedule("mail.mail_activity_data_todo", summary="Ring")
        flush_tracking(env)
        env.invalidate_all()
        start = self.env.cr.sql_log_count
        partner.with_user(self.manager)._kunde_erase_personal_data()
        self.env.flush_all()
        return self.env.cr.sql_log_count - start

    def test_query_count_does_not_grow_with_the_cases(self):
        self._erase_counting(1)  # warm the caches of the registry
        self._erase_counting(20)
        one = self._erase_counting(1)
        many = self._erase_counting(20)
        # Beside other apps (website, sale, calendar ...) the manager's user
        # row may be read again once or twice, whatever the number of cases
        # (their writes evict it from the cache): a constant. A step done per
        # case would add at least 19.
        self.assertLessEqual(many, one + 2)
        self.assertGreaterEqual(many, one)
