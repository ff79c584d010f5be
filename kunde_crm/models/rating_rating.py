"""rating.rating: case ratings come from the system alone and decide the health."""

from odoo import _, api, models
from odoo.exceptions import AccessError

CASE_MODEL = "kunde.case"
HEALTH_FIELDS = frozenset({"rating", "consumed", "res_id", "res_model_id"})


class RatingRating(models.Model):
    _inherit = "rating.rating"

    # Odoo lets every internal user create and write any rating. A case's
    # rating is the customer's word: it comes through kunde.case.rating_apply
    # (as the system, after the token check) and nothing else. A record rule
    # hides case ratings (and their tokens) from everyone but the system; these
    # checks also stop a rating created for no model and moved onto a case.
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            case_model = self.env["ir.model"]._get_id(CASE_MODEL)
            if any(
                vals.get("res_model_id") == case_model
                or vals.get("res_model") == CASE_MODEL
                or vals.get("parent_res_model") == CASE_MODEL
                for vals in vals_list
            ):
                self._raise_case_rating_access()
        ratings = super().create(vals_list)
        ratings._kunde_health_refresh_customers()
        return ratings

    def write(self, vals):
        if not self.env.su:
            case_model = self.env["ir.model"]._get_id(CASE_MODEL)
            if (
                vals.get("res_model_id") == case_model
                or vals.get("res_model") == CASE_MODEL
                or CASE_MODEL in self.sudo().mapped("res_model")
            ):
                self._raise_case_rating_access()
        result = super().write(vals)
        if HEALTH_FIELDS & vals.keys():
            self._kunde_health_refresh_customers()
        return result

    def unlink(self):
        if not self.env.su and CASE_MODEL in self.sudo().mapped("res_model"):
            self._raise_case_rating_access()
        return super().unlink()

    def _raise_case_rating_access(self):
        raise AccessError(
            _("A case is rated by its customer, from the satisfaction survey.")
        )

    def _kunde_health_refresh_customers(self):
        """Refresh the health of the customers of the rated cases (consumed only)."""
        case_ids = [
            rating.res_id
            for rating in self
            if rating.res_model == CASE_MODEL and rating.consumed and rating.res_id
        ]
        if not case_ids:
            return
        # The rating is already saved (access checked above and by its
        # create/write); only the case's customer is looked up, to refresh a
        # computed flag that nobody may write.
        cases = self.env[CASE_MODEL].sudo().browse(case_ids).exists()
        cases.commercial_partner_id._kunde_health_refresh()
