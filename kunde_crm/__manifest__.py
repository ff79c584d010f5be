{
    "name": "Kundeservice (kunde_crm)",
    "summary": "Customer-service cases: queue, take next, email, portal, "
    "invoices and reports",
    "version": "18.0.1.0.0",
    "category": "Services/Customer Service",
    "author": "kunde_crm",
    "website": "https://github.com/kunde-crm/kunde_crm",
    "license": "LGPL-3",
    "depends": ["mail", "portal", "account", "resource"],
    "data": [
        "security/kunde_crm_groups.xml",
        "security/ir.model.access.csv",
        "security/kunde_crm_rules.xml",
        "data/kunde_case_sequence.xml",
        "data/kunde_case_stage_data.xml",
        "data/mail_message_subtype_data.xml",
        "data/mail_template_data.xml",
        "views/kunde_case_views.xml",
        "views/kunde_case_stage_views.xml",
        "views/kunde_case_category_views.xml",
        "views/kunde_case_tag_views.xml",
        "views/kunde_team_views.xml",
        "views/res_partner_views.xml",
        "views/mail_template_views.xml",
        "views/kunde_case_portal_templates.xml",
        "views/kunde_crm_menus.xml",
    ],
    "demo": [
        "demo/kunde_crm_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "kunde_crm/static/tests/tours/**/*",
        ],
    },
    "application": True,
    "installable": True,
}
