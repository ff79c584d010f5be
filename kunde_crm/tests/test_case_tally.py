from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.kunde_crm.models.kunde_case_tally import TALLY_RULES, TALLY_TABLE

from .common import KundeCrmCase


@tagged("post_install", "-at_install")
class TestCaseTally(KundeCrmCase):
    """The closed-case tally behind the smart buttons: always equal to a live
    count, and the buttons always equal to what the user may read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_b = env["res.company"].create({"name": "Tally B AS"})
        cls.viewer = new_test_user(
            env, "kc_tally_viewer", groups="kunde_crm.kunde_crm_group_viewer"
        )
        cls.private_team = env["kunde.team"].create(
            {
                "name": "Tally private",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )
        cls.team_company_b = env["kunde.team"].create(
            {"name": "Tally team B", "company_id": cls.company_b.id}
        )

    def _counts(self, query):
        self.env.flush_all()
        return {(p, c, t): n for p, c, t, n in self.env.execute_query(query)}

    def _tally(self):
        table = SQL.identifier(TALLY_TABLE)
        return self._counts(
            SQL(
                "SELECT partner_id, company_id, team_id, sum(n) FROM %s"
                " GROUP BY 1, 2, 3 HAVING sum(n) <> 0",
                table,
            )
        )

    def _rows(self):
        table = SQL.identifier(TALLY_TABLE)
        return self.env.execute_query(SQL("SELECT count(*) FROM %s", table))[0][0]

    def _live(self):
        return self._counts(
            SQL(
                "SELECT partner_id, COALESCE(company_id, 0), COALESCE(team_id, 0),"
                " count(*) FROM kunde_case"
                " WHERE active AND is_closed AND partner_id IS NOT NULL"
                " GROUP BY 1, 2, 3"
            )
        )

    def assertTallyLive(self):
        live = self._live()
        self.assertTrue(live, "the test should count some closed cases")
        self.assertEqual(self._tally(), live)

    def _visible(self, user, partner):
        return (
            self.Case.with_user(user)
            .with_context(active_test=True)
            .search_count([("partner_id", "child_of", partner.id)])
        )

    def test_tally_follows_every_change(self):
        cases = self.Case.create(
            [
                {"name": f"Sak {i}", "partner_id": self.customer.id, "team_id": t.id}
                for i, t in enumerate([self.team, self.team, self.team_b, self.team])
            ]
        )
        orphan = self._case(partner_id=False, email_from="x@ukjent.example")
        self.assertEqual(self._tally(), {})
        cases[:3].action_close()
        orphan.action_close()
        self.assertTallyLive()
        self.assertEqual(sum(self._tally().values()), 3)
        cases[0].action_reopen()
        self.assertTallyLive()
        cases[1].team_id = self.team_b
        self.assertTallyLive()
        cases[1].partner_id = self.other_customer
        self.assertTallyLive()
        cases[2].active = False
        self.assertTallyLive()
        cases[2].active = True
        cases[3].stage_id = self.stage_solved
        self.assertTallyLive()
        # A stage whose "closed" flag changes recomputes its cases' state.
        self.stage_solved.is_closed = False
        self.assertEqual(self._tally(), self._live())
        self.stage_solved.is_closed = True
        self.assertTallyLive()
        cases[3].unlink()
        self.assertTallyLive()
        # Odoo's contact merge rewrites partner_id in plain SQL: the triggers
        # still see it.
        self.env["base.partner.merge.automatic.wizard"]._merge(
            (self.other_customer | self.customer).ids, self.customer
        )
        self.assertTallyLive()
        self.assertEqual(
            self.customer_company.with_user(self.manager).kunde_case_count,
            self.Case.search_count([("partner_id", "=", self.customer.id)]),
        )
        # The hourly job folds the +1/-1 rows of each key into one.
        self.assertGreater(self._rows(), len(self._live()))
        self.Case._cron_fold_tally()
        self.assertTallyLive()
        self.assertEqual(self._rows(), len(self._live()))
        # And a module update rebuilds it from the cases.
        self.env.cr.execute(SQL("DELETE FROM %s", SQL.identifier(TALLY_TABLE)))
        self.Case.init()
        self.assertTallyLive()

    def test_counts_are_what_the_user_reads(self):
        """Private teams, assigned cases, other companies: the buttons count
        exactly what the user opens with them, for every group."""
        vals = [
            {"team_id": self.team.id},
            {"team_id": self.team_b.id, "stage_id": self.stage_solved.id},
            {"team_id": self.private_team.id, "stage_id": self.stage_solved.id},
            {
                "team_id": self.private_team.id,
                "stage_id": self.stage_solved.id,
                "user_id": self.agent.id,
            },
            {"team_id": self.private_team.id},
            {"team_id": False, "stage_id": self.stage_solved.id},
            {
                "team_id": self.team_company_b.id,
                "company_id": self.company_b.id,
                "stage_id": self.stage_solved.id,
            },
        ]
        for v in vals:
            self._case(**v)
        expected = {
            self.agent: 4,  # not the private team's (but the one assigned to Anna)
            self.agent2: 6,  # member of the private team
            self.viewer: 3,
            self.manager: 6,
            self.lonely_agent: 3,
        }
        for user, count in expected.items():
            with self.subTest(user=user.name):
                partner = self.customer_company.with_user(user)
                partner.invalidate_recordset()
                self.assertEqual(partner.kunde_case_count, count)
                self.assertEqual(partner.kunde_case_count, self._visible(user, partner))
        # The manager in both companies, the second one active too: 7.
        self.manager.company_ids |= self.company_b
        partner = self.customer_company.with_user(self.manager).with_context(
            allowed_company_ids=[self.manager.company_id.id, self.company_b.id]
        )
        self.assertEqual(partner.kunde_case_count, 7)
        self.assertEqual(partner.kunde_case_count, self._visible(self.manager, partner))
        self.assertEqual(partner.kunde_case_open_count, 2)

    def test_fast_path_for_the_installed_rules(self):
        """The shipped rules are the ones the tally knows (else every count
        would silently go live, and slow)."""
        for xmlid, domain in TALLY_RULES.items():
            rule = self.env.ref(xmlid)
            self.assertEqual("".join(rule.domain_force.split()), domain)
        Case = self.env["kunde.case"]
        self.assertEqual(Case.with_user(self.agent)._kunde_tally_mode(), "viewer")
        self.assertEqual(Case.with_user(self.viewer)._kunde_tally_mode(), "viewer")
        self.assertEqual(Case.with_user(self.manager)._kunde_tally_mode(), "all")

    def test_edited_or_added_rules_count_live(self):
        """An administrator narrows what agents read, or another module adds
        a rule: the buttons follow the rules, not the tally."""
        self._case(team_id=self.team.id, stage_id=self.stage_solved.id)
        self._case(team_id=self.team_b.id, stage_id=self.stage_solved.id)
        self._case(
            team_id=self.team_b.id,
            stage_id=self.stage_solved.id,
            user_id=self.agent.id,
        )
        partner = self.customer_company.with_user(self.agent)
        self.assertEqual(partner.kunde_case_count, 3)
        self.env.ref("kunde_crm.kunde_case_rule_viewer").domain_force = (
            "['|', ('team_id', 'in', user.kunde_member_team_ids.ids),"
            " ('user_id', '=', user.id)]"
        )
        self.assertEqual(self.Case.with_user(self.agent)._kunde_tally_mode(), "")
        partner.invalidate_recordset()
        self.assertEqual(partner.kunde_case_count, 2)
        self.assertEqual(partner.kunde_case_count, self._visible(self.agent, partner))
        self.env.ref("kunde_crm.kunde_case_rule_viewer").domain_force = (
            "['|', ('team_id', 'not in', user.kunde_hidden_team_ids.ids),"
            " ('user_id', '=', user.id)]"
        )
        self.env["ir.rule"].create(
            {
                "name": "Only cases with a category",
                "model_id": self.env["ir.model"]._get_id("kunde.case"),
                "domain_force": "[('category_id', '!=', False)]",
            }
        )
        self._case(
            team_id=self.team.id, stage_id=self.stage_solved.id, category_id=False
        )
        self.assertEqual(self.Case.with_user(self.agent)._kunde_tally_mode(), "")
        partner.invalidate_recordset()
        self.assertEqual(partner.kunde_case_count, 3)
        self.assertEqual(partner.kunde_case_count, self._visible(self.agent, partner))

    def test_client_context_changes_no_count(self):
        """Archived cases are not counted, whatever ``active_test`` a client
        sends (the tally counts active cases; so does the open count)."""
        self._case(stage_id=self.stage_solved.id)
        self._case()
        self._case(stage_id=self.stage_solved.id).active = False
        self._case().active = False
        for context in ({}, {"active_test": False}, {"active_test": True}):
            with self.subTest(context=context):
                partner = self.customer_company.with_user(self.agent).with_context(
                    **context
                )
                partner.invalidate_recordset()
                self.assertEqual(partner.kunde_case_count, 2)
                self.assertEqual(partner.kunde_case_open_count, 1)
