"""res.partner segments: the last case's category, days since it, nightly job."""

from datetime import datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.kunde_crm.models.res_partner import STATS_GROUPS
from odoo.addons.kunde_crm.models.res_partner_health import COMMERCIAL_DOMAIN

# The stored segment, decided on the commercial partner and copied to its
# contacts, as the core's health is. kunde_last_case_date is the core's field:
# the segment refresh writes it too, from the same latest case.
SEGMENT_FIELDS = ("kunde_last_category_id", "kunde_segment_date")
# One batch per cron call (committed by the cron runner), and per refresh.
SEGMENT_BATCH_SIZE = 1000
DAYS_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    kunde_last_category_id = fields.Many2one(
        "kunde.case.category",
        string="Last Case Category",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
        groups=STATS_GROUPS,
        help="The category of the customer's company's latest case. With Days "
        "Since Last Case it makes a mailing segment such as 'asked about X in the "
        "last 90 days'.",
    )
    kunde_segment_date = fields.Datetime(
        string="Segment Checked On", copy=False, readonly=True, groups=STATS_GROUPS
    )
    kunde_last_case_days = fields.Integer(
        string="Days Since Last Case",
        compute="_compute_kunde_last_case_days",
        search="_search_kunde_last_case_days",
        groups=STATS_GROUPS,
        help="Whole days since the customer's company's latest case (0 when there "
        "is none). A filter on it is worked out when it is used, so a saved "
        "mailing filter such as 'Days Since Last Case <= 90' stays right as time "
        "passes.",
    )

    # ------------------------------------------------------------------
    # Compute and search
    # ------------------------------------------------------------------
    @api.depends("kunde_last_case_date")
    def _compute_kunde_last_case_days(self):
        now = fields.Datetime.now()
        for partner in self:
            last = partner.kunde_last_case_date
            partner.kunde_last_case_days = (now - last).days if last else 0

    def _search_kunde_last_case_days(self, operator, value):
        """Whole days since the last case, as a range on the stored date.

        Decided at search time (a mailing counts and sends with the date of
        that day), so nothing stored goes stale. Days are floored:
        ``days >= n`` is ``last <= now - n days``.
        """
        if value is False or value is None:
            if operator == "=":
                return [("kunde_last_case_date", "=", False)]
            if operator == "!=":
                return [("kunde_last_case_date", "!=", False)]
        if operator not in DAYS_OPERATORS or isinstance(value, bool):
            raise UserError(
                _("Days Since Last Case can only be compared with a number of days.")
            )
        try:
            days = int(value)
        except (TypeError, ValueError):
            raise UserError(
                _("Days Since Last Case can only be compared with a number of days.")
            ) from None
        now = fields.Datetime.now()

        def at_least(n):  # days >= n
            return [("kunde_last_case_date", "<=", now - timedelta(days=n))]

        def at_most(n):  # days <= n
            return [("kunde_last_case_date", ">", now - timedelta(days=n + 1))]

        if operator == ">=":
            return at_least(days)
        if operator == ">":
            return at_least(days + 1)
        if operator == "<=":
            return at_most(days)
        if operator == "<":
            return at_most(days - 1)
        if operator == "=":
            return at_least(days) + at_most(days)
        return ["|", *at_least(days + 1), *at_most(days - 1)]

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_kunde_segment_write(vals)
        partners = super().create(vals_list)
        partners.filtered("parent_id")._kunde_segment_copy_from_company()
        return partners

    def write(self, vals):
        self._check_kunde_segment_write(vals)
        result = super().write(vals)
        if "parent_id" in vals or "is_company" in vals:
            self._kunde_segment_copy_from_company()
        return result

    @api.model
    def _check_kunde_segment_write(self, vals):
        """The segment is computed, never set: not by RPC, an import or a form."""
        if not self.env.su and set(SEGMENT_FIELDS) & vals.keys():
            raise AccessError(
                _("The customer segment is computed; it cannot be set by hand.")
            )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _kunde_segment_copy_from_company(self):
        """A new or moved contact shows its company's segment at once."""
        partners = self.sudo()  # copies the company's computed values to its contacts
        for commercial, members in partners.grouped("commercial_partner_id").items():
            members = members - commercial
            # (or clears what a moved contact had from its former company)
            if members and (
                commercial.kunde_segment_date
                or any(members.mapped("kunde_segment_date"))
            ):
                members.write(
                    {
                        "kunde_last_category_id": commercial.kunde_last_category_id.id,
                        "kunde_segment_date": commercial.kunde_segment_date,
                    }
                )
            elif commercial in partners and commercial.kunde_segment_date:
                commercial._kunde_segment_refresh()

    def _kunde_customer_refresh(self):
        result = super()._kunde_customer_refresh()
        self._kunde_segment_refresh()
        return result

    def _kunde_segment_refresh(self):
        """Decide the segment of the commercial partners of ``self`` again.

        Private (no RPC): called by the case hooks and the nightly job. The
        segment counts every case of the partner's company, whoever triggered
        it, and writes computed values only: sudo. One query for the latest
        cases and one for the contacts per batch; the ORM writes the values in
        batched UPDATEs.
        """
        commercials = self.sudo().commercial_partner_id.filtered("active")
        for start in range(0, len(commercials), SEGMENT_BATCH_SIZE):
            batch = commercials[start : start + SEGMENT_BATCH_SIZE]
            latest = batch._kunde_latest_cases()
            now = fields.Datetime.now()
            family = batch.with_context(active_test=False).search(
                [("commercial_partner_id", "in", batch.ids)], order="id"
            )
            for commercial, members in family.grouped("commercial_partner_id").items():
                category_id, date = latest.get(commercial.id, (False, False))
                members.write(
                    {
                        "kunde_last_category_id": category_id,
                        "kunde_last_case_date": date,
                        "kunde_segment_date": now,
                    }
                )

    def _kunde_latest_cases(self):
        """{commercial partner id: (category id, date received)} of its latest case.

        The latest active case of the partner's own company (a shared
        partner: the main company's), as the core's health counts them. One
        query (DISTINCT ON: the ORM cannot pick one row per group).
        """
        if not self:
            return {}
        Case = self.env["kunde.case"]
        Case.flush_model(
            ["commercial_partner_id", "category_id", "date_received", "company_id"]
        )
        Case.flush_model(["active"])
        self.flush_model(["company_id"])
        main = self._kunde_health_main_company()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (c.commercial_partner_id)
                       c.commercial_partner_id, c.category_id, c.date_received
                  FROM kunde_case c
                  JOIN res_partner p ON p.id = c.commercial_partner_id
                 WHERE c.commercial_partner_id IN %s
                   AND c.active
                   AND c.company_id = COALESCE(p.company_id, %s)
              ORDER BY c.commercial_partner_id, c.date_received DESC, c.id DESC
                """,
                tuple(self.ids),
                main.id,
            )
        )
        return {
            partner_id: (category_id or False, date)
            for partner_id, category_id, date in self.env.cr.fetchall()
        }

    @api.model
    def _cron_kunde_segment(self, batch_size=SEGMENT_BATCH_SIZE):
        """Nightly: every commercial partner not yet checked today, in batches.

        A safety net beside the case hooks (imports, merges, archived cases).
        One batch per call; the cron runner commits it and calls again (Odoo
        18's ``_notify_progress``), so a stopped run resumes where it was.
        """
        today = datetime.combine(fields.Date.today(), time.min)
        domain = COMMERCIAL_DOMAIN + [
            "|",
            ("kunde_segment_date", "=", False),
            ("kunde_segment_date", "<", today),
        ]
        Partner = self.sudo()
        partners = Partner.search(domain, order="id", limit=batch_size)
        partners._kunde_segment_refresh()
        remaining = Partner.search_count(domain) if len(partners) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=remaining)
        return len(partners)
