from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestDemoGenerator(KundeCrmCase):
    """The demo generator that `make run` uses builds a believable queue."""

    def test_generate(self):
        # The generator makes the demo portal login: a database installed with
        # demo data has one already.
        self.env["res.users"].with_context(active_test=False).search(
            [("login", "=", "kunde.portal")]
        ).write({"login": "kunde.portal.before"})
        before = self.Case.search_count([])
        Partner = self.env["res.partner"].with_context(active_test=False)
        partners_before = Partner.search_count([])
        self.env["kunde.case.demo"]._generate(120)
        # 15 companies, 20 of their contacts, 5 private persons
        self.assertEqual(Partner.search_count([]) - partners_before, 40)
        # one of whom asked to be forgotten
        log = self.env["kunde.erasure.log"].search([], limit=1)
        self.assertTrue(log.case_count)
        self.assertFalse(log.partner_ids.active)
        cases = self.Case.search([], order="id desc", limit=120)
        self.assertEqual(self.Case.search_count([]) - before, 120)
        self.assertGreater(len(cases.partner_id), 25)
        two_weeks_ago = fields.Datetime.now() - timedelta(days=14)
        stale = cases.filtered(
            lambda c: not c.user_id
            and not c.is_closed
            and c.date_received < two_weeks_ago
        )
        self.assertFalse(stale, "old cases must not sit unassigned in the queue")
        self.assertTrue(cases.filtered(lambda c: not c.user_id and not c.is_closed))
        closed = cases.filtered("is_closed")
        self.assertTrue(all(c.date_closed and c.user_id for c in closed))
        # Most closed cases' customers answered the satisfaction survey.
        rated = closed.filtered("csat_rating")
        self.assertTrue(rated)
        self.assertEqual(set(rated.mapped("csat_rating")) - {1, 3, 5}, set())
        self.assertEqual(len(set(cases.mapped("reference"))), 120)
        portal = self.env["res.users"].search([("login", "=", "kunde.portal")])
        self.assertTrue(portal.share)
        self.assertTrue(
            self.Case.with_user(portal).search_count([]),
            "the demo customer sees their company's cases on the portal",
        )
