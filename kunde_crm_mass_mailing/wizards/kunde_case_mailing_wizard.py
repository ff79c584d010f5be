"""kunde.case.mailing.wizard: the customers of cases, added to a mailing list."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, email_normalize

# Rows per IN (...) query and per batched create.
QUERY_CHUNK = 5000
CREATE_CHUNK = 1000
MAX_DAYS = 3660
VIEWER_GROUP = "kunde_crm.kunde_crm_group_viewer"
QUIET_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


def chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class KundeCaseMailingWizard(models.TransientModel):
    _name = "kunde.case.mailing.wizard"
    _description = "Add Customers to a Mailing List"

    def _default_case_ids(self):
        # Only a suggestion for the form: action_add_to_list searches the
        # cases again as the user (a client can send any ids here).
        if self.env.context.get("active_model") == "kunde.case":
            return [(6, 0, self.env.context.get("active_ids") or [])]
        return False

    source = fields.Selection(
        [
            ("cases", "Selected cases"),
            ("category", "Customers who asked about a category"),
        ],
        string="Customers",
        required=True,
        default="cases",
    )
    case_ids = fields.Many2many(
        "kunde.case",
        "kunde_case_mailing_wizard_case_rel",
        "wizard_id",
        "case_id",
        string="Selected Cases",
        default=_default_case_ids,
    )
    category_id = fields.Many2one(
        "kunde.case.category",
        help="Cases of this category and of its subcategories.",
    )
    days = fields.Integer(
        string="In the Last (Days)",
        default=90,
        help="Cases received in this many days, up to and including the end date.",
    )
    date_to = fields.Date(string="Up To", help="Empty: up to now.")
    mailing_list_id = fields.Many2one("mailing.list")
    new_list_name = fields.Char(
        string="New Mailing List",
        help="No list chosen: a new list with this name is created.",
    )
    exclude_open = fields.Boolean(
        string="Leave Out Customers with an Open Case",
        help="Customers whose company has a case that is not closed are not added.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")], default="draft", required=True
    )
    count_added = fields.Integer(string="Added", readonly=True)
    count_existing = fields.Integer(string="Already on the List", readonly=True)
    count_blacklisted = fields.Integer(string="Skipped: Blacklisted", readonly=True)
    count_opted_out = fields.Integer(string="Skipped: Opted Out", readonly=True)
    count_no_email = fields.Integer(string="Skipped: No Valid Email", readonly=True)
    count_open = fields.Integer(string="Left Out: Open Case", readonly=True)
    result_message = fields.Text(compute="_compute_result_message")

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends(
        "state",
        "mailing_list_id",
        "count_added",
        "count_existing",
        "count_blacklisted",
        "count_opted_out",
        "count_no_email",
        "count_open",
    )
    def _compute_result_message(self):
        for wizard in self:
            if wizard.state != "done":
                wizard.result_message = False
                continue
            lines = [
                self.env._(
                    "%(count)s customer(s) added to %(list)s.",
                    count=wizard.count_added,
                    list=wizard.mailing_list_id.name,
                ),
                self.env._(
                    "%(count)s already on the list.", count=wizard.count_existing
                ),
                self.env._(
                    "Skipped: %(blacklisted)s blacklisted, %(opted_out)s opted out "
                    "of this list, %(no_email)s without a valid email address.",
                    blacklisted=wizard.count_blacklisted,
                    opted_out=wizard.count_opted_out,
                    no_email=wizard.count_no_email,
                ),
            ]
            if wizard.exclude_open:
                lines.append(
                    self.env._(
                        "Left out: %(count)s with an open case.",
                        count=wizard.count_open,
                    )
                )
            wizard.result_message = "\n".join(lines)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    @api.model
    def _action_open(self, context):
        """The wizard in a dialog, with ``context``'s defaults."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add customers to a mailing list"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    def action_add_to_list(self):
        """Add the customers to the list; the counts are shown on the wizard.

        Everything is read as the user (record rules decide which cases and
        customers); the list, contacts and subscriptions are written as the
        user too (Email Marketing's access rights).
        """
        self.ensure_one()
        if self.state != "done":
            self._check_kunde_rights()
            cases = self._segment_cases()
            recipients, counts = self._segment_recipients(cases)
            mailing_list = self._target_list()
            counts.update(self._kunde_add_to_mailing_list(mailing_list, recipients))
            self.write(
                dict(
                    {f"count_{key}": value for key, value in counts.items()},
                    mailing_list_id=mailing_list.id,
                    state="done",
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add customers to a mailing list"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_open_list(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.list",
            "res_id": self.mailing_list_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _check_kunde_rights(self):
        """Customer service's data needs customer service's reading rights."""
        if not self.env.user.has_group(VIEWER_GROUP):
            raise AccessError(
                self.env._(
                    "Only customer service users (Kundeservice: Reporting or more) "
                    "can add the customers of cases to a mailing list."
                )
            )

    def _segment_cases(self):
        """The cases to take the customers from, searched as the user."""
        Case = self.env["kunde.case"].with_context(active_test=False)
        if self.source == "cases":
            ids = self.case_ids.ids
            if not ids:
                raise UserError(self.env._("Select at least one case."))
            cases = Case.search([("id", "in", ids)])
            if len(cases) != len(set(ids)):
                raise AccessError(
                    self.env._(
                        "You cannot read some of the selected cases; nobody was "
                        "added."
                    )
                )
            return cases
        if not self.category_id:
            raise UserError(self.env._("Choose a category."))
        if not 1 <= self.days <= MAX_DAYS:
            raise UserError(
                self.env._(
                    "The number of days must be between 1 and %(max)s.", max=MAX_DAYS
                )
            )
        self.category_id.check_access("read")
        if self.date_to:
            date_from = self.date_to - timedelta(days=self.days - 1)
            _before, start, end = self.env["kunde.case.trend"]._period_bounds(
                date_from, self.date_to
            )
        else:
            # Up to now, this second included (a case received just now).
            end = fields.Datetime.now() + timedelta(seconds=1)
            start = end - timedelta(days=self.days)
        return Case.with_context(active_test=True).search(
            [
                ("category_id", "child_of", self.category_id.id),
                ("date_received", ">=", start),
                ("date_received", "<", end),
            ]
        )

    def _segment_recipients(self, cases):
        """({normalised email: (name, email)}, counts) of the cases' customers.

        One grouped query for the customers, one for their contact details,
        and one for the open cases (if asked), whatever the number of cases.
        """
        Case = self.env["kunde.case"]
        counts = {"no_email": 0, "open": 0}
        partner_ids = set()
        loose = set()  # email addresses of cases without a customer
        for partner, email in Case.with_context(active_test=False)._read_group(
            [("id", "in", cases.ids)], ["partner_id", "email_from"]
        ):
            if partner:
                partner_ids.add(partner.id)
            elif email:
                loose.add(email)
        partners = self.env["res.partner"].browse(sorted(partner_ids))
        partners.fetch(["name", "email", "commercial_partner_id"])
        if self.exclude_open:
            open_customers = {
                partner
                for [partner] in Case._read_group(
                    [
                        (
                            "commercial_partner_id",
                            "in",
                            partners.commercial_partner_id.ids,
                        ),
                        ("is_closed", "=", False),
                    ],
                    ["commercial_partner_id"],
                )
            }
            open_emails = {
                email
                for [email] in Case._read_group(
                    [
                        ("partner_id", "=", False),
                        ("email_from", "in", list(loose)),
                        ("is_closed", "=", False),
                    ],
                    ["email_from"],
                )
            }
            kept = partners.filtered(
                lambda p: p.commercial_partner_id not in open_customers
            )
            counts["open"] = len(partners - kept) + len(loose & open_emails)
            partners, loose = kept, loose - open_emails
        candidates = [(p.name, p.email) for p in partners]
        candidates += [(email, email) for email in sorted(loose)]
        recipients = {}
        for name, email in candidates:
            normalized = email_normalize(email) if email else False
            if not normalized:
                counts["no_email"] += 1
                continue
            recipients.setdefault(normalized, (name or normalized, email.strip()))
        return recipients, counts

    def _target_list(self):
        """The chosen list, or a new one; locked until the end of the transaction."""
        MailingList = self.env(context=self._clean_context())["mailing.list"]
        if self.mailing_list_id:
            mailing_list = self.mailing_list_id
            mailing_list.check_access("write")
        elif (self.new_list_name or "").strip():
            mailing_list = MailingList.create({"name": self.new_list_name.strip()})
        else:
            raise UserError(
                self.env._("Choose a mailing list or give a name for a new one.")
            )
        # Two people adding to one list at once: one after the other, so an
        # address is not added twice.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM mailing_list WHERE id = %s FOR NO KEY UPDATE",
                mailing_list.id,
            )
        )
        return mailing_list

    def _kunde_add_to_mailing_list(self, mailing_list, recipients):
        """Subscribe ``recipients`` ({normalised email: (name, email)}) to the list.

        Blacklisted addresses and addresses opted out of the list are skipped;
        an existing contact with the address is subscribed, a new one is
        created otherwise. Constant queries per chunk of 5,000 addresses, and
        batched creates: no search per address.
        """
        env = self.env(context=self._clean_context(**QUIET_CONTEXT))
        Contact = env["mailing.contact"]
        Subscription = env["mailing.subscription"]
        counts = {"added": 0, "existing": 0, "blacklisted": 0, "opted_out": 0}
        to_subscribe, to_create = [], []
        for chunk in chunks(recipients, QUERY_CHUNK):
            blacklisted = set(
                env["mail.blacklist"]
                .search_fetch([("email", "in", chunk)], ["email"])
                .mapped("email")
            )
            opted_out, subscribed = set(), set()
            for subscription in Subscription.search_fetch(
                [
                    ("list_id", "=", mailing_list.id),
                    ("contact_id.email_normalized", "in", chunk),
                ],
                ["contact_id", "opt_out"],
            ):
                email = subscription.contact_id.email_normalized
                (opted_out if subscription.opt_out else subscribed).add(email)
            contact_of = {}
            for contact in Contact.search_fetch(
                [("email_normalized", "in", chunk)], ["email_normalized"], order="id"
            ):
                contact_of.setdefault(contact.email_normalized, contact.id)
            for email in chunk:
                if email in blacklisted:
                    counts["blacklisted"] += 1
                elif email in opted_out:
                    counts["opted_out"] += 1
                elif email in subscribed:
                    counts["existing"] += 1
                elif email in contact_of:
                    to_subscribe.append(contact_of[email])
                else:
                    name, raw = recipients[email]
                    to_create.append({"name": name, "email": raw})
        for batch in chunks(to_create, CREATE_CHUNK):
            to_subscribe += Contact.create(batch).ids
        for batch in chunks(to_subscribe, CREATE_CHUNK):
            Subscription.create(
                [
                    {"contact_id": contact_id, "list_id": mailing_list.id}
                    for contact_id in batch
                ]
            )
        counts["added"] = len(to_subscribe)
        return counts

    def _clean_context(self, **extra):
        """The context without the form's defaults (they are the wizard's)."""
        context = {
            key: value
            for key, value in self.env.context.items()
            if not key.startswith("default_")
        }
        context.update(extra)
        return context
