from odoo.tests import HttpCase, new_test_user, tagged

# The tours read English labels ("In progress") and type US dates (03/31/2026):
# their users say so, whatever language the database gives new users.
TOUR_LANG = "en_US"


@tagged("post_install", "-at_install")
class TestAgentTour(HttpCase):
    def test_agent_takes_answers_and_closes(self):
        agent = new_test_user(
            self.env,
            "tour_agent",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Tour Agent",
            email="tour.agent@example.no",
            lang=TOUR_LANG,
        )
        team = self.env["kunde.team"].create(
            {"name": "Tour team", "member_ids": [(6, 0, agent.ids)]}
        )
        customer = self.env["res.partner"].create(
            {"name": "Kari Kunde", "email": "kari.kunde@example.no"}
        )
        case = self.env["kunde.case"].create(
            {
                "name": "Tour: faktura mangler",
                "partner_id": customer.id,
                "team_id": team.id,
                "priority": "2",
            }
        )
        self.start_tour(
            "/odoo/action-kunde_crm.kunde_case_action_my_queue",
            "kunde_crm_agent_tour",
            login="tour_agent",
        )
        self.assertEqual(case.user_id, agent)
        self.assertTrue(case.is_closed)
        self.assertTrue(case.date_closed)
        answer = case.message_ids.filtered(
            lambda m: m.message_type == "comment" and m.author_id == agent.partner_id
        )
        self.assertEqual(len(answer), 1)
        self.assertIn(customer, answer.partner_ids)
        self.assertEqual(case.date_first_response, answer.date)


@tagged("post_install", "-at_install")
class TestPortalAndManagerTours(HttpCase):
    def test_portal_customer_creates_reads_and_replies(self):
        team = self.env["kunde.team"].create({"name": "Portal team", "sequence": 1})
        customer = new_test_user(
            self.env,
            "tour_customer",
            groups="base.group_portal",
            name="Kari Kunde",
            email="kari.tour@example.no",
            lang=TOUR_LANG,
        )
        self.start_tour(
            "/my/cases", "kunde_crm_portal_new_case_tour", login="tour_customer"
        )
        case = self.env["kunde.case"].search([("name", "=", "Pakken kom aldri")])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.channel, "portal")
        self.assertEqual(case.partner_id, customer.partner_id)
        self.assertEqual(case.team_id, team)
        agent = new_test_user(
            self.env,
            "tour_agent2",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent Ola",
        )
        case.with_user(agent).message_post(
            body="Vi sender en ny pakke i dag.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        case.action_close()
        self.start_tour(
            f"/my/cases/{case.id}", "kunde_crm_portal_reply_tour", login="tour_customer"
        )
        reply = case.message_ids.filtered(lambda m: "Tusen takk" in (m.body or ""))
        self.assertEqual(reply.author_id, customer.partner_id)
        self.assertFalse(case.is_closed, "the customer's reply reopened the case")

    def test_manager_exports_xlsx(self):
        manager = new_test_user(
            self.env,
            "tour_manager",
            groups="kunde_crm.kunde_crm_group_manager",
            name="Leder Lise",
            lang=TOUR_LANG,
        )
        self.env["kunde.case"].create(
            {"name": "Sak i mars", "date_received": "2026-03-10 10:00:00"}
        )
        self.start_tour(
            "/odoo/action-kunde_crm.kunde_case_report_wizard_action",
            "kunde_crm_manager_export_tour",
            login="tour_manager",
        )
        wizard = self.env["kunde.case.report.wizard"].search(
            [("create_uid", "=", manager.id)], order="id desc", limit=1
        )
        self.assertTrue(wizard.file_data)
        self.assertTrue(wizard.include_cases)
        self.assertEqual(
            wizard.file_name, "kundeservice-rapport-2026-03-01-2026-03-31.xlsx"
        )
