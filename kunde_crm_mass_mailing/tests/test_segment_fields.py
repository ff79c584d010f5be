"""Stored segments on contacts: refreshed by cases and nightly, right as time passes."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SegmentCase

NOW = datetime(2026, 3, 2, 10, 0, 0)


@tagged("post_install", "-at_install")
class TestSegmentFields(SegmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.anne = cls._customer("Anne Aas", "anne@aas.example")

    def _mailing(self, domain, user=None):
        return (
            self.env["mailing.mailing"]
            .with_user(user or self.marketer)
            .create(
                {
                    "subject": "Nytt om levering",
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": repr(domain),
                }
            )
        )

    def test_new_case_sets_last_category_on_company_and_contacts(self):
        case = self._case(category_id=self.category_child.id)
        for partner in (self.customer_company, self.customer):
            with self.subTest(partner=partner.name):
                self.assertEqual(partner.kunde_last_category_id, self.category_child)
                self.assertEqual(partner.kunde_last_case_date, case.date_received)
                self.assertTrue(partner.kunde_segment_date)

    def test_latest_case_decides_and_follows_changes(self):
        latest = self._case(
            partner_id=self.anne.id,
            category_id=self.category_child.id,
            date_received=self._days_ago(2),
        )
        older = self._case(  # created later, received earlier: not the latest
            partner_id=self.anne.id,
            category_id=self.category_parent.id,
            date_received=self._days_ago(20),
        )
        self.assertEqual(self.anne.kunde_last_category_id, self.category_child)
        latest.category_id = self.category
        self.assertEqual(self.anne.kunde_last_category_id, self.category)
        # The latest case moves to another customer: the older one decides.
        latest.partner_id = self.other_customer
        self.assertEqual(self.anne.kunde_last_category_id, self.category_parent)
        self.assertEqual(self.anne.kunde_last_case_date, older.date_received)
        self.assertEqual(self.other_customer.kunde_last_category_id, self.category)
        # Archived: not counted (as the core's health does not count it).
        older.active = False
        self.assertFalse(self.anne.kunde_last_category_id)
        self.assertFalse(self.anne.kunde_last_case_date)

    def test_closing_a_case_refreshes_the_segment(self):
        case = self._case(partner_id=self.anne.id, category_id=self.category_child.id)
        self.anne.sudo().write(
            {"kunde_last_category_id": False, "kunde_segment_date": False}
        )
        case.action_close()
        self.assertFalse(self.anne.kunde_last_category_id)  # after the transaction
        self.Case._cron_refresh_customers()
        self.assertEqual(self.anne.kunde_last_category_id, self.category_child)

    def test_new_case_waits_for_the_refresh_job(self):
        case = self.Case.create(
            {
                "name": "Ny sak",
                "partner_id": self.anne.id,
                "category_id": self.category_child.id,
            }
        )
        self.assertTrue(case.customer_refresh_pending)
        self.assertFalse(self.anne.kunde_last_category_id)
        self.Case._cron_refresh_customers()
        self.assertEqual(self.anne.kunde_last_category_id, self.category_child)
        self.assertFalse(case.customer_refresh_pending)

    def test_new_contact_shows_its_company_segment(self):
        self._case(category_id=self.category_child.id)
        contact = self.Partner.create(
            {"name": "Ny Kollega", "parent_id": self.customer_company.id}
        )
        self.assertEqual(contact.kunde_last_category_id, self.category_child)
        # Moved to a company without cases: the former company's segment goes.
        contact.parent_id = self.Partner.create({"name": "Tomt AS", "is_company": True})
        self.assertFalse(contact.kunde_last_category_id)
        self.assertFalse(contact.kunde_segment_date)

    def test_segment_cannot_be_set_by_hand(self):
        partner = self.anne.with_user(self.marketer)
        for vals in (
            {"kunde_last_category_id": self.category.id},
            {"kunde_segment_date": "2026-01-01 00:00:00"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                partner.write(vals)
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.Partner.with_user(self.marketer).create(dict(vals, name="X"))

    def test_cron_refreshes_in_batches(self):
        Partner = self.Partner.sudo()
        cases = [
            self._case(partner_id=partner.id, category_id=self.category_child.id)
            for partner in (self.anne, self.other_customer, self.customer)
        ]
        commercials = Partner.browse([c.commercial_partner_id.id for c in cases])
        with freeze_time(NOW):
            Partner.search([]).write({"kunde_segment_date": NOW})
            commercials.write(
                {"kunde_segment_date": False, "kunde_last_category_id": False}
            )
            self.assertEqual(Partner._cron_kunde_segment(batch_size=2), 2)
            self.assertEqual(Partner._cron_kunde_segment(batch_size=2), 1)
            self.assertEqual(Partner._cron_kunde_segment(batch_size=2), 0)
        for partner in commercials:
            self.assertEqual(partner.kunde_last_category_id, self.category_child)
        # The next day every commercial partner is due again.
        with freeze_time(NOW + timedelta(days=1)):
            self.assertEqual(Partner._cron_kunde_segment(batch_size=2), 2)

    def test_days_since_last_case_search_matches_its_value(self):
        with freeze_time(NOW):
            partners = self.Partner
            for days in (0, 1, 89, 90, 91, 400):
                partner = self._customer(f"Kunde {days}", f"k{days}@d.example")
                self._case(
                    partner_id=partner.id,
                    date_received=NOW - timedelta(days=days, hours=1),
                )
                partners |= partner
            nobody = self._customer("Ingen saker", "ingen@d.example")
            partners |= nobody
            Partner = self.Partner.with_user(self.marketer)
            for operator in ("=", "!=", "<", "<=", ">", ">="):
                for value in (0, 90, 91):
                    with self.subTest(operator=operator, value=value):
                        found = Partner.search(
                            [
                                ("id", "in", partners.ids),
                                ("kunde_last_case_days", operator, value),
                            ]
                        )
                        expected = partners.filtered(
                            lambda p, o=operator, v=value: p.kunde_last_case_date
                            and {
                                "=": p.kunde_last_case_days == v,
                                "!=": p.kunde_last_case_days != v,
                                "<": p.kunde_last_case_days < v,
                                "<=": p.kunde_last_case_days <= v,
                                ">": p.kunde_last_case_days > v,
                                ">=": p.kunde_last_case_days >= v,
                            }[o]
                        )
                        self.assertEqual(found, expected)
            self.assertEqual(
                Partner.search(
                    [("id", "in", partners.ids), ("kunde_last_case_days", "=", False)]
                ),
                nobody,
            )

    def test_segment_in_a_mailing_stays_right_31_days_later(self):
        """A saved recipient filter 'asked about X in the last 30 days' is worked
        out when the mailing is counted and sent: 31 days on, with no job run
        in between, the customer has left the segment (and entered the other)."""
        domain = [
            ("kunde_last_category_id", "child_of", self.category_parent.id),
            ("kunde_last_case_days", "<=", 30),
        ]
        quiet = [("kunde_last_case_days", ">", 30)]
        with freeze_time(NOW):
            self._case(partner_id=self.anne.id, category_id=self.category_child.id)
            saved = self.env["mailing.filter"].create(
                {
                    "name": "Spurte om levering siste 30 dager",
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": repr(domain),
                }
            )
            mailing = self._mailing(domain)
            mailing.mailing_filter_id = saved
            self.assertIn(self.anne.id, mailing._get_recipients())
            self.assertNotIn(self.anne.id, self._mailing(quiet)._get_recipients())
            self.assertEqual(mailing.mailing_domain, repr(domain))
        with freeze_time(NOW + timedelta(days=31)):
            self.env.invalidate_all()
            self.assertNotIn(self.anne.id, mailing._get_recipients())
            self.assertIn(self.anne.id, self._mailing(quiet)._get_recipients())
            # The nightly job changes nothing to that.
            self.Partner._cron_kunde_segment()
            self.assertNotIn(self.anne.id, mailing._get_recipients())

    def test_mailing_on_contacts_with_core_segments(self):
        self._case(partner_id=self.anne.id, category_id=self.category_child.id)
        self.anne.sudo().write({"kunde_health": "red", "kunde_satisfaction_avg": 4.5})
        for xmlid in (
            "kunde_crm_mass_mailing.mailing_filter_case_90_days",
            "kunde_crm_mass_mailing.mailing_filter_satisfied",
            "kunde_crm_mass_mailing.mailing_filter_health_red",
        ):
            with self.subTest(filter=xmlid):
                saved = self.env.ref(xmlid)
                mailing = self._mailing([])
                mailing.mailing_filter_id = saved
                self.assertEqual(mailing.mailing_domain, saved.mailing_domain)
                recipients = mailing._get_recipients()
                self.assertIn(self.anne.id, recipients)
                self.assertNotIn(self.other_customer.id, recipients)
        no_case = self.env.ref("kunde_crm_mass_mailing.mailing_filter_no_case_365_days")
        mailing = self._mailing([])
        mailing.mailing_filter_id = no_case
        self.assertNotIn(self.anne.id, mailing._get_recipients())
