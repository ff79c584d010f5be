{
    "name": "Kundeservice: Send to Sales (kunde_crm_crm)",
    "summary": "Send a customer-service case to a sales team as a lead or an "
    "opportunity, follow it from the case, report on the sales it brought",
    "version": "18.0.1.0.0",
    "category": "Services/Customer Service",
    "author": "kunde_crm",
    "website": "https://github.com/kunde-crm/kunde_crm",
    "license": "LGPL-3",
    "depends": ["kunde_crm", "crm"],
    "data": [
        "security/ir.model.access.csv",
        "security/kunde_crm_crm_rules.xml",
        "data/utm_source_data.xml",
        "views/kunde_case_sales_templates.xml",
        "views/kunde_case_views.xml",
        "views/crm_lead_views.xml",
        "wizards/kunde_case_sales_wizard_views.xml",
        "views/kunde_crm_crm_menus.xml",
    ],
    "demo": [
        "demo/kunde_crm_crm_demo.xml",
    ],
    "auto_install": True,
    "installable": True,
}
