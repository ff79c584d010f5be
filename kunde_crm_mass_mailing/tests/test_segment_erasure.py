from odoo.tests import tagged

from odoo.addons.kunde_crm.tests.erasure_scan import find_strings

from .common import SegmentCase


@tagged("post_install", "-at_install")
class TestSegmentErasure(SegmentCase):
    """Erasure on request reaches the mailing lists a segment filled."""

    def test_erasure_removes_the_mailing_list_contact(self):
        customer = self._customer("Torvald Grevstad", "Torvald.Grevstad@example.no")
        case = self._case(name="Levering uteble", partner_id=customer.id)
        self._run(source="cases", case_ids=[(6, 0, case.ids)])
        self.assertEqual(self._list_emails(), ["torvald.grevstad@example.no"])
        self.env.flush_all()
        strings = ["Grevstad", "torvald.grevstad@example.no"]
        self.assertTrue(find_strings(self.env.cr, strings), "the data is there first")

        log = customer.with_user(self.manager)._kunde_erase_personal_data()
        self.env.flush_all()

        self.assertEqual(find_strings(self.env.cr, strings), {})
        self.assertEqual(self._list_emails(), [])
        self.assertIn("Mailing-list contacts (Email Marketing): 1", log.other_counts)
        # The list itself stays, for the other customers on it.
        self.assertTrue(self.mailing_list.exists())
