"""res.partner erasure: a contact's personal data erased on request (GDPR art. 17).

The contact is anonymised and archived, never deleted: its cases, invoices and
payments keep pointing at it. Its cases keep what the organisation needs
(reference, dates, category, team, agent, stage, invoice links); what describes
the person goes: subjects, descriptions, the text of the conversation, tracked
old values, attachments, outgoing emails and SMS, rating comments, activity
notes, subscriptions. One transaction: it all happens or nothing does. The
README's "Erasure on request" says what Odoo keeps elsewhere and why.
"""

from odoo import _, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

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
        # The log's company: the manager's current one, read before the work
        # (the work's writes may evict the user from the cache).
        company = self.env.company
        with self.env.cr.savepoint():
            return self.sudo()._kunde_erase(user, company)

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
    def _kunde_erase(self, user, company):
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
                # The satisfaction comment, kept on the case for the reports.
                "csat_feedback": False,
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
        other = partners._kunde_erase_elsewhere(cases, secrets)
        counts["other_counts"] = (
            "\n".join(f"{label}: {count}" for label, count in other.items()) or False
        )
        return (
            env["kunde.erasure.log"]
            .sudo()
            .create(
                dict(
                    counts,
                    user_id=user.id,
                    company_id=company.id,
                    partner_ids=[(6, 0, partners.ids)],
                    case_references=", ".join(sorted(cases.mapped("reference"))),
                )
            )
        )

    def _kunde_erase_elsewhere(self, cases, secrets):
        """What other addons keep of these contacts and cases, erased.

        A hook for the bridge addons (kunde_crm_crm's leads, kunde_crm_mass_mailing's
        mailing-list contacts), called as superuser inside the erasure's
        transaction, after the contacts and cases are anonymised. Returns
        ``{label: count}`` for the log; no erased value in it.
        """
        return {}

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
