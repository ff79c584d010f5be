"""One path per rule: every entry point (form, kanban, RPC, portal, mail) gets
the same assignment, customer-creation and reopen-window rules."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestOnePath(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env, "kc_path_portal", groups="base.group_portal", name="Kari Portal"
        )
        cls.portal.partner_id.parent_id = cls.customer_company
        cls.private_team = cls.env["kunde.team"].create(
            {
                "name": "Private",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )
        cls.internal_category = cls.env["kunde.case.category"].create(
            {"name": "Intern", "is_public": False}
        )
        cls.public_category = cls.env["kunde.case.category"].create(
            {"name": "Offentlig", "is_public": True}
        )

    # ------------------------------------------------------------------
    # assignment
    # ------------------------------------------------------------------
    def test_assigning_by_write_moves_new_case_on(self):
        """The form, a kanban drag onto an agent or RPC write user_id: the
        case leaves New as Take would move it."""
        case = self._case()
        self.assertEqual(case.stage_id, self.stage_new)
        case.with_user(self.agent).write({"user_id": self.agent.id})
        self.assertEqual(case.stage_id, self.stage_progress)
        self.assertTrue(case.date_assigned)

    def test_assigning_keeps_an_explicit_stage(self):
        case = self._case()
        case.write({"user_id": self.agent.id, "stage_id": self.stage_waiting.id})
        self.assertEqual(case.stage_id, self.stage_waiting)

    def test_assigning_a_waiting_case_keeps_its_stage(self):
        case = self._case(stage_id=self.stage_waiting.id)
        case.write({"user_id": self.agent.id})
        self.assertEqual(case.stage_id, self.stage_waiting)

    def test_take_and_write_are_the_same_rule(self):
        taken, written = self._case(), self._case()
        taken.with_user(self.agent).action_take()
        written.with_user(self.agent).user_id = self.agent
        self.assertEqual(taken.stage_id, written.stage_id)
        self.assertEqual(taken.user_id, written.user_id)

    def test_take_next_is_a_model_method(self):
        case = self._case()
        action = self.env["kunde.case"].with_user(self.agent).action_take_next()
        self.assertEqual(action["res_id"], case.id)
        # The My Queue button sends the selected rows' ids: ignored.
        other = self._case()
        action = (
            self.env["kunde.case"].with_user(self.agent).action_take_next([case.id])
        )
        self.assertEqual(action["res_id"], other.id)

    # ------------------------------------------------------------------
    # company check
    # ------------------------------------------------------------------
    def test_company_check_cannot_be_switched_off_by_context(self):
        company_b = self.env["res.company"].create({"name": "Annet Selskap AS"})
        foreign = self.env["res.partner"].create(
            {"name": "Fremmed", "company_id": company_b.id, "email": "x@b.example"}
        )
        case = self._case()
        for key in ("kunde_company_check_fields", "kunde_case_company_check"):
            with self.assertRaises(UserError), self.cr.savepoint():
                case.with_user(self.agent).with_context(**{key: []}).write(
                    {"partner_id": foreign.id}
                )

    def test_company_check_of_an_assignment(self):
        """Writing the agent alone still checks the agent's company."""
        company_b = self.env["res.company"].create({"name": "Tredje Selskap AS"})
        outsider = new_test_user(
            self.env,
            "kc_path_outsider",
            groups="kunde_crm.kunde_crm_group_agent",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        case = self._case()
        with self.assertRaises(UserError):
            case.write({"user_id": outsider.id})

    # ------------------------------------------------------------------
    # customers create cases through one path
    # ------------------------------------------------------------------
    def test_portal_rpc_create_gets_the_customer_rules(self):
        case = self.Case.with_user(self.portal).create(
            {"name": "Hjelp", "team_id": self.private_team.id}
        )
        case = case.sudo()
        self.assertEqual(case.channel, "portal")
        self.assertEqual(case.partner_id, self.portal.partner_id)
        self.assertTrue(case.ack_pending)
        self.assertNotEqual(case.team_id, self.private_team)
        self.assertEqual(case.team_id, self.Case._customer_team())

    @mute_logger("odoo.models")
    def test_portal_rpc_create_refuses_internal_fields(self):
        for field, value in (
            ("priority", "2"),
            ("date_received", "2000-01-01 00:00:00"),
            ("user_id", self.agent.id),
            ("stage_id", self.stage_solved.id),
            ("ack_pending", False),
            ("channel", "phone"),
        ):
            with self.subTest(field=field), self.assertRaises(AccessError):
                self.Case.with_user(self.portal).create({"name": "X", field: value})

    def test_portal_rpc_create_ignores_default_context_keys(self):
        case = (
            self.Case.with_user(self.portal)
            .with_context(
                default_priority="2",
                default_date_received="2000-01-01 00:00:00",
                default_team_id=self.private_team.id,
            )
            .create({"name": "Med standardverdier"})
            .sudo()
        )
        self.assertEqual(case.priority, "0")
        self.assertGreater(case.date_received, fields.Datetime.now() - timedelta(1))
        self.assertNotEqual(case.team_id, self.private_team)

    def test_portal_rpc_create_drops_internal_category(self):
        case = self.Case.with_user(self.portal).create(
            {"name": "Kategori", "category_id": self.internal_category.id}
        )
        self.assertFalse(case.sudo().category_id)
        case = self.Case.with_user(self.portal).create(
            {"name": "Kategori", "category_id": self.public_category.id}
        )
        self.assertEqual(case.sudo().category_id, self.public_category)

    @mute_logger("odoo.models")
    def test_portal_cannot_follow_up_another_customers_case(self):
        foreign = self._case(partner_id=self.other_customer.id, name="Hemmelig emne")
        case = self.Case.with_user(self.portal).create(
            {"name": "Oppfølging", "origin_case_id": foreign.id}
        )
        self.assertFalse(case.sudo().origin_case_id)
        self.assertNotIn(
            "Hemmelig", str(case.read(["origin_case_id"])[0]["origin_case_id"])
        )

    def test_portal_follows_up_own_case(self):
        own = self._case(partner_id=self.customer.id)
        case = self.Case.with_user(self.portal).create(
            {"name": "Oppfølging", "origin_case_id": own.id}
        )
        self.assertEqual(case.sudo().origin_case_id, own)

    @mute_logger("odoo.models")
    def test_portal_cannot_create_in_someone_elses_name(self):
        with self.assertRaises(AccessError):
            self.Case.with_user(self.portal).create(
                {"name": "Falsk", "partner_id": self.customer.id}
            )

    # ------------------------------------------------------------------
    # the reopen window, for every path
    # ------------------------------------------------------------------
    def _closed_case(self, days_ago):
        case = self._case(partner_id=self.portal.partner_id.id)
        case.action_close()
        case.date_closed = fields.Datetime.now() - timedelta(days=days_ago)
        return case

    def test_portal_post_within_window_reopens(self):
        case = self._closed_case(days_ago=2)
        case.with_user(self.portal).message_post(
            body="Fortsatt feil",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertFalse(case.is_closed)

    def test_portal_post_after_window_opens_follow_up(self):
        """Over RPC a portal user may post on their old closed case: as for a
        mail, the message starts a linked new case; the old one stays closed."""
        case = self._closed_case(days_ago=self.team.reopen_days + 1)
        case.with_user(self.portal).message_post(
            body="<p>Samme feil igjen</p>",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertTrue(case.is_closed)
        follow_up = self.Case.search([("origin_case_id", "=", case.id)])
        self.assertEqual(len(follow_up), 1)
        self.assertIn("Samme feil igjen", follow_up.description)
        self.assertEqual(follow_up.partner_id, self.portal.partner_id)
        self.assertEqual(follow_up.team_id, case.team_id)
        self.assertTrue(follow_up.ack_pending)
        self.assertIn(follow_up.reference, case.message_ids[0].body)
