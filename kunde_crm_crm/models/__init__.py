from . import crm_lead, kunde_case, kunde_case_report_wizard, res_partner
