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
        cases.commercial_partner_id._kunde_segment_refresh()
        return cases

    def write(self, vals):
        moved = bool(SEGMENT_CASE_FIELDS & vals.keys())
        # Only a stage change closes a case: remember which were open (an
        # assignment or a move between open stages refreshes nothing).
        was_open = (
            self.filtered(lambda case: not case.is_closed)
            if "stage_id" in vals
            else self.browse()
        )
        if not moved and not was_open:
            return super().write(vals)
        # The customers before (a case moved away) and after the write. The
        # case was just read and written by the caller; the refresh itself
        # reads every case of those customers (sudo, computed values only).
        before = self.sudo().commercial_partner_id if moved else self.env["res.partner"]
        result = super().write(vals)
        if moved:
            customers = before | self.sudo().commercial_partner_id
        else:
            customers = was_open.filtered("is_closed").sudo().commercial_partner_id
        customers._kunde_segment_refresh()
        return result
