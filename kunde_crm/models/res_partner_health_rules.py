"""res.partner customer health rules: the signals, their thresholds, the reasons."""

from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools.misc import formatLang

from .kunde_case_constants import (
    RATING_DISSATISFIED_BELOW,
    RECENT_DAYS,
    SATISFACTION_DAYS,
)

LEVEL_RANK = {"green": 0, "amber": 1, "red": 2}


class ResPartner(models.Model):
    _inherit = "res.partner"

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
