from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestBadInput(KundeCrmCase):
    def test_case_without_subject(self):
        count = self.Case.search_count([])
        for subject in ("", "   ", False):
            with self.assertRaisesRegex(ValidationError, "needs a subject"):
                self.Case.with_user(self.agent).create(
                    {"name": subject, "team_id": self.team.id}
                )
        self.assertEqual(self.Case.search_count([]), count)

    def test_case_subject_cleared_later(self):
        case = self._case()
        with self.assertRaisesRegex(ValidationError, "needs a subject"):
            case.write({"name": "  "})

    def test_form_requires_subject(self):
        form = Form(self.Case.with_user(self.agent))
        form.partner_id = self.customer
        with self.assertRaises(AssertionError):  # required field left empty
            form.save()

    def test_delete_stage_with_cases_refused(self):
        case = self._case()
        # Ours and any the database already has (demo data).
        held = self.Case.with_context(active_test=False).search_count(
            [("stage_id", "=", self.stage_new.id)]
        )
        with self.assertRaisesRegex(UserError, f"still holds {held} case"):
            self.stage_new.with_user(self.manager).unlink()
        self.assertTrue(self.stage_new.exists())
        self.assertEqual(case.stage_id, self.stage_new)

    def test_delete_stage_with_archived_case_refused(self):
        self._case(active=False)
        with self.assertRaises(UserError):
            self.stage_new.with_user(self.manager).unlink()

    def test_delete_unused_stage(self):
        stage = self.env["kunde.case.stage"].create({"name": "Unused"})
        stage.with_user(self.manager).unlink()
        self.assertFalse(stage.exists())

    def test_delete_team_with_cases_refused(self):
        case = self._case()
        with self.assertRaisesRegex(UserError, "still has 1 case"):
            self.team.with_user(self.manager).unlink()
        self.assertTrue(self.team.exists())
        self.assertEqual(case.team_id, self.team)

    def test_delete_customer_with_cases_refused(self):
        case = self._case()
        with self.assertRaisesRegex(UserError, "has customer service cases"):
            self.customer.unlink()
        self.assertTrue(self.customer.exists())
        self.assertEqual(case.partner_id, self.customer)

    def test_stage_of_other_team_refused(self):
        stage = self.env["kunde.case.stage"].create(
            {"name": "Only B", "team_ids": [(6, 0, self.team_b.ids)]}
        )
        with self.assertRaisesRegex(ValidationError, "not used by the team"):
            self._case(stage_id=stage.id)

    def test_agent_cannot_delete_case(self):
        case = self._case()
        with self.assertRaises(AccessError):
            case.with_user(self.agent).unlink()
        self.assertTrue(case.exists())
