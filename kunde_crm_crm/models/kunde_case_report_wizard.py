"""The customer-service workbook (and so the monthly email) gets a Sales sheet."""

from odoo import api, models

from ..report.kunde_case_sales_sheet import add_sales_sheet


class KundeCaseReportWizard(models.TransientModel):
    _inherit = "kunde.case.report.wizard"

    @api.model
    def _xlsx_extra_sheets(self):
        return super()._xlsx_extra_sheets() + [add_sales_sheet]
