from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import sql

from .kunde_case_constants import PAGE_SIZE, RECENT_DAYS

STATS_GROUPS = "kunde_crm.kunde_crm_group_viewer"


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

    kunde_case_history_ids = fields.Many2many(
        "kunde.case",
        string="Case History",
        compute="_compute_kunde_case_stats",
        groups=STATS_GROUPS,
        help="The latest cases of the customer's company and all its contacts.",
    )
    kunde_stat_open = fields.Integer(
        string="Open Cases (company)",
        compute="_compute_kunde_case_stats",
        groups=STATS_GROUPS,
    )
    kunde_stat_last_90_days = fields.Integer(
        string=f"Cases in the Last {RECENT_DAYS} Days",
        compute="_compute_kunde_case_stats",
        groups=STATS_GROUPS,
    )
    kunde_stat_avg_first_response = fields.Float(
        string="Average Hours to First Response",
        compute="_compute_kunde_case_stats",
        groups=STATS_GROUPS,
    )
    kunde_stat_avg_close = fields.Float(
        string="Average Hours to Close",
        compute="_compute_kunde_case_stats",
        groups=STATS_GROUPS,
    )

    def init(self):
        result = super().init()
        # Each incoming email looks its sender up by normalized address several
        # times (mail routing, bounce reset, partner lookup, the acknowledgement
        # limit), and Odoo has no index on the column: every lookup read all
        # contacts (6 ms each at 20,000 contacts, more with every one added).
        sql.create_index(
            self.env.cr,
            "res_partner_kunde_email_normalized_idx",
            self._table,
            ["email_normalized"],
        )
        return result

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    def _compute_kunde_case_count(self):
        """Cases of each partner and of its contacts, whatever their depth.

        One search for the partners and their descendants, one grouped count
        of the open cases (bounded by the open load), and the closed ones from
        the tally (kunde_case_tally.py): the number of queries does not grow
        with the number of partners, nor the work with the customer's history.
        """
        self.kunde_case_count = 0
        self.kunde_case_open_count = 0
        ids = [pid for pid in self.ids if pid]
        if not ids:
            return
        family = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", ids)], ["parent_id"]
        )
        # Active cases only, whatever the client's context says (the tally
        # counts active cases).
        Case = self.env["kunde.case"].with_context(active_test=True)
        opened = Case._read_group(
            [("partner_id", "in", family.ids), ("is_closed", "=", False)],
            ["partner_id"],
            ["__count"],
        )
        closed = Case._kunde_closed_counts(family)
        rows = [(partner, True, count) for partner, count in opened]
        rows += [(family.browse(pid), False, n) for pid, n in closed.items() if n]
        own = self.browse(ids)
        for partner, is_open, count in rows:
            while partner:
                if partner in own:
                    partner.kunde_case_count += count
                    if is_open:
                        partner.kunde_case_open_count += count
                partner = partner.parent_id

    def _compute_kunde_case_stats(self):
        """Statistics of the customer's company (commercial partner), batched.

        Three queries for any number of partners: one grouped query for the
        counts and response times, one for the last 90 days, one for the history.
        """
        Case = self.env["kunde.case"]
        commercials = self.commercial_partner_id
        domain = [("commercial_partner_id", "in", commercials.ids)]
        totals = {}
        for (
            partner,
            is_closed,
            count,
            fr_sum,
            fr_count,
            cl_sum,
            cl_count,
        ) in Case._read_group(
            domain,
            ["commercial_partner_id", "is_closed"],
            [
                "__count",
                "hours_to_first_response:sum",
                "hours_to_first_response:count",
                "hours_to_close:sum",
                "hours_to_close:count",
            ],
        ):
            total = totals.setdefault(partner, [0, 0.0, 0, 0.0, 0])
            if not is_closed:
                total[0] += count
            total[1] += fr_sum or 0.0
            total[2] += fr_count
            total[3] += cl_sum or 0.0
            total[4] += cl_count
        since = fields.Datetime.now() - timedelta(days=RECENT_DAYS)
        recent = dict(
            Case._read_group(
                domain + [("date_received", ">=", since)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        history = Case.search(
            domain, order="date_received desc", limit=PAGE_SIZE * len(commercials) or 1
        )
        by_partner = {}
        for case in history:
            cases = by_partner.setdefault(case.commercial_partner_id, [])
            if len(cases) < PAGE_SIZE:
                cases.append(case.id)
        for partner in self:
            commercial = partner.commercial_partner_id
            open_count, fr_sum, fr_count, cl_sum, cl_count = totals.get(
                commercial, [0, 0.0, 0, 0.0, 0]
            )
            partner.kunde_stat_open = open_count
            partner.kunde_stat_last_90_days = recent.get(commercial, 0)
            partner.kunde_stat_avg_first_response = fr_sum / fr_count if fr_count else 0
            partner.kunde_stat_avg_close = cl_sum / cl_count if cl_count else 0
            partner.kunde_case_history_ids = [(6, 0, by_partner.get(commercial, []))]

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
