from odoo.tests import tagged

from odoo.addons.kunde_crm.tests.erasure_scan import find_strings

from .common import KundeCrmSalesCase


@tagged("post_install", "-at_install")
class TestSalesErasure(KundeCrmSalesCase):
    """Erasure on request reaches the leads made from the contact's cases."""

    def test_erasure_erases_the_lead_made_from_the_case(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Petronella Kvist",
                "email": "petronella.kvist@example.no",
                "phone": "+47 934 56 781",
            }
        )
        case = self._case(
            name="Petronella vil ha tilbud",
            partner_id=customer.id,
            description="<p>Ring Petronella Kvist på +47 934 56 781</p>",
        )
        self._send(case=case, summary="<p>Petronella Kvist vil kjøpe 40 kasser</p>")
        lead = self.Lead.search([("kunde_case_id", "=", case.id)])
        self.assertEqual(lead.email_from, "petronella.kvist@example.no")
        self.env.flush_all()
        strings = ["Petronella", "petronella.kvist@example.no", "934 56 781"]
        self.assertTrue(find_strings(self.env.cr, strings), "the data is there first")

        log = customer.with_user(self.manager)._kunde_erase_personal_data()
        self.env.flush_all()

        self.assertEqual(find_strings(self.env.cr, strings), {})
        self.assertEqual(lead.name, "(erased)")
        self.assertFalse(lead.email_from or lead.description or lead.contact_name)
        # The sales figures keep the lead, its link and its revenue.
        self.assertEqual(lead.kunde_case_id, case)
        self.assertIn("Leads from the cases (CRM): 1", log.other_counts)
        for string in strings:
            self.assertNotIn(string, log.other_counts)
