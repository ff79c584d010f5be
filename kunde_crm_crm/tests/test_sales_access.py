"""Send to Sales as the attacker, and the smart buttons both ways."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import SALES, KundeCrmSalesCase

KUNDE_FIELDS = [
    "kunde_case_id",
    "kunde_category_id",
    "kunde_team_id",
    "kunde_won_revenue",
]


@tagged("post_install", "-at_install")
class TestSalesAccess(KundeCrmSalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.viewer = new_test_user(
            cls.env, "kc_sales_viewer", groups="kunde_crm.kunde_crm_group_viewer"
        )
        cls.portal = new_test_user(
            cls.env, "kc_sales_portal", groups="base.group_portal"
        )
        cls.portal.partner_id.parent_id = cls.customer_company
        cls.agent_seller = new_test_user(
            cls.env,
            "kc_agent_seller",
            groups=f"kunde_crm.kunde_crm_group_agent,{SALES}",
            name="Agent og selger",
        )
        cls.sales_team.member_ids = [Command.link(cls.agent_seller.id)]
        cls.team.member_ids = [Command.link(cls.agent_seller.id)]
        cls.private_team = cls.env["kunde.team"].create(
            {
                "name": "Privat",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )
        cls.private_case = cls._case(name="Hemmelig sak", team_id=cls.private_team.id)
        cls.lead = cls._send_as(cls.agent, cls.case)
        cls.private_lead = cls._send_as(cls.agent2, cls.private_case)

    @classmethod
    def _send_as(cls, user, case):
        wizard = (
            cls.env["kunde.case.sales.wizard"]
            .with_user(user)
            .create(
                {
                    "case_id": case.id,
                    "team_id": cls.sales_team.id,
                    "user_id": cls.salesperson.id,
                    "lead_type": "opportunity",
                }
            )
        )
        wizard.action_send()
        return cls.Lead.search([("kunde_case_id", "=", case.id)])

    def _wizard_values(self, case=None):
        return {
            "case_id": (case or self.case).id,
            "team_id": self.sales_team.id,
            "user_id": self.salesperson.id,
            "lead_type": "opportunity",
        }

    # ------------------------------------------------------------------
    # who may send
    # ------------------------------------------------------------------
    def test_portal_reporting_and_salespeople_cannot_send(self):
        before = self.Lead.search_count([])
        for user in (self.portal, self.viewer, self.salesperson, self.sales_leader):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.Wizard.with_user(user).create(self._wizard_values())
                with self.assertRaises(AccessError):
                    self.case.with_user(user).action_open_send_to_sales()
        self.assertEqual(self.Lead.search_count([]), before)

    def test_agent_cannot_send_a_case_they_cannot_read(self):
        before = self.Lead.search_count([])
        with self.assertRaises(AccessError):
            self.private_case.with_user(self.agent).action_open_send_to_sales()
        with self.assertRaises(AccessError):
            self.Wizard.with_user(self.agent).create(
                self._wizard_values(self.private_case)
            )
        # Nor through a wizard of their own pointed at it afterwards.
        wizard = self.Wizard.with_user(self.agent).create(self._wizard_values())
        with self.assertRaises(AccessError):
            wizard.write({"case_id": self.private_case.id})
            wizard.action_send()
        self.assertEqual(self.Lead.search_count([]), before)

    def test_wizard_takes_no_lead_fields(self):
        for field, value in (
            ("expected_revenue", 10**6),
            ("stage_id", 1),
            ("kunde_case_id", 1),
        ):
            with self.subTest(field=field), self.assertRaises(ValueError):
                self.Wizard.with_user(self.agent).create(
                    dict(self._wizard_values(), **{field: value})
                )

    def test_wizard_is_its_creators_alone(self):
        wizard = self.Wizard.with_user(self.agent).create(self._wizard_values())
        for user in (self.agent2, self.manager):
            with self.subTest(user=user.login):
                self.assertFalse(
                    self.Wizard.with_user(user).search([("id", "=", wizard.id)])
                )
                with self.assertRaises(AccessError):
                    wizard.with_user(user).write({"summary": "<p>x</p>"})
                with self.assertRaises(AccessError):
                    wizard.with_user(user).action_send()

    # ------------------------------------------------------------------
    # the fields added to crm.lead, over RPC
    # ------------------------------------------------------------------
    def test_salesperson_without_kunde_rights_sees_no_case_data(self):
        self.salesperson.groups_id += self.env.ref("base.group_allow_export")
        Lead = self.env["crm.lead"].with_user(self.salesperson)
        lead = Lead.browse(self.lead.id)
        self.assertEqual(lead.read(["name"])[0]["name"], self.case.name)
        self.assertEqual(lead.source_id, self.source)
        for field in KUNDE_FIELDS:
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    lead.read([field])
                with self.assertRaises(AccessError):
                    Lead.search([(field, "!=", False)])
                with self.assertRaises(AccessError):
                    Lead.read_group([], [field], [field])
                with self.assertRaises(AccessError):
                    lead.export_data([field])
        self.assertFalse(set(KUNDE_FIELDS) & set(lead.read()[0]))
        self.assertFalse(set(KUNDE_FIELDS) & set(Lead.fields_get()))
        with self.assertRaises(AccessError):
            self.case.with_user(self.salesperson).read(["name"])
        with self.assertRaises(AccessError):
            self.case.with_user(self.salesperson).action_open_leads()

    def test_salesperson_works_the_lead_without_kunde_rights(self):
        """The salesperson edits and wins the lead in the form; the figures for
        customer service follow (computed by the system)."""
        with Form(self.lead.with_user(self.salesperson)) as lead:
            lead.expected_revenue = 2500
            lead.probability = 80
        self.lead.with_user(self.salesperson).action_set_won()
        self.assertTrue(self.lead.stage_id.is_won)
        self.assertEqual(self.lead.kunde_won_revenue, 2500)
        self.assertIn("Won", self.case.with_user(self.agent).kunde_sales_overview)

    def test_link_is_written_by_send_to_sales_only(self):
        for user in (self.agent_seller, self.sales_leader):
            with self.subTest(user=user.login):
                Lead = self.env["crm.lead"].with_user(user)
                with self.assertRaises(AccessError):
                    Lead.create(
                        {"name": "Falsk", "kunde_case_id": self.private_case.id}
                    )
                with self.assertRaises(AccessError):
                    Lead.browse(self.lead.id).write(
                        {"kunde_case_id": self.private_case.id}
                    )
                with self.assertRaises(AccessError):
                    Lead.browse(self.lead.id).write({"kunde_case_id": False})
        own = self.env["crm.lead"].with_user(self.agent_seller).create({"name": "Eget"})
        with self.assertRaises(AccessError):
            own.write({"kunde_case_id": self.case.id})
        with self.assertRaises(AccessError):
            self.case.with_user(self.agent_seller).write(
                {"lead_ids": [Command.link(own.id)]}
            )
        copy = self.lead.with_user(self.sales_leader).copy()
        self.assertFalse(copy.sudo().kunde_case_id)
        self.assertEqual(self.lead.kunde_case_id, self.case)

    # ------------------------------------------------------------------
    # smart buttons
    # ------------------------------------------------------------------
    def test_case_to_leads_for_salespeople(self):
        case = self.case.with_user(self.agent_seller)
        self.assertEqual(case.kunde_lead_count, 1)
        action = case.action_open_leads()
        self.assertEqual(action["res_model"], "crm.lead")
        # Their own record rules: a salesperson who sees own leads only sees none.
        leads = (
            self.env["crm.lead"]
            .with_user(self.agent_seller)
            .with_context(**action["context"])
            .search(action["domain"])
        )
        self.assertFalse(leads, "the lead is Sara's; own-leads-only rule applies")
        self.env.ref("sales_team.group_sale_salesman_all_leads").users = [
            Command.link(self.agent_seller.id)
        ]
        leads = (
            self.env["crm.lead"]
            .with_user(self.agent_seller)
            .with_context(**action["context"])
            .search(action["domain"])
        )
        self.assertEqual(leads, self.lead)
        self.assertEqual(case.lead_ids, self.lead)

    def test_case_to_read_only_overview_for_others(self):
        for user in (self.agent, self.viewer):
            with self.subTest(user=user.login):
                case = self.case.with_user(user)
                self.assertEqual(case.kunde_lead_count, 1)
                action = case.action_open_leads()
                self.assertEqual(action["res_model"], "kunde.case")
                self.assertEqual(action["res_id"], self.case.id)
                self.assertEqual(action["target"], "new")
                self.assertIn(self.lead.stage_id.name, case.kunde_sales_overview)
                with self.assertRaises(AccessError):
                    case.read(["lead_ids"])
        # A private team's case: its leads are not counted for outsiders.
        private = self.private_case.with_user(self.viewer)
        with self.assertRaises(AccessError):
            private.read(["kunde_lead_count"])
        with self.assertRaises(AccessError):
            private.action_open_sales_overview()
        self.assertEqual(self.private_case.with_user(self.agent2).kunde_lead_count, 1)

    def test_lead_to_case_for_who_may_read_it(self):
        self.env.ref("sales_team.group_sale_salesman_all_leads").users = [
            Command.link(self.agent_seller.id)
        ]
        lead = self.lead.with_user(self.agent_seller)
        self.assertTrue(lead.kunde_case_readable)
        action = lead.action_open_kunde_case()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("kunde.case", self.case.id)
        )
        private = self.private_lead.with_user(self.agent_seller)
        self.assertFalse(private.kunde_case_readable)
        with self.assertRaises(AccessError):
            private.action_open_kunde_case()
        # Its name on the lead shows the reference only, not the subject.
        self.assertNotIn(
            "Hemmelig", private.read(["kunde_case_id"])[0]["kunde_case_id"][1]
        )
