"""Who may read, write, create and delete which case: tested as each user."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import KundeCrmCase

CASE_KEYS = (
    "own",
    "team",
    "unassigned",
    "other_team",
    "private_team",
    "other_company",
    "other_customer",
    "invoice",
)


@tagged("post_install", "-at_install")
class TestAccessMatrix(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_b = env["res.company"].create({"name": "Selskap B AS"})
        cls.viewer = new_test_user(
            env, "kc_viewer", groups="kunde_crm.kunde_crm_group_viewer", name="Viewer"
        )
        cls.accountant = new_test_user(
            env,
            "kc_accountant",
            groups="account.group_account_invoice",
            name="Accountant",
        )
        cls.user_company_b = new_test_user(
            env,
            "kc_agent_b",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent B",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.portal_user = new_test_user(
            env,
            "kc_portal",
            groups="base.group_portal",
            name="Kari Portal",
            email="kari.portal@fjord.example",
        )
        cls.portal_user.partner_id.parent_id = cls.customer_company
        cls.other_team = env["kunde.team"].create(
            {"name": "Other team", "member_ids": [Command.set(cls.agent2.ids)]}
        )
        cls.private_team = env["kunde.team"].create(
            {
                "name": "Private team",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )
        cls.team_company_b = env["kunde.team"].create(
            {
                "name": "Team B",
                "company_id": cls.company_b.id,
                "member_ids": [Command.set(cls.user_company_b.ids)],
            }
        )
        cls.invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer_company.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Rugbrød", "quantity": 10, "price_unit": 40}
                    )
                ],
            }
        )
        cls.invoice.action_post()
        cls.cases = {
            "own": cls._case(name="own", user_id=cls.agent.id),
            "team": cls._case(name="team", user_id=cls.agent2.id),
            "unassigned": cls._case(name="unassigned"),
            "other_team": cls._case(name="other team", team_id=cls.other_team.id),
            "private_team": cls._case(name="private", team_id=cls.private_team.id),
            "other_company": cls._case(
                name="other company",
                team_id=cls.team_company_b.id,
                partner_id=False,
            ),
            "other_customer": cls._case(
                name="other customer", partner_id=cls.other_customer.id
            ),
            "invoice": cls._case(
                name="invoice",
                team_id=cls.other_team.id,
                invoice_ids=[Command.set(cls.invoice.ids)],
            ),
        }
        cls.all_cases = cls.Case.browse([c.id for c in cls.cases.values()])

    # what each user may do with each case: r(ead) w(rite) u(nlink)
    EXPECTED = {
        "viewer": {
            "own": "r",
            "team": "r",
            "unassigned": "r",
            "other_team": "r",
            "private_team": "",
            "other_company": "",
            "other_customer": "r",
            "invoice": "r",
        },
        "agent": {
            "own": "rw",
            "team": "rw",
            "unassigned": "rw",
            "other_team": "r",
            "private_team": "",
            "other_company": "",
            "other_customer": "rw",
            "invoice": "r",
        },
        "manager": {
            "own": "rwu",
            "team": "rwu",
            "unassigned": "rwu",
            "other_team": "rwu",
            "private_team": "rwu",
            "other_company": "",
            "other_customer": "rwu",
            "invoice": "rwu",
        },
        "accountant": {
            "own": "",
            "team": "",
            "unassigned": "",
            "other_team": "",
            "private_team": "",
            "other_company": "",
            "other_customer": "",
            "invoice": "r",  # and link/unlink invoices: see test_accountant_links
        },
        "portal": {
            "own": "r",
            "team": "r",
            "unassigned": "r",
            "other_team": "r",
            "private_team": "r",
            "other_company": "",
            "other_customer": "",
            "invoice": "r",
        },
        # a user of company B: company A's cases do not exist for them
        "other_company": {
            **{key: "" for key in CASE_KEYS},
            "other_company": "rw",
        },
    }
    CAN_CREATE = {
        "viewer": False,
        "agent": True,
        "manager": True,
        "accountant": False,
        "portal": True,
        "other_company": True,
    }

    def _users(self):
        return {
            "viewer": self.viewer,
            "agent": self.agent,
            "manager": self.manager,
            "accountant": self.accountant,
            "portal": self.portal_user,
            "other_company": self.user_company_b,
        }

    def _allowed(self, operation):
        """Run the operation in a savepoint that is always rolled back."""

        class Undo(Exception):
            pass

        try:
            with self.env.cr.savepoint(), mute_logger("odoo.models.unlink"):
                operation()
                self.env.flush_all()
                raise Undo
        except Undo:
            return True
        except AccessError:
            return False
        finally:
            self.env.invalidate_all()

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_matrix(self):
        mismatches = []
        for role, user in self._users().items():
            for key, case in self.cases.items():
                expected = self.EXPECTED[role][key]
                as_user = case.with_user(user)
                as_user.invalidate_recordset()
                operations = {
                    "r": lambda c=as_user: c.read(["name", "stage_id"]),
                    "w": lambda c=as_user: c.write({"priority": "1"}),
                    "u": lambda c=as_user: c.unlink(),
                }
                for letter, operation in operations.items():
                    allowed = self._allowed(operation)
                    if allowed != (letter in expected):
                        mismatches.append(
                            f"{role} {'may' if allowed else 'may not'} {letter} {key}"
                        )
        self.assertFalse(mismatches, "\n".join(mismatches))

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_search_shows_exactly_the_readable_cases(self):
        """Both directions: what they must see, and nothing they must not."""
        mismatches = []
        for role, user in self._users().items():
            visible = set(
                self.Case.with_user(user)
                .search([("id", "in", self.all_cases.ids)])
                .mapped("name")
            )
            expected = {
                self.cases[key].name
                for key in CASE_KEYS
                if "r" in self.EXPECTED[role][key]
            }
            if visible != expected:
                mismatches.append(
                    f"{role}: sees too much {sorted(visible - expected)}, "
                    f"misses {sorted(expected - visible)}"
                )
        self.assertFalse(mismatches, "\n".join(mismatches))

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_create(self):
        mismatches = []
        for role, user in self._users().items():
            partner = user.partner_id if role == "portal" else self.other_customer
            team = self.team_company_b if role == "other_company" else self.team
            allowed = self._allowed(
                lambda u=user, p=partner, t=team: self.Case.with_user(u).create(
                    {"name": "Ny sak", "partner_id": p.id, "team_id": t.id}
                )
            )
            if allowed != self.CAN_CREATE[role]:
                mismatches.append(f"{role} {'may' if allowed else 'may not'} create")
        self.assertFalse(mismatches, "\n".join(mismatches))

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_portal_cannot_create_for_another_customer(self):
        self.assertFalse(
            self._allowed(
                lambda: self.Case.with_user(self.portal_user).create(
                    {"name": "Falsk", "partner_id": self.other_customer.id}
                )
            )
        )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_accountant_links_invoices_only(self):
        case = self.cases["invoice"].with_user(self.accountant)
        second = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Kanelboller", "quantity": 5, "price_unit": 20}
                    )
                ],
            }
        )
        second.action_post()
        case.write({"invoice_ids": [Command.link(second.id)]})
        self.assertEqual(self.cases["invoice"].invoice_ids, self.invoice | second)
        case.write({"invoice_ids": [Command.unlink(second.id)]})
        self.assertEqual(self.cases["invoice"].invoice_ids, self.invoice)
        with self.assertRaisesRegex(AccessError, "only link and unlink invoices"):
            case.write({"name": "Endret av regnskap"})
        with self.assertRaisesRegex(AccessError, "only link and unlink invoices"):
            case.write({"invoice_ids": [Command.link(second.id)], "priority": "2"})
        # Accountants post on the cases they see (they read what customers write).
        case.message_post(body="Kreditnota sendt", subtype_xmlid="mail.mt_note")

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_team_changes_apply_at_once(self):
        """The rules hold team id lists cached per user: every change that moves
        a case in or out of sight clears that cache."""
        private = self.cases["private_team"]
        Case = self.env["kunde.case"]

        def visible(user):
            return bool(Case.with_user(user).search_count([("id", "=", private.id)]))

        def writable(user):
            try:
                private.with_user(user).check_access("write")
            except AccessError:
                return False
            return True

        self.assertFalse(visible(self.agent))
        self.assertFalse(writable(self.agent))
        self.private_team.member_ids = [Command.link(self.agent.id)]
        self.assertTrue(visible(self.agent))
        self.assertTrue(writable(self.agent))
        self.private_team.member_ids = [Command.unlink(self.agent.id)]
        self.assertFalse(visible(self.agent))
        self.assertFalse(writable(self.agent))
        # Opening the team to the company shows its cases (read, not write).
        self.private_team.privacy = "company"
        self.assertTrue(visible(self.agent))
        self.assertFalse(writable(self.agent))
        self.private_team.privacy = "members"
        self.assertFalse(visible(self.agent))
        # A new private team hides its cases from the others at once.
        other = self.cases["other_team"]
        self.assertTrue(Case.with_user(self.agent).search([("id", "=", other.id)]))
        hidden = self.env["kunde.team"].create(
            {"name": "Ny privat", "privacy": "members", "member_ids": self.agent2.ids}
        )
        other.team_id = hidden
        self.assertFalse(Case.with_user(self.agent).search([("id", "=", other.id)]))

    def test_rules_have_no_team_subquery(self):
        """The case rules test team id lists, so PostgreSQL can use the queue
        index and scan in parallel; a subquery on kunde_team prevents both."""
        self.private_team.member_ids = [Command.link(self.agent.id)]
        for user in (self.agent, self.agent2, self.viewer):
            query = self.env["kunde.case"].with_user(user)._search([])
            sql = query.select().code
            self.assertNotIn("kunde_team", sql, user.login)
            self.assertIn('"kunde_case"."company_id" IN', sql)
        # The private team the viewer is not in is excluded by its id.
        query = self.env["kunde.case"].with_user(self.viewer)._search([])
        self.assertIn((self.private_team.id,), query.select().params)

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_private_team_member_sees_its_cases(self):
        private = self.cases["private_team"]
        self.assertTrue(private.with_user(self.agent2).read(["name"]))
        # A case of the private team assigned to a non-member: that agent sees it.
        private.user_id = self.agent
        private.with_user(self.agent).invalidate_recordset()
        self.assertTrue(private.with_user(self.agent).read(["name"]))

    def test_agent_cannot_change_configuration(self):
        for model, values in (
            ("kunde.case.stage", {"name": "Hemmelig"}),
            ("kunde.team", {"name": "Nytt team"}),
            ("kunde.case.category", {"name": "Ny kategori"}),
            ("kunde.case.tag", {"name": "Ny etikett"}),
        ):
            with self.subTest(model=model):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.agent).create(values)
                with self.assertRaises(AccessError):
                    self.env[model].with_user(self.viewer).create(values)
        with self.assertRaises(AccessError):
            self.team.with_user(self.agent).write({"name": "Omdøpt"})


@tagged("post_install", "-at_install")
class TestMultiCompany(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Selskap B AS"})
        cls.both = new_test_user(
            cls.env,
            "kc_both",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent in both",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.viewer_a = new_test_user(
            cls.env,
            "kc_viewer_a",
            groups="kunde_crm.kunde_crm_group_viewer",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.team_a = cls.env["kunde.team"].create(
            {"name": "A", "member_ids": [Command.set(cls.both.ids)]}
        )
        cls.team_b = cls.env["kunde.team"].create(
            {
                "name": "B",
                "company_id": cls.company_b.id,
                "member_ids": [Command.set(cls.both.ids)],
            }
        )
        cls.case_b = cls._case(
            name="B urgent",
            team_id=cls.team_b.id,
            priority="2",
            partner_id=False,
            date_received=cls._ago(days=3),
        )
        cls.case_a = cls._case(
            name="A normal",
            team_id=cls.team_a.id,
            partner_id=False,
            date_received=cls._ago(days=1),
        )

    def test_take_next_stays_in_active_companies(self):
        only_a = self.Case.with_user(self.both).with_context(
            allowed_company_ids=self.company_a.ids
        )
        action = only_a.action_take_next()
        self.assertEqual(action["res_id"], self.case_a.id)
        # Nothing left in company A: B's urgent case is not handed out.
        result = only_a.action_take_next()
        self.assertEqual(result["tag"], "display_notification")
        self.assertFalse(self.case_b.user_id)
        both = self.Case.with_user(self.both).with_context(
            allowed_company_ids=(self.company_a | self.company_b).ids
        )
        self.assertEqual(both.action_take_next()["res_id"], self.case_b.id)

    def test_take_next_urgent_first_across_allowed_companies(self):
        both = self.Case.with_user(self.both).with_context(
            allowed_company_ids=(self.company_a | self.company_b).ids
        )
        self.assertEqual(both.action_take_next()["res_id"], self.case_b.id)

    def test_reports_stay_in_allowed_companies(self):
        groups = self.Case.with_user(self.viewer_a).read_group(
            [("id", "in", (self.case_a | self.case_b).ids)],
            ["company_id"],
            ["company_id"],
        )
        self.assertEqual([g["company_id"][0] for g in groups], self.company_a.ids)
        self.assertEqual(
            self.Case.with_user(self.viewer_a).search_count(
                [("id", "=", self.case_b.id)]
            ),
            0,
        )
