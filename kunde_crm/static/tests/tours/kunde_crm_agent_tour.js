/** @odoo-module **/

import { registry } from "@web/core/registry";

const SUBJECT = "Tour: faktura mangler";

// An agent opens My queue, presses Take next, answers the customer from the
// chatter, closes the case and sees it leave the queue.
registry.category("web_tour.tours").add("kunde_crm_agent_tour", {
    steps: () => [
        {
            content: "The case waits in my queue",
            trigger: `.o_list_view .o_data_row:contains('${SUBJECT}')`,
        },
        {
            content: "Take the next case",
            trigger: ".o_control_panel button[name=action_take_next]",
            run: "click",
        },
        {
            content: "The case opens, assigned and in progress",
            trigger: `.o_form_view .o_field_widget[name=name] input:value('${SUBJECT}')`,
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('In progress')",
        },
        {
            content: "Answer the customer",
            trigger: "button.o-mail-Chatter-sendMessage",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit Hei Kari, fakturaen er sendt på nytt.",
        },
        {
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('fakturaen er sendt på nytt')",
        },
        {
            content: "Close the case",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_close]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Solved')",
        },
        {
            content: "Back to My queue",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "The closed case has left the queue",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Tour: faktura mangler')))",
        },
    ],
});
