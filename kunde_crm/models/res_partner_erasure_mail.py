"""res.partner erasure, the mail side: what Odoo's chatter, mail queue, files and
live notifications keep about the contacts being erased (see
res_partner_erasure.py, which calls these steps in one transaction)."""

import json

from markupsafe import Markup

from odoo import _, models
from odoo.tools.mail import generate_tracking_message_id

from .res_partner_erasure import CASE_PERSONAL_FIELDS

# Tracked case fields whose old and new values name or describe the customer.
CASE_PERSONAL_TRACKING = frozenset(
    CASE_PERSONAL_FIELDS + ("partner_id", "commercial_partner_id")
)
TRACKING_TEXT_COLUMNS = (
    "old_value_char",
    "new_value_char",
    "old_value_text",
    "new_value_text",
)
# Attachments of the messages that belong to no other document: deleted with
# the message text. Those of another document (an invoice's PDF sent from a
# case) stay with that document and are only taken off the message.
MESSAGE_ONLY_MODELS = (False, "mail.message", "mail.compose.message")


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _kunde_erase_outgoing(self, cases, messages):
        """Delete the outgoing emails and SMS of the messages and to the contacts,
        and the messages scheduled on the cases and contacts."""
        domain = [
            "|",
            ("mail_message_id", "in", messages.ids),
            ("recipient_ids", "in", self.ids),
        ]
        for email in set(self.filtered("email_normalized").mapped("email_normalized")):
            domain = ["|", "|", *domain]
            domain += [("email_to", "ilike", email), ("email_cc", "ilike", email)]
        mails = self.env["mail.mail"].search(domain)
        count = len(mails)
        mails.unlink()
        # Messages scheduled to be posted later on the cases or the contacts.
        self.env["mail.scheduled.message"].search(
            [
                "|",
                "&",
                ("model", "=", "kunde.case"),
                ("res_id", "in", cases.ids),
                "&",
                ("model", "=", "res.partner"),
                ("res_id", "in", self.ids),
            ]
        ).unlink()
        if "sms.sms" in self.env:
            self.env["sms.sms"].search(
                [
                    "|",
                    ("partner_id", "in", self.ids),
                    ("mail_message_id", "in", messages.ids),
                ]
            ).unlink()
        # Bounce and delivery reports can quote the address.
        self.env["mail.notification"].search(
            [
                "|",
                ("mail_message_id", "in", messages.ids),
                ("res_partner_id", "in", self.ids),
                ("failure_reason", "!=", False),
            ]
        ).failure_reason = False
        return count

    def _kunde_erase_attachments(self, cases, messages):
        """Delete the files of the cases, of the contacts and of the messages.

        Odoo deletes a file from the disk when its daily clean-up finds no
        record using it any more.
        """
        Attachment = self.env["ir.attachment"]
        owned = Attachment.search(
            [
                "|",
                ("res_field", "=", False),
                ("res_field", "!=", False),
                "|",
                "&",
                ("res_model", "=", "kunde.case"),
                ("res_id", "in", cases.ids),
                "&",
                ("res_model", "=", "res.partner"),
                ("res_id", "in", self.ids),
            ]
        )
        linked = messages.attachment_ids - owned
        message_only = linked.filtered(
            lambda attachment: attachment.res_model in MESSAGE_ONLY_MODELS
            or not attachment.res_id
        )
        foreign = linked - message_only
        for message in messages.filtered(lambda m: m.attachment_ids & foreign):
            message.attachment_ids -= foreign
        doomed = owned | message_only
        count = len(doomed)
        doomed.unlink()
        return count

    def _kunde_erase_tracking(self, messages, secrets):
        """Blank the tracked old and new values that describe the contacts:
        every tracked value of the contacts' own history, the customer and
        text fields of the cases, and any other value that holds one of their
        names, addresses or numbers."""
        placeholder = _("(erased)")
        trackings = self.env["mail.tracking.value"].search(
            [("mail_message_id", "in", messages.ids)]
        )
        erased = trackings.browse()
        for tracking in trackings:
            model = tracking.mail_message_id.model
            field = tracking.field_id.name or (tracking.field_info or {}).get("name")
            texts = [tracking[column] or "" for column in TRACKING_TEXT_COLUMNS]
            if (
                model == "res.partner"
                or field in CASE_PERSONAL_TRACKING
                or any(secret in text.lower() for text in texts for secret in secrets)
            ):
                erased |= tracking
        for column in TRACKING_TEXT_COLUMNS:
            erased.filtered(column).write({column: placeholder})
        return len(erased)

    def _kunde_erase_messages(self, messages):
        """Empty the messages of the cases and of the contacts' own history, and
        take the contacts' address off the messages they wrote anywhere.

        A message keeps its date, type, author (the anonymised contact or the
        agent) and what was tracked on it; an empty message shows as removed.
        Its Message-Id is replaced: a reply to an old email no longer finds the
        case, it becomes a new inquiry.
        """
        env = self.env
        Message = env["mail.message"]
        messages.write(
            {
                "body": Markup(""),
                "subject": False,
                "email_from": False,
                "reply_to": False,
            }
        )
        names = {}
        for model, group in messages.grouped("model").items():
            records = env[model].browse(set(group.mapped("res_id"))).exists()
            names.update(
                {(model, record.id): record.display_name for record in records}
            )
        for message in messages:
            message.message_id = generate_tracking_message_id(f"erased-{message.id}")
            message.record_name = names.get((message.model, message.res_id), False)
        authored = Message.search(
            [("author_id", "in", self.ids), ("id", "not in", messages.ids)]
        )
        authored.write({"email_from": False, "reply_to": False})
        env["mail.link.preview"].search([("message_id", "in", messages.ids)]).unlink()
        env["mail.message.translation"].search(
            [("message_id", "in", messages.ids)]
        ).unlink()
        return len(messages)

    def _kunde_erase_live_notifications(self, cases, messages, secrets):
        """Odoo keeps live notifications (a new message with its text, a
        contact's card) for a day, for browsers that reconnect. Those about the
        erased records, or naming the contacts, go now."""
        self.env.cr.flush()  # notifications pending in this transaction too
        erased = {
            "kunde.case": set(cases.ids),
            "mail.message": set(messages.ids),
            "res.partner": set(self.ids),
        }
        doomed = (
            self.env["bus.bus"]
            .search([])
            .filtered(lambda note: _mentions(_json(note.message), erased, secrets))
        )
        doomed.unlink()


def _json(text):
    try:
        return json.loads(text or "null")
    except ValueError:
        return text


def _mentions(value, erased, secrets):
    """Does a notification's payload hold an erased record or a secret?

    Payloads are Odoo's stores: {model name: [{"id": ..., ...}]}, and threads as
    {"model": ..., "id": ...}; any text is checked for the secrets.
    """
    if isinstance(value, str):
        lowered = value.lower()
        return any(secret in lowered for secret in secrets)
    if isinstance(value, list):
        return any(_mentions(item, erased, secrets) for item in value)
    if not isinstance(value, dict):
        return False
    if value.get("id") in erased.get(value.get("model"), ()):
        return True
    for key, item in value.items():
        if key in erased:
            records = item if isinstance(item, list) else [item]
            if any(
                isinstance(record, dict) and record.get("id") in erased[key]
                for record in records
            ):
                return True
        if _mentions(item, erased, secrets):
            return True
    return False
