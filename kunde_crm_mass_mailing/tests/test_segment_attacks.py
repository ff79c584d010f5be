"""The segment wizard and fields as the attacker: groups, record rules, crafted ids."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import MARKETING_AGENT_GROUPS, SegmentCase


@tagged("post_install", "-at_install")
class TestSegmentAttacks(SegmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_b = env["res.company"].create({"name": "Angriper AS"})
        cls.portal = new_test_user(env, "kc_mm_portal", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer_company
        cls.public = env.ref("base.public_user")
        cls.marketing_only = new_test_user(
            env, "kc_mm_only", groups="mass_mailing.group_mass_mailing_user"
        )
        cls.viewer_marketer = new_test_user(
            env,
            "kc_mm_viewer",
            groups="kunde_crm.kunde_crm_group_viewer,"
            "mass_mailing.group_mass_mailing_user",
        )
        cls.other_marketer = new_test_user(
            env, "kc_mm_other", groups=MARKETING_AGENT_GROUPS
        )
        cls.company_b_marketer = new_test_user(
            env,
            "kc_mm_company_b",
            groups="kunde_crm.kunde_crm_group_manager,"
            "mass_mailing.group_mass_mailing_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        # Agent Bjørn's private team: the marketer (agent Anna) may not read it.
        cls.private_team = env["kunde.team"].create(
            {
                "name": "Styret",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )
        cls.secret = cls._customer("Hemmelig Kunde", "hemmelig@styret.example")
        cls.private_case = cls._case(
            partner_id=cls.secret.id,
            team_id=cls.private_team.id,
            category_id=cls.category_parent.id,
        )
        cls.anne = cls._customer("Anne Aas", "anne@aas.example")
        cls.public_case = cls._case(
            partner_id=cls.anne.id, category_id=cls.category_parent.id
        )

    def _contacts(self, email):
        return self.env["mailing.contact"].search([("email_normalized", "=", email)])

    def test_marketer_cannot_read_the_private_case(self):
        with self.assertRaises(AccessError):
            self.private_case.with_user(self.marketer).read(["name"])

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_crafted_case_ids_are_refused(self):
        """Ids sent by RPC (or in active_ids) are searched again as the user."""
        crafted = (self.public_case | self.private_case).ids
        with self.assertRaises(AccessError):
            self._run(case_ids=[(6, 0, crafted)])
        with self.assertRaises(AccessError):
            wizard = (
                self.Wizard.with_user(self.marketer)
                .with_context(active_model="kunde.case", active_ids=crafted)
                .create({"mailing_list_id": self.mailing_list.id})
            )
            wizard.action_add_to_list()
        self.assertFalse(self._contacts("hemmelig@styret.example"))
        self.assertEqual(self._list_emails(), [])

    def test_category_segment_has_only_readable_cases(self):
        wizard = self._run(source="category", category_id=self.category_parent.id)
        self.assertEqual(self._list_emails(), ["anne@aas.example"])
        self.assertEqual(wizard.count_added, 1)
        # A member of the private team gets both.
        marketer2 = new_test_user(
            self.env, "kc_mm_board", groups=MARKETING_AGENT_GROUPS
        )
        self.private_team.member_ids = [Command.link(marketer2.id)]
        mailing_list = self.env["mailing.list"].create({"name": "Styret"})
        self._run(
            marketer2,
            source="category",
            category_id=self.category_parent.id,
            mailing_list_id=mailing_list.id,
        )
        self.assertEqual(
            self._list_emails(mailing_list),
            ["anne@aas.example", "hemmelig@styret.example"],
        )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_other_company_gets_nothing_of_ours(self):
        user = self.company_b_marketer
        with self.assertRaises(AccessError):
            self._run(user, case_ids=[(6, 0, self.public_case.ids)])
        # Our category is company-less: readable, but none of our cases are.
        mailing_list = self.env["mailing.list"].with_user(user).create({"name": "B"})
        wizard = self._run(
            user,
            source="category",
            category_id=self.category_parent.id,
            mailing_list_id=mailing_list.id,
        )
        self.assertEqual(wizard.count_added, 0)
        self.assertEqual(self._list_emails(mailing_list), [])
        category_b = self.env["kunde.case.category"].create(
            {"name": "B only", "company_id": self.company_b.id}
        )
        with self.assertRaises(AccessError):
            self._run(source="category", category_id=category_b.id)

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_marketing_user_without_customer_service_rights(self):
        """Email Marketing alone does not open customer service's data."""
        for vals in (
            {"case_ids": [(6, 0, self.public_case.ids)]},
            {"source": "category", "category_id": self.category_parent.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self._run(self.marketing_only, **vals)
        Partner = self.Partner.with_user(self.marketing_only)
        with self.assertRaises(AccessError):
            Partner.search([("kunde_last_case_days", "<=", 90)])
        with self.assertRaises(AccessError):
            self.anne.with_user(self.marketing_only).read(["kunde_last_category_id"])
        self.assertEqual(self._list_emails(), [])

    def test_reporting_user_with_marketing_rights_may_use_it(self):
        wizard = self._run(
            self.viewer_marketer, case_ids=[(6, 0, self.public_case.ids)]
        )
        self.assertEqual(wizard.count_added, 1)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_agent_without_marketing_rights_cannot_use_the_wizard(self):
        with self.assertRaises(AccessError):
            self._run(self.agent, case_ids=[(6, 0, self.public_case.ids)])

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_portal_and_public_are_shut_out(self):
        for user in (self.portal, self.public):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.Wizard.with_user(user).create(
                        {"case_ids": [(6, 0, self.public_case.ids)]}
                    )
                with self.assertRaises(AccessError):
                    self.Wizard.with_user(user).search([])
                with self.assertRaises(AccessError):
                    self.anne.with_user(user).read(["kunde_last_category_id"])
                with self.assertRaises(AccessError):
                    self.Partner.with_user(user).search(
                        [("kunde_last_category_id", "!=", False)]
                    )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_wizard_is_its_creator_s_alone(self):
        wizard = self._run(case_ids=[(6, 0, self.public_case.ids)])
        Wizard = self.Wizard.with_user(self.other_marketer)
        self.assertFalse(Wizard.search([("id", "=", wizard.id)]))
        with self.assertRaises(AccessError):
            Wizard.browse(wizard.id).read(["count_added"])
        with self.assertRaises(AccessError):
            Wizard.browse(wizard.id).action_add_to_list()
        # The manager (administrator) neither.
        with self.assertRaises(AccessError):
            self.Wizard.with_user(self.manager).browse(wizard.id).read(["state"])

    def test_case_ids_from_the_case_side(self):
        """The relation is one way: a case does not list the wizards."""
        self._run(case_ids=[(6, 0, self.public_case.ids)])
        self.assertNotIn("kunde_case_mailing_wizard_ids", self.Case._fields)
