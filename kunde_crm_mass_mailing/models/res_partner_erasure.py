"""res.partner: erasure on request also erases the contact from the mailing lists."""

from odoo import models
from odoo.tools import email_normalize


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _kunde_erase_elsewhere(self, cases, secrets):
        """The mailing-list contacts with the erased addresses (a segment made
        them from the cases) are deleted with their subscriptions, and the
        address is taken off the mailing statistics; the counts stay."""
        result = super()._kunde_erase_elsewhere(cases, secrets)
        env = self.env
        addresses = sorted(
            {email_normalize(secret) for secret in secrets if "@" in secret} - {False}
        )
        if not addresses:
            return result
        contacts = (
            env["mailing.contact"]
            .with_context(active_test=False)
            .search([("email_normalized", "in", addresses)])
        )
        traces = env["mailing.trace"].search([("email", "in", addresses)])
        traces.write({"email": False})
        count = len(contacts)
        contacts.unlink()
        if count or traces:
            result[env._("Mailing-list contacts (Email Marketing)")] = count
        return result
