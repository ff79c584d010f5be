"""kunde.case customer health: the customer's flag on the case, the close hook."""

from odoo import fields, models

from .res_partner import STATS_GROUPS


class KundeCase(models.Model):
    _inherit = "kunde.case"

    kunde_partner_health = fields.Selection(
        related="commercial_partner_id.kunde_health",
        string="Customer Health",
        groups=STATS_GROUPS,
    )

    def write(self, vals):
        # Only a stage change can close a case: remember which were open.
        was_open = (
            self.filtered(lambda c: not c.is_closed) if "stage_id" in vals else ()
        )
        result = super().write(vals)
        if was_open:
            closed = was_open.filtered("is_closed")
            if closed:
                closed.commercial_partner_id._kunde_health_refresh()
        return result
