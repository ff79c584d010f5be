from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestAgentTour(HttpCase):
    def test_agent_takes_answers_and_closes(self):
        agent = new_test_user(
            self.env,
            "tour_agent",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Tour Agent",
            email="tour.agent@example.no",
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
