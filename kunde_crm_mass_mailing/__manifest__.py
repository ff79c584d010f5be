{
    "name": "Kundeservice: Customer Segments for Email Marketing",
    "summary": "Add the customers behind cases to mailing lists; stored case "
    "segments on contacts for mailing recipient filters",
    "version": "18.0.1.0.0",
    "category": "Services/Customer Service",
    "author": "kunde_crm",
    "website": "https://github.com/kunde-crm/kunde_crm",
    "license": "LGPL-3",
    "depends": ["kunde_crm", "mass_mailing"],
    "data": [
        "security/ir.model.access.csv",
        "security/kunde_crm_mass_mailing_rules.xml",
        "data/kunde_segment_cron.xml",
        "data/mailing_filter_data.xml",
        "wizards/kunde_case_mailing_wizard_views.xml",
        "views/kunde_case_category_views.xml",
        "views/kunde_case_trend_views.xml",
        "views/res_partner_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
