"""rating.rating: a customer rating a case decides the customer's health again."""

from odoo import api, models

HEALTH_FIELDS = frozenset({"rating", "consumed", "res_id", "res_model_id"})


class RatingRating(models.Model):
    _inherit = "rating.rating"

    @api.model_create_multi
    def create(self, vals_list):
        ratings = super().create(vals_list)
        ratings._kunde_health_refresh_customers()
        return ratings

    def write(self, vals):
        result = super().write(vals)
        if HEALTH_FIELDS & vals.keys():
            self._kunde_health_refresh_customers()
        return result

    def _kunde_health_refresh_customers(self):
        """Refresh the health of the customers of the rated cases (consumed only)."""
        case_ids = [
            rating.res_id
            for rating in self
            if rating.res_model == "kunde.case" and rating.consumed and rating.res_id
        ]
        if not case_ids:
            return
        # The rating is already saved (access checked by its create/write); the
        # case may be one the rater cannot read (a portal customer rates by
        # token): only its customer is looked up, to refresh a computed flag.
        cases = self.env["kunde.case"].sudo().browse(case_ids).exists()
        cases.commercial_partner_id._kunde_health_refresh()
