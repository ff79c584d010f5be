"""res.partner customer health: stored flag and reasons, 360 figures, nightly job."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .kunde_case_constants import (
    HEALTH_BATCH_SIZE,
    HEALTH_LEVELS,
    RECENT_DAYS,
    SATISFACTION_DAYS,
)
from .res_partner import STATS_GROUPS

# The stored health, decided on the commercial partner and copied to its
# contacts (see _kunde_health_refresh and _kunde_health_copy_from_company).
HEALTH_STORED_FIELDS = (
    "kunde_health",
    "kunde_health_data",
    "kunde_health_date",
    "kunde_satisfaction_avg",
    "kunde_first_case_date",
    "kunde_last_case_date",
)
# Commercial partners: companies, and persons without a company.
COMMERCIAL_DOMAIN = ["|", ("is_company", "=", True), ("parent_id", "=", False)]


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Fields: stored, written only by _kunde_health_refresh (superuser)
    # ------------------------------------------------------------------
    kunde_health = fields.Selection(
        HEALTH_LEVELS,
        string="Customer Health",
        index=True,
        copy=False,
        readonly=True,
        groups=STATS_GROUPS,
        help="Green, amber or red from the customer's company's ratings, overdue "
        "invoices and bursts of cases (thresholds: Settings > Companies). Decided "
        "for the company and shown on its contacts.",
    )
    kunde_health_data = fields.Json(
        string="Health Reason Codes",
        copy=False,
        readonly=True,
        groups=STATS_GROUPS,
        help="The reasons as codes and numbers; the words are rendered in the "
        "reader's language.",
    )
    kunde_health_date = fields.Datetime(
        string="Health Checked On", copy=False, readonly=True, groups=STATS_GROUPS
    )
    kunde_satisfaction_avg = fields.Float(
        string="Average Satisfaction (12 Months)",
        copy=False,
        readonly=True,
        groups=STATS_GROUPS,
        help="Average of the customer's case ratings (1 to 5) of the last 12 "
        "months; 0 when there is none.",
    )
    kunde_first_case_date = fields.Datetime(
        string="First Case", copy=False, readonly=True, groups=STATS_GROUPS
    )
    kunde_last_case_date = fields.Datetime(
        string="Last Case", copy=False, readonly=True, groups=STATS_GROUPS
    )

    # ------------------------------------------------------------------
    # Fields: computed at read time, for the reader
    # ------------------------------------------------------------------
    kunde_health_reasons = fields.Text(
        string="Health Reasons",
        compute="_compute_kunde_health_reasons",
        groups=STATS_GROUPS,
    )
    kunde_stat_categories = fields.Text(
        string=f"Cases in the Last {RECENT_DAYS} Days by Category",
        compute="_compute_kunde_stat_contact",
        groups=STATS_GROUPS,
    )
    kunde_last_contact_date = fields.Datetime(
        string="Last Contact",
        compute="_compute_kunde_stat_contact",
        groups=STATS_GROUPS,
        help="The latest case received, answered or closed.",
    )
    kunde_days_since_contact = fields.Integer(
        string="Days Since Last Contact",
        compute="_compute_kunde_stat_contact",
        groups=STATS_GROUPS,
    )
    kunde_currency_id = fields.Many2one(
        "res.currency",
        string="Health Currency",
        compute="_compute_kunde_stat_invoices",
        groups=STATS_GROUPS,
    )
    kunde_invoiced_12m = fields.Monetary(
        string="Invoiced (12 Months)",
        currency_field="kunde_currency_id",
        compute="_compute_kunde_stat_invoices",
        groups=STATS_GROUPS,
        help="Posted invoices less credit notes of the last 12 months, untaxed, in "
        "your current company.",
    )
    kunde_overdue_amount = fields.Monetary(
        string="Overdue Amount",
        currency_field="kunde_currency_id",
        compute="_compute_kunde_stat_invoices",
        groups=STATS_GROUPS,
    )
    kunde_overdue_count = fields.Integer(
        string="Overdue Invoices",
        compute="_compute_kunde_stat_invoices",
        groups=STATS_GROUPS,
    )

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("kunde_health_data")
    @api.depends_context("lang", "uid")
    def _compute_kunde_health_reasons(self):
        """The stored reason codes in words, in the reader's language.

        A reader who does not work for the company the health was decided for
        (a shared contact) gets no reasons: they carry that company's figures.
        """
        allowed = self.env.user.company_ids
        main = self._kunde_health_main_company()
        categories = self.env["kunde.case.category"]
        for partner in self:
            for reason in partner.kunde_health_data or []:
                if reason.get("category_id"):
                    categories |= categories.browse(reason["category_id"])
        # Names only of the categories of companies the reader works for (the
        # check just above decides which partners' reasons are rendered).
        names = {
            category.id: category.name
            for category in categories.sudo().exists()
            if not category.company_id or category.company_id in allowed
        }
        for partner in self:
            company = partner.commercial_partner_id.company_id or main
            if not self.env.su and company not in allowed:
                partner.kunde_health_reasons = False
                continue
            lines = [
                partner._kunde_health_reason_text(reason, names)
                for reason in partner.kunde_health_data or []
            ]
            partner.kunde_health_reasons = "\n".join(lines) or False

    @api.depends_context("uid", "companies")
    def _compute_kunde_stat_contact(self):
        """Cases by category (90 days) and the last contact, batched.

        As the reader: the record rules decide which cases count. Two queries
        for any number of partners, and one for the category names.
        """
        Case = self.env["kunde.case"]
        commercials = self.commercial_partner_id
        domain = [("commercial_partner_id", "in", commercials.ids)]
        since = fields.Datetime.now() - timedelta(days=RECENT_DAYS)
        by_category = defaultdict(list)
        for partner, category, count in Case._read_group(
            domain + [("date_received", ">=", since)],
            ["commercial_partner_id", "category_id"],
            ["__count"],
            order="__count desc",
        ):
            by_category[partner].append((category, count))
        last = {}
        for partner, received, responded, closed in Case._read_group(
            domain,
            ["commercial_partner_id"],
            ["date_received:max", "date_first_response:max", "date_closed:max"],
        ):
            last[partner] = max(d for d in (received, responded, closed) if d)
        none = _("No category")
        now = fields.Datetime.now()
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.kunde_stat_categories = (
                "\n".join(
                    f"{category.name if category else none}: {count}"
                    for category, count in by_category.get(commercial, [])
                )
                or False
            )
            date = last.get(commercial, False)
            partner.kunde_last_contact_date = date
            partner.kunde_days_since_contact = (now - date).days if date else 0

    @api.depends_context("uid", "company")
    def _compute_kunde_stat_invoices(self):
        """Invoiced over 12 months and the overdue position, in the current company.

        Agents may not read invoices; like the payment position on a case they
        see the totals of a customer they may read (the field is for the
        Reporting group and up, checked here before the sudo). Two grouped
        queries whatever the number of partners.
        """
        company = self.env.company
        self.kunde_currency_id = company.currency_id
        self.kunde_invoiced_12m = self.kunde_overdue_amount = 0
        self.kunde_overdue_count = 0
        commercials = self.commercial_partner_id
        if not commercials or not (
            self.env.su or self.env.user.has_group(STATS_GROUPS)
        ):
            return
        Move = self.env["account.move"].sudo()
        today = fields.Date.context_today(self)
        domain = Move._kunde_customer_documents_domain() + [
            ("commercial_partner_id", "in", commercials.ids),
            ("company_id", "=", company.id),
        ]
        invoiced = dict(
            Move._read_group(
                domain
                + [("invoice_date", ">", today - timedelta(days=SATISFACTION_DAYS))],
                ["commercial_partner_id"],
                ["amount_untaxed_signed:sum"],
            )
        )
        overdue = {
            partner: (amount, count)
            for partner, amount, count in Move._read_group(
                domain
                + [
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", today),
                ],
                ["commercial_partner_id"],
                ["amount_residual_signed:sum", "__count"],
            )
        }
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.kunde_invoiced_12m = invoiced.get(commercial, 0.0)
            amount, count = overdue.get(commercial, (0.0, 0))
            partner.kunde_overdue_amount = amount
            partner.kunde_overdue_count = count

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_kunde_health_write(vals)
        partners = super().create(vals_list)
        partners.filtered("parent_id")._kunde_health_copy_from_company()
        return partners

    def write(self, vals):
        self._check_kunde_health_write(vals)
        result = super().write(vals)
        if "parent_id" in vals or "is_company" in vals:
            self._kunde_health_copy_from_company()
        return result

    @api.model
    def _check_kunde_health_write(self, vals):
        """The health is computed, never set: not by RPC, an import or a form."""
        if not self.env.su and set(HEALTH_STORED_FIELDS) & vals.keys():
            raise AccessError(
                _("The customer health is computed; it cannot be set by hand.")
            )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _kunde_health_refresh(self):
        """Decide the health of the commercial partners of ``self`` again.

        Private (no RPC): called by the case close, rating and nightly hooks.
        The health counts every case, rating and invoice of the partner's
        company, whoever triggered it, and writes computed values only: sudo.
        A constant number of queries per batch; the ORM writes the values in
        batched UPDATEs.
        """
        commercials = self.sudo().commercial_partner_id.filtered("active")
        if not commercials:
            return
        values = commercials._kunde_health_values()
        # The company and its contacts (archived ones too) in one write each.
        family = commercials.with_context(active_test=False).search(
            [("commercial_partner_id", "in", commercials.ids)], order="id"
        )
        for commercial, members in family.grouped("commercial_partner_id").items():
            members.write(values[commercial])

    def _kunde_customer_refresh(self):
        """What depends on the customer's cases, decided again after a case of
        theirs was closed (the refresh job; the bridges add their figures)."""
        self._kunde_health_refresh()

    def _kunde_health_copy_from_company(self):
        """A new or moved contact shows its company's health at once."""
        # Copies values the company already has, to the company's own contacts.
        partners = self.sudo()
        for commercial, members in partners.grouped("commercial_partner_id").items():
            members = members - commercial
            # (or clears what a moved contact had from its former company)
            if members and (
                commercial.kunde_health or any(members.mapped("kunde_health"))
            ):
                members.write(
                    {fname: commercial[fname] for fname in HEALTH_STORED_FIELDS}
                )
            elif commercial in partners and commercial.kunde_health:
                # Became a company of its own: its own health, decided now.
                commercial._kunde_health_refresh()

    @api.model
    def _cron_kunde_health(self, batch_size=HEALTH_BATCH_SIZE):
        """Nightly: every commercial partner not yet checked today, in batches.

        One batch per call; the cron runner commits it and calls again (Odoo
        18's ``_notify_progress``), so a stopped run resumes where it was.
        """
        today = datetime.combine(fields.Date.today(), time.min)
        domain = COMMERCIAL_DOMAIN + [
            "|",
            ("kunde_health_date", "=", False),
            ("kunde_health_date", "<", today),
        ]
        Partner = self.sudo()
        partners = Partner.search(domain, order="id", limit=batch_size)
        partners._kunde_health_refresh()
        remaining = Partner.search_count(domain) if len(partners) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=remaining)
        return len(partners)

    @api.model
    def _kunde_health_main_company(self):
        """The company whose data and thresholds judge a shared partner."""
        return self.env.ref("base.main_company", raise_if_not_found=False) or (
            self.env["res.company"].sudo().search([], limit=1)
        )
