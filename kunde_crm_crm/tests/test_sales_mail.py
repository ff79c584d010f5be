"""After Send to Sales the conversation stays on the case: a real reply lands there."""

from odoo.tests import tagged
from odoo.tools.misc import file_path

from odoo.addons.mail.tests.common import MockEmail

from .common import KundeCrmSalesCase

ALIAS = "kundeservice@kunde.example"


@tagged("post_install", "-at_install")
class TestSalesMail(KundeCrmSalesCase, MockEmail):
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

    def _eml(self, name, **values):
        # kunde_crm's own fixtures: the same mails its email tests use.
        with open(file_path(f"kunde_crm/tests/data/{name}"), "rb") as eml:
            raw = eml.read()
        values.setdefault("to", ALIAS)
        for key, value in values.items():
            raw = raw.replace(f"{{{key}}}".encode(), str(value).encode())
        return raw

    def _process(self, raw):
        with self.mock_mail_gateway():
            thread_id = self.env["mail.thread"].message_process(None, raw)
            self.Case._cron_send_acknowledgements()
        return thread_id

    def test_customer_reply_lands_on_the_case_after_send_to_sales(self):
        case = self.Case.browse(
            self._process(self._eml("new_inquiry.eml", message_id="inq@fjordbakeri.no"))
        )
        self.assertEqual(case.team_id, self.team)
        ack = case.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("kunde_crm.mt_case_acknowledgement")
        )
        self.assertEqual(len(ack), 1)
        lead = self._send(case=case)
        self.assertEqual(lead.partner_id, case.partner_id)
        case_messages = case.message_ids
        lead_messages = lead.message_ids
        thread_id = self._process(
            self._eml(
                "reply_full_headers.eml",
                reference=case.reference,
                parent_id=ack.message_id.strip("<>"),
                message_id="reply-after-sales@fjordbakeri.no",
            )
        )
        self.assertEqual(thread_id, case.id)
        reply = case.message_ids - case_messages
        self.assertEqual(len(reply), 1)
        self.assertIn("kundenummeret", reply.body)
        self.assertEqual(reply.author_id, case.partner_id)
        self.assertEqual(lead.message_ids, lead_messages, "nothing moved to the lead")
        # A reply quoting only the reference (Outlook) joins the case too.
        thread_id = self._process(
            self._eml(
                "reply_outlook.eml",
                reference=case.reference,
                message_id="outlook-after-sales@fjordbakeri.no",
            )
        )
        self.assertEqual(thread_id, case.id)
        self.assertEqual(lead.message_ids, lead_messages)
