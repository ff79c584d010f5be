"""res.company: the monthly report's recipients and the customer health thresholds."""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# (amber field, red field) pairs: red must not come before amber.
HEALTH_LEVEL_PAIRS = (
    ("kunde_health_bad_ratings_amber", "kunde_health_bad_ratings_red"),
    ("kunde_health_overdue_days_amber", "kunde_health_overdue_days_red"),
    ("kunde_health_burst_amber", "kunde_health_burst_red"),
)


class ResCompany(models.Model):
    _inherit = "res.company"

    kunde_report_partner_ids = fields.Many2many(
        "res.partner",
        "kunde_report_partner_company_rel",
        "company_id",
        "partner_id",
        string="Monthly Report Recipients",
        help="Receive last month's customer service workbook (XLSX) by email on the "
        "first day of each month.",
    )

    # Customer health: each signal turns a customer amber, then red.
    kunde_health_bad_ratings_amber = fields.Integer(
        string="Dissatisfied Ratings (Amber)",
        default=1,
        help="Dissatisfied ratings (below 3 of 5) in the last 90 days that turn a "
        "customer amber.",
    )
    kunde_health_bad_ratings_red = fields.Integer(
        string="Dissatisfied Ratings (Red)", default=2
    )
    kunde_health_overdue_days_amber = fields.Integer(
        string="Days Overdue (Amber)",
        default=15,
        help="Days the customer's oldest unpaid invoice is past due that turn the "
        "customer amber.",
    )
    kunde_health_overdue_days_red = fields.Integer(
        string="Days Overdue (Red)", default=30
    )
    kunde_health_burst_days = fields.Integer(
        string="Case Burst Window (Days)",
        default=30,
        help="Cases of one category within this many days count as a burst.",
    )
    kunde_health_burst_amber = fields.Integer(
        string="Cases About One Category (Amber)", default=5
    )
    kunde_health_burst_red = fields.Integer(
        string="Cases About One Category (Red)", default=10
    )
    kunde_health_satisfaction_amber = fields.Float(
        string="Average Satisfaction Below (Amber)",
        default=3.0,
        digits=(2, 1),
        help="A 12-month average rating (1 to 5) below this turns a customer amber. "
        "0 switches the signal off.",
    )

    @api.constrains(
        *(name for pair in HEALTH_LEVEL_PAIRS for name in pair),
        "kunde_health_burst_days",
        "kunde_health_satisfaction_amber",
    )
    def _check_kunde_health_thresholds(self):
        for company in self:
            for amber, red in HEALTH_LEVEL_PAIRS:
                if company[amber] < 1 or company[red] < company[amber]:
                    raise ValidationError(
                        _(
                            "Customer health of %(company)s: %(amber)s must be at "
                            "least 1, and %(red)s at least as high.",
                            company=company.name,
                            amber=self._fields[amber]._description_string(self.env),
                            red=self._fields[red]._description_string(self.env),
                        )
                    )
            if company.kunde_health_burst_days < 1:
                raise ValidationError(
                    _("The case burst window must be at least one day.")
                )
            if not 0 <= company.kunde_health_satisfaction_amber <= 5:
                raise ValidationError(
                    _("The satisfaction threshold is a rating from 0 to 5.")
                )
