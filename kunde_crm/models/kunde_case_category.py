from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class KundeCaseCategory(models.Model):
    _name = "kunde.case.category"
    _description = "Case Category"
    _parent_name = "parent_id"
    _parent_store = True
    _rec_name = "complete_name"
    _order = "complete_name"

    name = fields.Char(required=True, translate=True)
    complete_name = fields.Char(
        compute="_compute_complete_name", recursive=True, store=True, index=True
    )
    parent_id = fields.Many2one(
        "kunde.case.category",
        string="Parent Category",
        index=True,
        ondelete="restrict",
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many(
        "kunde.case.category", "parent_id", string="Subcategories"
    )
    is_public = fields.Boolean(
        string="Offered on Portal",
        default=True,
        help="Customers can choose this category when they write to you from "
        "the portal.",
    )
    use_for_invoices = fields.Boolean(
        string="Invoice Questions",
        help="Cases opened from an invoice (New case) get this category.",
    )
    rating_excluded = fields.Boolean(
        string="No Satisfaction Survey",
        help="Cases of this category (spam, duplicates) get no satisfaction "
        "survey when they are closed.",
    )
    company_id = fields.Many2one("res.company", index=True)
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for category in self:
            if category.parent_id:
                category.complete_name = (
                    f"{category.parent_id.complete_name} / {category.name}"
                )
            else:
                category.complete_name = category.name

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("parent_id")
    def _check_parent_id(self):
        if self._has_cycle():
            raise ValidationError(_("A category cannot be its own ancestor."))
