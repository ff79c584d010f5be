"""res.partner: erasure on request also erases the leads made from its cases."""

from odoo import models

# What a lead holds of the person (crm fills most from the customer).
LEAD_PERSONAL_FIELDS = (
    "description",
    "contact_name",
    "partner_name",
    "email_from",
    "email_cc",
    "phone",
    "mobile",
    "function",
    "title",
    "website",
    "street",
    "street2",
    "zip",
    "city",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _kunde_erase_elsewhere(self, cases, secrets):
        """Leads sent to Sales from these cases, or of these contacts: their
        title (the case's subject), the summary, the person's details and the
        lead's messages are erased; the lead, its stage and revenue stay for
        the sales figures."""
        result = super()._kunde_erase_elsewhere(cases, secrets)
        env = self.env
        # Open Send to Sales dialogs of the cases hold the summary.
        env["kunde.case.sales.wizard"].search([("case_id", "in", cases.ids)]).unlink()
        leads = (
            env["crm.lead"]
            .with_context(active_test=False)
            .search(
                [
                    "|",
                    ("kunde_case_id", "in", cases.ids),
                    ("partner_id", "in", self.ids),
                ]
            )
        )
        if not leads:
            return result
        values = {name: False for name in LEAD_PERSONAL_FIELDS if name in leads._fields}
        values["name"] = env._("(erased)")
        leads.write(values)
        activities = env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "in", leads.ids)]
        )
        activities.write({"summary": False, "note": False})
        # The stored names of the lead on its activities and messages.
        env.add_to_compute(activities._fields["res_name"], activities)
        messages = env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "in", leads.ids)]
        )
        # The lead is about the person and the case: its conversation goes
        # like the case's (outgoing mail first: it can delete its message).
        self._kunde_erase_outgoing(cases.browse(), messages)
        messages = messages.exists()
        self._kunde_erase_tracking(messages, secrets)
        self._kunde_erase_messages(messages)
        messages.write({"record_name": values["name"]})
        result[env._("Leads from the cases (CRM)")] = len(leads)
        return result
