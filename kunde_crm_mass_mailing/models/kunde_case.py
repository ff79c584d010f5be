"""kunde.case segments: a new, closed or moved case refreshes its customer's."""

from odoo import api, models

# A change of these can change which case is the customer's latest, or its category.
SEGMENT_CASE_FIELDS = frozenset(
    {"partner_id", "category_id", "date_received", "company_id", "active"}
)


class KundeCase(models.Model):
    _inherit = "kunde.case"

    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        # Decided by the core's refresh job after this transaction, as after
        # a close: writing the customer's contacts here would make intakes
        # for one customer at the same moment fail and retry.
        cases._mark_customer_refresh()
        return cases

    def write(self, vals):
        # A close is the core's (the refresh job, see kunde_case_health.py).
        # A move changes the customer of a case: the former one is decided
        # again at once, with the new one (rare, by hand).
        if not SEGMENT_CASE_FIELDS & vals.keys():
            return super().write(vals)
        before = self.sudo().commercial_partner_id
        result = super().write(vals)
        (before | self.sudo().commercial_partner_id)._kunde_segment_refresh()
        return result
