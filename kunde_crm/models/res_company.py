from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kunde_report_partner_ids = fields.Many2many(
        "res.partner",
        "kunde_report_partner_company_rel",
        "company_id",
        "partner_id",
        string="Monthly Report Recipients",
        help="Receive last month's customer service workbook (XLSX) by email on the "
        "first day of each month.",
    )
