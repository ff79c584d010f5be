"""kunde.case customer health: the flag on the case, the refresh after close."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import sql

from .res_partner import STATS_GROUPS


class KundeCase(models.Model):
    _inherit = "kunde.case"

    kunde_partner_health = fields.Selection(
        related="commercial_partner_id.kunde_health",
        string="Customer Health",
        groups=STATS_GROUPS,
    )
    customer_refresh_pending = fields.Boolean(
        string="Customer Figures Pending",
        copy=False,
        readonly=True,
        help="The case was closed (or, with the bridges, created): a scheduled "
        "action decides its customer's health again seconds later.",
    )

    def init(self):
        result = super().init()
        # The few cases whose customer waits for the refresh job (constant SQL).
        sql.create_index(
            self.env.cr,
            "kunde_case_customer_pending_idx",
            self._table,
            ["id"],
            where="customer_refresh_pending",
        )
        return result

    def write(self, vals):
        if "customer_refresh_pending" in vals and not self.env.su:
            raise AccessError(
                _("The customer's figures are decided by the system alone.")
            )
        # Only a stage change can close a case. The customer's health is not
        # decided in this transaction: it writes the customer and all its
        # contacts, and agents closing cases of one customer at the same
        # moment would fail on those rows (REPEATABLE READ) and retry.
        stage = self.env["kunde.case.stage"].browse(vals.get("stage_id"))
        result = super().write(vals)
        if stage.is_closed:
            self._mark_customer_refresh()
        return result

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    def _mark_customer_refresh(self):
        """The customers of these cases are decided again after this transaction."""
        if self:
            self.sudo().write({"customer_refresh_pending": True})
            self._request_customer_refresh()

    @api.model
    def _request_customer_refresh(self):
        """Wake the refresh job: it runs right after this transaction commits."""
        self.env.ref("kunde_crm.ir_cron_kunde_customer_refresh").sudo()._trigger()

    @api.model
    def _cron_refresh_customers(self, batch_size=200):
        """Decide again the customers of the cases closed since the last run.

        The flag is cleared in the transaction that refreshes the customers;
        Odoo runs one instance of a scheduled action at a time. What is left
        wakes the job again.
        """
        Case = self.sudo().with_context(active_test=False)
        cases = Case.search(
            [("customer_refresh_pending", "=", True)], order="id", limit=batch_size
        )
        if not cases:
            return
        cases.write({"customer_refresh_pending": False})
        cases.commercial_partner_id._kunde_customer_refresh()
        if len(cases) == batch_size:
            self._request_customer_refresh()
