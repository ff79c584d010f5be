"""Send to Sales: the lead, its source and link, notes, the notification, bad input."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import KundeCrmSalesCase


@tagged("post_install", "-at_install")
class TestSendToSales(KundeCrmSalesCase):
    def test_agent_without_sales_rights_sends_a_case(self):
        self.assertFalse(self.agent.has_group("sales_team.group_sale_salesman"))
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(self.agent).search([])
        stage_before = self.case.stage_id
        lead = self._send(summary="<p>Tilbud på 40 kasser i uken</p>")
        self.assertEqual(len(lead), 1)
        self.assertEqual(lead.kunde_case_id, self.case)
        self.assertEqual(lead.source_id, self.source)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.email_from, self.customer.email)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.team_id, self.sales_team)
        self.assertEqual(lead.user_id, self.salesperson)
        self.assertEqual(lead.name, self.case.name)
        self.assertIn("Tilbud på 40 kasser i uken", lead.description)
        self.assertEqual(lead.company_id, self.case.company_id)
        self.assertEqual(lead.kunde_category_id, self.category)
        self.assertEqual(lead.kunde_team_id, self.team)
        # The salesperson has a to-do, and the lead says who sent it.
        activity = lead.activity_ids
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        note = lead.message_ids.filtered(lambda m: "Agent Anna" in (m.body or ""))
        self.assertEqual(note.author_id, self.agent.partner_id)
        self.assertIn(self.case.reference, note.body)
        self.assertTrue(note.subtype_id.internal)
        # The case stays in customer service, with a note saying who sent it.
        self.assertEqual(self.case.stage_id, stage_before)
        case_note = self.case.message_ids[:1]
        self.assertEqual(case_note.author_id, self.agent.partner_id)
        self.assertIn("sent this case to sales", case_note.body)
        self.assertIn(self.case.name, case_note.body)
        self.assertTrue(case_note.subtype_id.internal)
        self.assertFalse(case_note.partner_ids, "nothing goes to the customer")
        # The agent follows the lead from the case, with sudo after the check.
        case = self.case.with_user(self.agent)
        self.assertEqual(case.kunde_lead_count, 1)
        self.assertIn(lead.stage_id.name, case.kunde_sales_overview)
        self.assertIn("Selger Sara", case.kunde_sales_overview)
        self.assertIn("Salg Oslo", case.kunde_sales_overview)

    def test_team_leader_notified_without_salesperson(self):
        lead = self._send(user_id=False)
        self.assertFalse(lead.user_id)
        self.assertEqual(lead.activity_ids.user_id, self.sales_leader)
        self.assertIn("Salgssjef Siri", self.case.message_ids[:1].body)

    def test_lead_or_opportunity_follows_the_crm_setting(self):
        self._use_leads(True)
        wizard = Form(
            self.Wizard.with_user(self.agent).with_context(default_case_id=self.case.id)
        )
        self.assertEqual(wizard.lead_type, "lead")
        self.assertTrue(wizard.uses_leads)
        wizard.team_id = self.sales_team
        lead_wizard = wizard.save()
        lead_wizard.action_send()
        lead = self.Lead.search([("kunde_case_id", "=", self.case.id)])
        self.assertEqual(lead.type, "lead")
        self._use_leads(False)
        wizard = Form(
            self.Wizard.with_user(self.agent).with_context(default_case_id=self.case.id)
        )
        self.assertEqual(wizard.lead_type, "opportunity")
        self.assertFalse(wizard.uses_leads)
        with self.assertRaisesRegex(UserError, "Leads are switched off"):
            self._send(lead_type="lead")
        self.assertEqual(
            self.Lead.search_count([("kunde_case_id", "=", self.case.id)]), 1
        )

    def test_summary_prefilled_and_team_leader_proposed(self):
        wizard = Form(
            self.Wizard.with_user(self.agent).with_context(default_case_id=self.case.id)
        )
        self.assertIn(self.case.reference, wizard.summary)
        self.assertIn("Kari Nordmann", wizard.summary)
        self.assertIn("faste leveranser", wizard.summary)
        self.assertIn(self.customer.email, wizard.summary)
        wizard.team_id = self.sales_team
        self.assertEqual(wizard.user_id, self.sales_leader)
        wizard.user_id = self.salesperson
        wizard.summary = "<p>Ring kunden</p>"
        wizard.save().action_send()
        lead = self.Lead.search([("kunde_case_id", "=", self.case.id)])
        self.assertEqual(lead.user_id, self.salesperson)
        self.assertIn("Ring kunden", lead.description)

    def test_bad_input_creates_nothing(self):
        outsider = new_test_user(
            self.env, "kc_not_sales", groups="base.group_user", name="Ikke salg"
        )
        other_company = self.env["res.company"].create({"name": "Annet AS"})
        other_team = self.env["crm.team"].create(
            {"name": "Salg Bergen", "company_id": other_company.id}
        )
        leaderless = self.env["crm.team"].create({"name": "Uten leder"})
        messages = len(self.case.message_ids)
        for values, error in (
            ({"user_id": self.agent2.id}, "cannot receive leads"),
            ({"user_id": outsider.id}, "cannot receive leads"),
            (
                {"user_id": self.sales_leader.id, "team_id": leaderless.id},
                "not in the sales team",
            ),
            ({"team_id": other_team.id, "user_id": False}, "another company"),
            ({"team_id": leaderless.id, "user_id": False}, "no team leader"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(UserError, error):
                self._send(**values)
        self.assertFalse(self.Lead.search([("kunde_case_id", "=", self.case.id)]))
        self.assertEqual(len(self.case.message_ids), messages)

    def test_context_defaults_do_not_reach_the_lead(self):
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        other = self._case(name="Annen sak")
        # Whatever a client puts in its context, the lead gets the wizard's
        # values only.
        wizard = (
            self.Wizard.with_user(self.agent)
            .with_context(
                default_expected_revenue=1000000,
                default_stage_id=won.id,
                default_kunde_case_id=other.id,
                default_tag_ids=[(0, 0, {"name": "Injisert"})],
                default_probability=100,
                default_source_id=False,
                default_company_id=self.env["res.company"]
                .create({"name": "Annet AS"})
                .id,
                tracking_disable=True,
            )
            .create(
                {
                    "case_id": self.case.id,
                    "team_id": self.sales_team.id,
                    "user_id": self.salesperson.id,
                    "lead_type": "opportunity",
                }
            )
        )
        wizard.action_send()
        lead = self.Lead.search([("kunde_case_id", "=", self.case.id)])
        self.assertEqual(len(lead), 1)
        self.assertFalse(lead.expected_revenue)
        self.assertNotEqual(lead.stage_id, won)
        self.assertEqual(lead.user_id, self.salesperson)
        self.assertFalse(lead.tag_ids)
        self.assertEqual(lead.source_id, self.source)
        self.assertEqual(lead.company_id, self.case.company_id)
        self.assertFalse(self.Lead.search([("kunde_case_id", "=", other.id)]))

    def test_case_changes_follow_on_the_lead(self):
        lead = self._send()
        moved = self.env["kunde.case.category"].create({"name": "Salg"})
        # An agent without sales rights edits the case: the lead's stored
        # copy of category and team follows (recomputed by the system).
        self.case.with_user(self.agent).write(
            {"category_id": moved.id, "team_id": self.team_b.id}
        )
        self.assertEqual(lead.kunde_category_id, moved)
        self.assertEqual(lead.kunde_team_id, self.team_b)
