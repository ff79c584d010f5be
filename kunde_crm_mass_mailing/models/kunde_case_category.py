"""kunde.case.category: add the customers who asked about it to a mailing list."""

from odoo import models

DEFAULT_SEGMENT_DAYS = 90


class KundeCaseCategory(models.Model):
    _inherit = "kunde.case.category"

    def action_kunde_mailing_wizard(self):
        """The segment wizard for this category (and its subcategories)."""
        self.ensure_one()
        return self.env["kunde.case.mailing.wizard"]._action_open(
            {
                "default_source": "category",
                "default_category_id": self.id,
                "default_days": DEFAULT_SEGMENT_DAYS,
            }
        )
