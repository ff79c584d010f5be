import re

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestCaseLifecycle(KundeCrmCase):
    def test_create_defaults(self):
        case = self._case()
        self.assertRegex(case.reference, r"^SAK-\d{6}$")
        self.assertEqual(case.stage_id, self.stage_new)
        self.assertFalse(case.is_closed)
        self.assertEqual(case.commercial_partner_id, self.customer_company)
        self.assertEqual(case.email_from, "kari@fjord.example")
        self.assertEqual(case.phone, "+47 912 34 567")
        self.assertEqual(case.company_id, self.env.company)
        self.assertTrue(case.date_received)
        self.assertFalse(case.date_assigned)
        self.assertFalse(case.date_closed)
        self.assertEqual(case.display_name, f"[{case.reference}] Spørsmål om faktura")

    def test_references_unique_and_increasing(self):
        cases = self.Case.create(
            [{"name": f"Sak {i}", "team_id": self.team.id} for i in range(25)]
        )
        refs = cases.mapped("reference")
        self.assertEqual(len(set(refs)), 25)
        numbers = [int(re.sub(r"\D", "", ref)) for ref in refs]
        self.assertEqual(numbers, sorted(numbers))
        # A reference can be found by search, as the customer quotes it.
        self.assertEqual(self.Case.name_search(refs[3])[0][0], cases[3].id)

    def test_reference_unique_in_database(self):
        case = self._case()
        # The refused INSERT is logged by odoo.sql_db as an error: expected here.
        with (
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self._case(reference=case.reference)

    def test_copy_gets_new_reference(self):
        case = self._case(user_id=self.agent.id)
        copy = case.copy()
        self.assertNotEqual(copy.reference, case.reference)
        self.assertFalse(copy.user_id)
        self.assertEqual(copy.stage_id, self.stage_new)

    def test_assign_sets_date_assigned(self):
        case = self._case()
        case.user_id = self.agent
        self.assertTrue(case.date_assigned)

    def test_close_and_reopen(self):
        case = self._case(user_id=self.agent.id, stage_id=self.stage_progress.id)
        case.with_user(self.agent).action_close()
        self.assertEqual(case.stage_id, self.stage_solved)
        self.assertTrue(case.is_closed)
        self.assertTrue(case.date_closed)
        case.with_user(self.agent).action_reopen()
        self.assertEqual(case.stage_id, self.stage_progress)
        self.assertFalse(case.is_closed)
        self.assertFalse(case.date_closed)

    def test_reopen_unassigned_goes_to_first_stage(self):
        case = self._case(stage_id=self.stage_solved.id)
        self.assertTrue(case.date_closed)
        case.action_reopen()
        self.assertEqual(case.stage_id, self.stage_new)

    def test_drag_to_closed_stage_closes(self):
        """The board's drag and drop goes through the same rule as the button."""
        case = self._case()
        case.stage_id = self.stage_solved
        self.assertTrue(case.is_closed)
        self.assertTrue(case.date_closed)
        first_close = case.date_closed
        # Moving between closed stages keeps the first closing date.
        other_closed = self.env["kunde.case.stage"].create(
            {"name": "Spam", "is_closed": True, "sequence": 99}
        )
        case.stage_id = other_closed
        self.assertEqual(case.date_closed, first_close)

    def test_close_uses_team_closing_stage(self):
        team_stage = self.env["kunde.case.stage"].create(
            {
                "name": "Closed for team B",
                "is_closed": True,
                "sequence": 5,
                "team_ids": [(6, 0, self.team_b.ids)],
            }
        )
        case_a = self._case()
        case_b = self._case(team_id=self.team_b.id)
        (case_a | case_b).action_close()
        self.assertEqual(case_a.stage_id, self.stage_solved)
        self.assertEqual(case_b.stage_id, team_stage)

    def test_board_shows_empty_stages(self):
        """group_expand: every stage is a column even when no case is in it."""
        self._case()
        groups = self.Case.web_read_group(
            [("id", "=", -1)], ["stage_id"], ["stage_id"]
        )["groups"]
        stage_ids = {group["stage_id"][0] for group in groups}
        self.assertTrue(
            {
                self.stage_new.id,
                self.stage_progress.id,
                self.stage_waiting.id,
                self.stage_solved.id,
            }
            <= stage_ids
        )

    def test_age_display(self):
        case = self._case(date_received=self._ago(days=3))
        self.assertEqual(case.age, "3 d")
        case.date_received = self._ago(hours=5)
        self.assertEqual(case.age, "5 h")
