/** @odoo-module **/

import { registry } from "@web/core/registry";

// A customer writes to customer service from the portal.
registry.category("web_tour.tours").add("kunde_crm_portal_new_case_tour", {
    steps: () => [
        {
            content: "Open the new inquiry form",
            trigger: "a.o_kunde_case_new",
            run: "click",
        },
        {
            trigger: "form.o_kunde_case_form input[name=subject]",
            run: "edit Pakken kom aldri",
        },
        {
            trigger: "form.o_kunde_case_form textarea[name=description]",
            run: "edit Jeg bestilte 3. mars og har ikke fått noe.",
        },
        {
            trigger: "form.o_kunde_case_form button[type=submit]",
            run: "click",
        },
        {
            content: "The case page confirms the inquiry",
            trigger: ".o_portal_kunde_case .alert-success:contains('We have received your inquiry')",
        },
    ],
});

// The customer reads the agent's answer and replies from the portal chatter.
registry.category("web_tour.tours").add("kunde_crm_portal_reply_tour", {
    steps: () => [
        {
            content: "The agent's answer is shown",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains('Vi sender en ny pakke i dag')",
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit Tusen takk for hjelpen!",
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-Message:contains('Tusen takk for hjelpen')",
        },
    ],
});

// A manager exports the XLSX report and downloads it.
registry.category("web_tour.tours").add("kunde_crm_manager_export_tour", {
    steps: () => [
        {
            content: "The export wizard opens",
            trigger: ".modal .o_form_view .o_field_widget[name=date_from] input",
            run: "edit 03/01/2026",
        },
        {
            trigger: ".modal .o_form_view .o_field_widget[name=date_to] input",
            run: "edit 03/31/2026",
        },
        {
            trigger: ".modal .o_field_widget[name=include_cases] input",
            run: "click",
        },
        {
            trigger: ".modal-footer button[name=action_generate]",
            run: "click",
        },
        {
            content: "The file is ready for download",
            trigger: ".modal .o_kunde_report_file a:contains('kundeservice-rapport-2026-03-01-2026-03-31.xlsx'), .modal .o_kunde_report_file:contains('kundeservice-rapport-2026-03-01-2026-03-31.xlsx')",
        },
        {
            trigger: ".modal .o_kunde_report_file .o_download_file_button, .modal .o_kunde_report_file a",
            run: "click",
        },
    ],
});
