"""res.partner erasure: a contact's personal data erased on request (GDPR art. 17).

The contact is anonymised and archived, never deleted: its cases, invoices and
payments keep pointing at it. Its cases keep what the organisation needs
(reference, dates, category, team, agent, stage, invoice links); what describes
the person goes: subjects, descriptions, the text of the conversation, tracked
old values, attachments, outgoing emails and SMS, rating comments, activity
notes, subscriptions. One transaction: it all happens or nothing does. The
README's "Erasure on request" says what Odoo keeps elsewhere and why.
"""

import json

from markupsafe import Markup

from odoo import _, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

MANAGER_GROUP = "kunde_crm.kunde_crm_group_manager"
# The contact's own fields that describe the person; the rest (customer number,
# VAT and company registry, which the invoices need, language, tags, the parent
# company) stays. Fields of modules that are not installed are skipped.
PARTNER_PERSONAL_FIELDS = (
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "zip",
    "city",
    "state_id",
    "website",
    "function",
    "title",
    "comment",
    "company_name",
    "image_1920",
    "additional_info",
)
# The case's own text about the customer.
CASE_PERSONAL_FIELDS = ("name", "description", "email_from", "phone")
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
# The contact's fields looked for in other tracked values and notifications.
SECRET_PARTNER_FIELDS = (
    "name",
    "email",
    "email_normalized",
    "phone",
    "mobile",
    "phone_sanitized",
)
# Strings shorter than this are not looked for in other tracked values.
MIN_SECRET_LENGTH = 4


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------
    def _kunde_erase_personal_data(self):
        """Erase the personal data of these contacts and of their cases.

        For customer service managers (the wizard *Erase Personal Data* calls
        it). Refused for a user's own contact and a company of this database.
        All of it runs in one savepoint: an error leaves nothing half-erased,
        even when the caller catches it. Returns the kunde.erasure.log record.
        """
        self._kunde_check_erasable()
        user = self.env.user
        with self.env.cr.savepoint():
            return self.sudo()._kunde_erase(user)

    def _kunde_check_erasable(self):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(
                _("Only customer service managers can erase personal data.")
            )
        if not self:
            raise UserError(_("Choose the contact whose personal data to erase."))
        self.check_access("write")
        # The checks run as superuser because they must see archived users and
        # every company, whatever the manager may read.
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", self.ids)], limit=1)
        )
        if users:
            raise UserError(
                _(
                    "%(contact)s is the contact of the user %(user)s. A user's "
                    "personal data is not erased here: remove the user under "
                    "Settings > Users first, then erase the contact.",
                    contact=users.partner_id.display_name,
                    user=users.login,
                )
            )
        foreign = (
            self.env["kunde.case"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("partner_id", "in", self.ids),
                    ("company_id", "not in", self.env.user.company_ids.ids),
                ],
                limit=1,
            )
        )
        if foreign and not self.env.su:
            raise UserError(
                _(
                    "%(contact)s has cases in %(company)s, a company you do not "
                    "manage. Ask a customer service manager of that company to "
                    "erase the contact.",
                    contact=foreign.partner_id.display_name,
                    company=foreign.company_id.name,
                )
            )
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("partner_id", "in", self.ids)], limit=1)
        )
        if companies:
            raise UserError(
                _(
                    "%(contact)s is the company %(company)s of this database; "
                    "its data cannot be erased.",
                    contact=companies.partner_id.display_name,
                    company=companies.name,
                )
            )

    # ------------------------------------------------------------------
    # The erasure (as superuser, after _kunde_check_erasable)
    # ------------------------------------------------------------------
    def _kunde_erase(self, user):
        env = self.env(
            context=dict(
                self.env.context,
                active_test=False,
                tracking_disable=True,
                mail_notrack=True,
                mail_create_nolog=True,
            )
        )
        partners = self.with_env(env)
        cases = partners._kunde_lock_and_cases()
        secrets = partners._kunde_secrets(cases)
        messages = env["mail.message"].search(
            [
                "|",
                "&",
                ("model", "=", "kunde.case"),
                ("res_id", "in", cases.ids),
                "&",
                ("model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
            ]
        )
        counts = {"case_count": len(cases), "partner_count": len(partners)}
        # Outgoing mail first: deleting a mail that was not a notification
        # deletes its message too.
        counts["mail_count"] = partners._kunde_erase_outgoing(cases, messages)
        messages = messages.exists()
        counts["attachment_count"] = partners._kunde_erase_attachments(cases, messages)
        counts["tracking_count"] = partners._kunde_erase_tracking(messages, secrets)
        followers = env["mail.followers"].search([("partner_id", "in", partners.ids)])
        counts["follower_count"] = len(followers)
        followers.unlink()

        placeholder = _("(erased)")
        cases.write(
            {
                "name": placeholder,
                "description": False,
                "email_from": False,
                "phone": False,
                # Links to the case in the customer's old emails stop working.
                "access_token": False,
            }
        )
        partner_values = {
            name: False for name in PARTNER_PERSONAL_FIELDS if name in partners._fields
        }
        partner_values["active"] = False
        # Accounting keeps its records as they were issued: the name on the
        # invoices of these contacts (and of their own contacts, whose names
        # include theirs) is not recomputed.
        moves = env["account.move"].search([("partner_id", "child_of", partners.ids)])
        with env.protecting([moves._fields["invoice_partner_display_name"]], moves):
            for partner in partners:
                partner.write(
                    dict(
                        partner_values,
                        name=_("Erased contact #%(id)s", id=partner.id),
                    )
                )
        # After the renaming: ratings and activities keep the record's name.
        counts["rating_count"] = partners._kunde_erase_ratings(cases)
        counts["activity_count"] = partners._kunde_erase_activities(cases)
        counts["message_count"] = partners._kunde_erase_messages(messages)
        partners._kunde_erase_live_notifications(cases, messages, secrets)
        return (
            env["kunde.erasure.log"]
            .sudo()
            .create(
                dict(
                    counts,
                    user_id=user.id,
                    company_id=user.env.company.id,
                    partner_ids=[(6, 0, partners.ids)],
                    case_references=", ".join(sorted(cases.mapped("reference"))),
                )
            )
        )

    def _kunde_lock_and_cases(self):
        """Lock the contacts and their cases; return the cases, archived ones too.

        Row locks keep a concurrent edit of the contact or of a case (a reply
        that reopens it, an agent's change) from writing back what is being
        erased: it waits for the erasure, fails to serialise, and Odoo retries
        it on the erased records.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s ORDER BY id FOR UPDATE",
                SQL.identifier(self._table),
                tuple(self.ids),
            )
        )
        Case = self.env["kunde.case"]
        cr.execute(
            SQL(
                "SELECT id FROM %s WHERE partner_id IN %s ORDER BY id FOR UPDATE",
                SQL.identifier(Case._table),
                tuple(self.ids),
            )
        )
        return Case.browse(row[0] for row in cr.fetchall())

    def _kunde_secrets(self, cases):
        """The contacts' names, addresses and numbers, lower-cased: looked for in
        tracked values of other fields and in live notifications."""
        values = set()
        for partner in self:
            values.update(
                partner[name]
                for name in SECRET_PARTNER_FIELDS
                if name in partner._fields
            )
        for case in cases:
            values.update([case.email_from, case.phone])
        return {
            value.strip().lower()
            for value in values
            if value and len(value.strip()) >= MIN_SECRET_LENGTH
        }

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

    def _kunde_erase_ratings(self, cases):
        """Remove the customers' comments from their ratings; the scores stay."""
        ratings = self.env["rating.rating"].search(
            [
                "|",
                "&",
                ("res_model", "=", "kunde.case"),
                ("res_id", "in", cases.ids),
                ("partner_id", "in", self.ids),
            ]
        )
        ratings.feedback = False
        # The stored name of the rated record (the case's subject).
        self.env.add_to_compute(ratings._fields["res_name"], ratings)
        return len(ratings)

    def _kunde_erase_activities(self, cases):
        """Blank the summary and note of the activities on the cases and contacts."""
        activities = self.env["mail.activity"].search(
            [
                "|",
                "&",
                ("res_model", "=", "kunde.case"),
                ("res_id", "in", cases.ids),
                "&",
                ("res_model", "=", "res.partner"),
                ("res_id", "in", self.ids),
            ]
        )
        activities.write({"summary": False, "note": False})
        self.env.add_to_compute(activities._fields["res_name"], activities)
        return len(activities)

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
