from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .kunde_case_xlsx import report_env


class KundeCaseTrend(models.TransientModel):
    """ "How many inquiries lately were about X?" per category, against before.

    Rows are computed for one user and period (two grouped queries under the
    user's record rules) and shown as a list sorted by the largest rise.
    """

    _name = "kunde.case.trend"
    _description = "Case Trend by Category"
    _order = "change_count desc, count_now desc, id"

    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    category_id = fields.Many2one("kunde.case.category")
    count_now = fields.Integer(string="Cases in Period", aggregator="sum")
    count_before = fields.Integer(string="Cases in Previous Period", aggregator="sum")
    change_count = fields.Integer(string="Change", aggregator="sum")
    sla_kept = fields.Float(
        string="SLA Kept (%)",
        aggregator="avg",
        help="Share of the period's cases with a known SLA outcome that kept it.",
    )
    csat_avg = fields.Float(
        string="Satisfaction",
        aggregator=False,
        help="Average rating (1 to 5) of the period's cases that the customer rated.",
    )
    csat_satisfied = fields.Float(
        string="Satisfied (%)",
        aggregator=False,
        help="Share of 5s (the happy face) among the period's rated cases.",
    )
    csat_count = fields.Integer(string="Ratings", aggregator="sum")
    change_percent = fields.Float(
        string="Change (%)",
        aggregator=False,
        help="Change against the previous period of the same length. Empty when "
        "there were no cases before.",
    )

    @api.model
    def _period_bounds(self, date_from, date_to):
        """UTC datetimes [start, end) of a period and of the one before it."""
        if date_from > date_to:
            raise ValidationError(
                self.env._("The start date must be on or before the end date.")
            )
        tz_now = fields.Datetime.context_timestamp(self, fields.Datetime.now())
        offset = tz_now.utcoffset() or timedelta()
        start = datetime.combine(date_from, time.min) - offset
        end = datetime.combine(date_to + timedelta(days=1), time.min) - offset
        length = end - start
        return start - length, start, end

    @api.model
    def _count_by_category(self, date_from, date_to, domain=None):
        """{category: (count now, count before, SLA kept %)}, two grouped queries."""
        return {
            category: (figures["now"], figures["before"], figures["sla_kept"])
            for category, figures in self._figures_by_category(
                date_from, date_to, domain
            ).items()
        }

    @api.model
    def _figures_by_category(self, date_from, date_to, domain=None):
        """{category: {now, before, sla_kept, csat_avg, csat_satisfied,
        csat_count}}: two grouped queries under the user's record rules. The
        satisfaction figures are those of the period's rated cases."""
        before_start, start, end = self._period_bounds(date_from, date_to)
        Case = self.env["kunde.case"]
        base = list(domain or [])
        now_figures = {}
        for category, count, sla_kept, csat_avg, satisfied, rated in Case._read_group(
            base + [("date_received", ">=", start), ("date_received", "<", end)],
            ["category_id"],
            [
                "__count",
                "sla_kept:avg",
                "csat_rating:avg",
                "csat_satisfied:avg",
                "csat_rated:sum",
            ],
        ):
            now_figures[category] = {
                "now": count,
                "sla_kept": sla_kept,
                "csat_avg": csat_avg,
                "csat_satisfied": satisfied,
                "csat_count": rated or 0,
            }
        before_counts = dict(
            Case._read_group(
                base
                + [
                    ("date_received", ">=", before_start),
                    ("date_received", "<", start),
                ],
                ["category_id"],
                ["__count"],
            )
        )
        empty = {
            "now": 0,
            "sla_kept": None,
            "csat_avg": None,
            "csat_satisfied": None,
            "csat_count": 0,
        }
        return {
            category: dict(
                now_figures.get(category, empty),
                before=before_counts.get(category, 0),
            )
            for category in set(now_figures) | set(before_counts)
        }

    @api.model
    def _compute_rows(self, date_from, date_to, domain=None):
        rows = []
        for category, figures in self._figures_by_category(
            date_from, date_to, domain
        ).items():
            now, before = figures["now"], figures["before"]
            rows.append(
                {
                    "date_from": date_from,
                    "date_to": date_to,
                    "category_id": category.id,
                    "count_now": now,
                    "count_before": before,
                    "change_count": now - before,
                    "sla_kept": figures["sla_kept"] or 0.0,
                    "csat_avg": figures["csat_avg"] or False,
                    "csat_satisfied": figures["csat_satisfied"]
                    if figures["csat_count"]
                    else False,
                    "csat_count": figures["csat_count"],
                    "change_percent": (now - before) * 100.0 / before
                    if before
                    else False,
                }
            )
        return rows

    @api.model
    def action_open(self, date_from=None, date_to=None):
        """The trend list for a period (default: the last 30 days)."""
        today = fields.Date.context_today(self)
        date_to = fields.Date.to_date(date_to) or today
        date_from = fields.Date.to_date(date_from) or date_to - timedelta(days=29)
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        self.create(self._compute_rows(date_from, date_to))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "kunde_crm.kunde_case_trend_action_list"
        )
        action["display_name"] = report_env(self.env)._(
            "Trend by category, %(date_from)s to %(date_to)s, vs. the period before",
            date_from=fields.Date.to_string(date_from),
            date_to=fields.Date.to_string(date_to),
        )
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action


class KundeCaseTrendWizard(models.TransientModel):
    _name = "kunde.case.trend.wizard"
    _description = "Choose the Trend Period"

    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=29),
    )
    date_to = fields.Date(
        string="To", required=True, default=lambda self: fields.Date.context_today(self)
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(
                    self.env._("The start date must be on or before the end date.")
                )

    def action_show(self):
        self.ensure_one()
        return self.env["kunde.case.trend"].action_open(self.date_from, self.date_to)
