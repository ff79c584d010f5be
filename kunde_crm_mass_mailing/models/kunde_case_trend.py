"""kunde.case.trend: add the customers behind one trend row to a mailing list."""

from odoo import fields, models
from odoo.exceptions import UserError


class KundeCaseTrend(models.TransientModel):
    _inherit = "kunde.case.trend"

    def action_kunde_mailing_wizard(self):
        """The segment wizard for the row's category over the row's period."""
        self.ensure_one()
        if not self.category_id:
            raise UserError(
                self.env._("Pick a row with a category to build a mailing list from.")
            )
        return self.env["kunde.case.mailing.wizard"]._action_open(
            {
                "default_source": "category",
                "default_category_id": self.category_id.id,
                "default_days": (self.date_to - self.date_from).days + 1,
                "default_date_to": fields.Date.to_string(self.date_to),
            }
        )
