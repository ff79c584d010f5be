"""res.partner customer health: stored flag and reasons, 360 figures, nightly job."""

from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.misc import formatLang

from .kunde_case_constants import (
    HEALTH_BATCH_SIZE,
    HEALTH_LEVELS,
    RATING_DISSATISFIED_BELOW,
    RECENT_DAYS,
    SATISFACTION_DAYS,
)
from .res_partner import STATS_GROUPS

LEVEL_RANK = {"green": 0, "amber": 1, "red": 2}
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

    def _kunde_health_values(self):
        """{commercial partner: values to write} for the commercial partners ``self``.

        Each partner is judged on the cases, ratings and invoices of its own
        company (a shared one: the main company's), with that company's
        thresholds. Six queries for the batch, plus one per distinct burst
        window (one per company at most).
        """
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        main = self._kunde_health_main_company()
        company_of = {p: p.company_id or main for p in self}
        companies = self.env["res.company"].union(*company_of.values())
        Case = self.env["kunde.case"]
        base = [
            ("commercial_partner_id", "in", self.ids),
            ("company_id", "in", companies.ids),
        ]

        def own(rows):
            """Rows of (partner, company, *values) of the partner's own company."""
            return {row[0]: row[2:] for row in rows if company_of.get(row[0]) == row[1]}

        keys = ["commercial_partner_id", "company_id"]
        dates = own(
            Case._read_group(base, keys, ["date_received:min", "date_received:max"])
        )
        bursts = defaultdict(list)
        for window in set(companies.mapped("kunde_health_burst_days")):
            for partner, company, category, count in Case._read_group(
                base
                + [
                    ("date_received", ">", now - timedelta(days=window)),
                    ("category_id", "!=", False),
                ],
                [*keys, "category_id"],
                ["__count"],
            ):
                if (
                    company_of.get(partner) == company
                    and company.kunde_health_burst_days == window
                ):
                    bursts[partner].append((category, count, window))
        ratings = self._kunde_health_ratings(base, company_of, now)
        overdue = own(
            self.env["account.move"]._read_group(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("commercial_partner_id", "in", self.ids),
                    ("company_id", "in", companies.ids),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", today),
                ],
                keys,
                ["invoice_date_due:min", "__count"],
            )
        )
        result = {}
        for partner in self:
            company = company_of[partner]
            first, last = dates.get(partner, (False, False))
            total, count, bad = ratings.get(partner, (0.0, 0, 0))
            average = round(total / count, 2) if count else 0.0
            reasons = self._kunde_health_reasons_of(
                company,
                bad=bad,
                average=average,
                overdue=overdue.get(partner),
                bursts=bursts.get(partner, []),
                today=today,
            )
            level = max(
                (reason["level"] for reason in reasons),
                key=LEVEL_RANK.get,
                default="green",
            )
            result[partner] = {
                "kunde_health": level,
                "kunde_health_data": reasons,
                "kunde_health_date": now,
                "kunde_satisfaction_avg": average,
                "kunde_first_case_date": first,
                "kunde_last_case_date": last,
            }
        return result

    def _kunde_health_ratings(self, case_domain, company_of, now):
        """{partner: (sum, count) of 12 months, dissatisfied count of 90 days}.

        The customer's ratings of its cases (consumed, 1 to 5), dated by their
        last write (when the customer rated). Three queries.
        """
        Case = self.env["kunde.case"]
        Rating = self.env["rating.rating"]
        rated = [
            ("res_model", "=", "kunde.case"),
            ("res_id", "in", Case._search(case_domain)),
            ("consumed", "=", True),
            ("rating", ">=", 1),
        ]
        year = Rating._read_group(
            rated + [("write_date", ">", now - timedelta(days=SATISFACTION_DAYS))],
            ["res_id"],
            ["rating:sum", "__count"],
        )
        bad = dict(
            Rating._read_group(
                rated
                + [
                    ("write_date", ">", now - timedelta(days=RECENT_DAYS)),
                    ("rating", "<", RATING_DISSATISFIED_BELOW),
                ],
                ["res_id"],
                ["__count"],
            )
        )
        cases = Case.browse([res_id for res_id, _sum, _count in year])
        cases.fetch(["commercial_partner_id", "company_id"])
        result = {}
        for case, (_res_id, total, count) in zip(cases, year, strict=True):
            partner = case.commercial_partner_id
            if company_of.get(partner) != case.company_id:
                continue
            old = result.get(partner, (0.0, 0, 0))
            result[partner] = (
                old[0] + total,
                old[1] + count,
                old[2] + bad.get(case.id, 0),
            )
        return result

    @api.model
    def _kunde_health_reasons_of(self, company, bad, average, overdue, bursts, today):
        """The reasons (codes, numbers, level) against the company's thresholds."""

        def level(value, amber, red):
            return "red" if value >= red else "amber" if value >= amber else None

        reasons = []
        found = level(
            bad,
            company.kunde_health_bad_ratings_amber,
            company.kunde_health_bad_ratings_red,
        )
        if found:
            reasons.append(
                {
                    "code": "bad_ratings",
                    "level": found,
                    "count": bad,
                    "days": RECENT_DAYS,
                }
            )
        if overdue:
            due, count = overdue
            days = (today - due).days
            found = level(
                days,
                company.kunde_health_overdue_days_amber,
                company.kunde_health_overdue_days_red,
            )
            if found:
                reasons.append(
                    {"code": "overdue", "level": found, "days": days, "count": count}
                )
        for category, count, window in sorted(bursts, key=lambda b: -b[1]):
            found = level(
                count,
                company.kunde_health_burst_amber,
                company.kunde_health_burst_red,
            )
            if found:
                reasons.append(
                    {
                        "code": "burst",
                        "level": found,
                        "count": count,
                        "days": window,
                        "category_id": category.id,
                        "category": category.name,
                    }
                )
        threshold = company.kunde_health_satisfaction_amber
        if average and threshold and average < threshold:
            reasons.append({"code": "satisfaction", "level": "amber", "avg": average})
        return reasons

    def _kunde_health_reason_text(self, reason, category_names):
        """One stored reason in words, in the language of ``self.env``."""
        code = reason.get("code")
        if code == "bad_ratings":
            if reason["count"] == 1:
                return _("1 dissatisfied rating in %(days)s days", days=reason["days"])
            return _(
                "%(count)s dissatisfied ratings in %(days)s days",
                count=reason["count"],
                days=reason["days"],
            )
        if code == "overdue":
            if reason["count"] > 1:
                return _(
                    "Invoice overdue %(days)s days (%(count)s overdue invoices)",
                    days=reason["days"],
                    count=reason["count"],
                )
            return _("Invoice overdue %(days)s days", days=reason["days"])
        if code == "burst":
            return _(
                "%(count)s cases in %(days)s days about %(category)s",
                count=reason["count"],
                days=reason["days"],
                category=category_names.get(
                    reason.get("category_id"), reason.get("category")
                ),
            )
        if code == "satisfaction":
            return _(
                "Average satisfaction %(average)s of 5 over 12 months",
                average=formatLang(self.env, reason["avg"], digits=1),
            )
        return code or ""

    @api.model
    def _kunde_health_main_company(self):
        """The company whose data and thresholds judge a shared partner."""
        return self.env.ref("base.main_company", raise_if_not_found=False) or (
            self.env["res.company"].sudo().search([], limit=1)
        )
