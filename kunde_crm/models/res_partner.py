from odoo import _, api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    kunde_case_ids = fields.One2many(
        "kunde.case", "partner_id", string="Customer Service Cases"
    )
    kunde_case_count = fields.Integer(
        string="Cases",
        compute="_compute_kunde_case_count",
        groups="kunde_crm.kunde_crm_group_viewer",
    )
    kunde_case_open_count = fields.Integer(
        string="Open Cases",
        compute="_compute_kunde_case_count",
        groups="kunde_crm.kunde_crm_group_viewer",
    )

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    def _compute_kunde_case_count(self):
        """Cases of each partner and of its contacts, whatever their depth.

        One search for the partners and their descendants, one grouped count:
        the number of queries does not grow with the number of partners.
        """
        self.kunde_case_count = 0
        self.kunde_case_open_count = 0
        ids = [pid for pid in self.ids if pid]
        if not ids:
            return
        family = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", ids)], ["parent_id"]
        )
        groups = self.env["kunde.case"]._read_group(
            [("partner_id", "in", family.ids)],
            ["partner_id", "is_closed"],
            ["__count"],
        )
        own = self.browse(ids)
        for partner, is_closed, count in groups:
            while partner:
                if partner in own:
                    partner.kunde_case_count += count
                    if not is_closed:
                        partner.kunde_case_open_count += count
                partner = partner.parent_id

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.ondelete(at_uninstall=False)
    def _unlink_except_has_cases(self):
        # unlink access on partners is checked before this runs; sudo only
        # counts the cases the user might not see, so that none is orphaned.
        cases = (
            self.env["kunde.case"]
            .with_context(active_test=False)
            .sudo()
            .search([("partner_id", "in", self.ids)], limit=1)
        )
        if cases:
            raise UserError(
                _(
                    "You cannot delete the contact %(partner)s: it has customer "
                    "service cases (for example %(reference)s). Archive the contact "
                    "instead.",
                    partner=cases.partner_id.display_name,
                    reference=cases.reference,
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_kunde_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "kunde_crm.kunde_case_action"
        )
        action["domain"] = [("partner_id", "child_of", self.id)]
        action["context"] = {
            "default_partner_id": self.id,
            "search_default_filter_open": 1,
        }
        return action
