"""Erasure on request: who may erase, what is refused, the scope (a contact and,
when asked, its contacts), and the same rules over JSON-RPC."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import KundeCrmCase, load_norwegian

NAME = "Vilde Erasmussen"


@tagged("post_install", "-at_install")
class TestErasureAccess(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.viewer = new_test_user(
            env, "kc_er_viewer", groups="kunde_crm.kunde_crm_group_viewer"
        )
        cls.accountant = new_test_user(
            env, "kc_er_accountant", groups="account.group_account_invoice"
        )
        cls.portal = new_test_user(env, "kc_er_portal", groups="base.group_portal")
        cls.public = env.ref("base.public_user")
        cls.company_b = env["res.company"].create({"name": "Annet Selskap AS"})
        cls.manager_b = new_test_user(
            env,
            "kc_er_manager_b",
            groups="kunde_crm.kunde_crm_group_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.vilde = env["res.partner"].create(
            {"name": NAME, "email": "vilde@example.no", "phone": "+47 999 11 222"}
        )
        cls.case = cls._case(partner_id=cls.vilde.id, name="Vilde sin sak")

    def _wizard(self, user, partner=None, **values):
        return (
            self.env["kunde.erasure.wizard"]
            .with_user(user)
            .create(
                dict(
                    {"partner_id": (partner or self.vilde).id, "confirmation": "ERASE"},
                    **values,
                )
            )
        )

    def assertUntouched(self, partner=None, name=NAME):
        self.env.invalidate_all()
        partner = partner or self.vilde
        self.assertEqual(partner.name, name)
        self.assertTrue(self.vilde.active)
        self.assertEqual(self.case.name, "Vilde sin sak")
        self.assertFalse(self.env["kunde.erasure.log"].search([]))

    # ------------------------------------------------------------------
    # who
    # ------------------------------------------------------------------
    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_only_managers_erase(self):
        wizard = self._wizard(self.manager)
        for user in (
            self.viewer,
            self.agent,
            self.accountant,
            self.portal,
            self.public,
            self.manager_b,
        ):
            with self.subTest(user=user.login):
                if user != self.manager_b:
                    with self.assertRaises(AccessError):
                        self._wizard(user)
                    with self.assertRaises(AccessError):
                        self.vilde.with_user(user)._kunde_erase_personal_data()
                # Another user's wizard (another manager's too): not theirs to
                # read, nor to run.
                with self.assertRaises(AccessError):
                    wizard.with_user(user).action_erase()
                with self.assertRaises(AccessError):
                    wizard.with_user(user).read(["partner_id"])
        self.assertUntouched()

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_rule")
    def test_the_log_is_for_managers_and_written_by_nobody(self):
        log = self._wizard(self.manager).action_erase()
        log = self.env["kunde.erasure.log"].browse(log["res_id"])
        self.assertTrue(log.with_user(self.manager).has_access("read"))
        for user in (self.viewer, self.agent, self.accountant, self.portal):
            with self.subTest(user=user.login):
                self.assertFalse(log.with_user(user).has_access("read"))
        # Another company's manager does not see this company's log.
        self.assertFalse(log.with_user(self.manager_b).has_access("read"))
        Log = log.with_user(self.manager)
        with self.assertRaises(AccessError):
            Log.write({"case_references": "SAK-0"})
        with self.assertRaises(AccessError):
            Log.unlink()
        with self.assertRaises(AccessError):
            Log.create({"user_id": self.manager.id, "company_id": self.env.company.id})

    def test_action_menu_entry_is_for_managers(self):
        action = self.env.ref("kunde_crm.kunde_erasure_wizard_action")
        self.assertEqual(action.binding_model_id.model, "res.partner")
        self.assertEqual(
            action.groups_id, self.env.ref("kunde_crm.kunde_crm_group_manager")
        )

    # ------------------------------------------------------------------
    # refusals and bad input
    # ------------------------------------------------------------------
    def test_refused_for_a_users_contact(self):
        archived = new_test_user(self.env, "kc_er_gone", groups="base.group_user")
        archived.active = False
        for user in (self.agent, self.portal, archived):
            partner = user.partner_id
            name = partner.name
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(UserError, "is the contact of the user"):
                    self._wizard(self.manager, partner).action_erase()
                self.assertUntouched(partner, name)

    def test_refused_for_a_company_of_this_database(self):
        partner = self.env.company.partner_id
        with self.assertRaisesRegex(UserError, "company .* of this database"):
            self._wizard(self.manager, partner).action_erase()
        self.assertTrue(partner.email or partner.name)

    def test_refused_for_cases_of_a_company_not_managed(self):
        with self.assertRaisesRegex(UserError, "a company you do not manage"):
            self._wizard(self.manager_b).action_erase()
        self.assertUntouched()

    def test_confirmation_word_is_required(self):
        for typed in (False, "", "  ", "yes", "ERASE ME", "SLETT ALT"):
            with self.subTest(typed=typed):
                wizard = self._wizard(self.manager, confirmation=typed)
                with self.assertRaisesRegex(UserError, "Nothing was erased"):
                    wizard.action_erase()
                self.assertUntouched()
        self._wizard(self.manager, confirmation=" erase ").action_erase()
        self.assertEqual(self.vilde.name, f"Erased contact #{self.vilde.id}")

    def test_in_norwegian(self):
        """As the web client calls it for a Norwegian manager (lang in context)."""
        load_norwegian(self.env)
        wizard = self._wizard(self.manager, confirmation="ja").with_context(
            lang="nb_NO"
        )
        self.assertEqual(wizard.confirmation_word, "SLETT")
        with self.assertRaisesRegex(UserError, "Skriv SLETT .* Ingenting ble slettet"):
            wizard.action_erase()
        refused = self._wizard(self.manager, self.agent.partner_id)
        with self.assertRaisesRegex(UserError, "er kontakten til brukeren"):
            refused.with_context(lang="nb_NO").action_erase()
        wizard.confirmation = "slett"
        wizard.action_erase()
        self.assertEqual(self.vilde.name, f"Slettet kontakt #{self.vilde.id}")
        self.assertEqual(self.case.name, "(slettet)")

    # ------------------------------------------------------------------
    # scope: the contact, and its contacts only when asked
    # ------------------------------------------------------------------
    def test_child_contacts_only_when_asked(self):
        company = self.env["res.partner"].create(
            {"name": "Erasmussen Enkeltmannsforetak", "is_company": True}
        )
        self.vilde.parent_id = company
        address = self.env["res.partner"].create(
            {
                "name": "Fakturaadresse",
                "type": "invoice",
                "parent_id": company.id,
                "street": "Hemmeligveien 3",
            }
        )
        wizard = self._wizard(self.manager, company)
        self.assertEqual(wizard.child_ids, self.vilde | address)
        self.assertEqual(wizard.case_count, 0)
        wizard.include_children = True
        self.assertEqual(wizard.case_count, 1)
        wizard.include_children = False
        wizard.action_erase()
        self.assertEqual(self.vilde.name, NAME, "not asked: kept")
        self.assertEqual(address.street, "Hemmeligveien 3")
        self.assertFalse(company.active)

        self._wizard(self.manager, company, include_children=True).action_erase()
        self.assertFalse(self.vilde.active)
        self.assertFalse(address.street)
        self.assertEqual(self.case.name, "(erased)")
        self.assertNotIn("Erasmussen", self.vilde.complete_name)

    def test_a_user_among_the_children_refuses_all(self):
        company = self.env["res.partner"].create({"name": "Ansattfirma AS"})
        self.vilde.parent_id = company
        self.portal.partner_id.parent_id = company
        with self.assertRaisesRegex(UserError, "is the contact of the user"):
            self._wizard(self.manager, company, include_children=True).action_erase()
        self.assertUntouched()
        self.assertEqual(company.name, "Ansattfirma AS")


@tagged("post_install", "-at_install")
class TestErasureRpc(HttpCase):
    """The same rules for a client that calls the server over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, "kc_er_rpc_agent", groups="kunde_crm.kunde_crm_group_agent"
        )
        cls.manager = new_test_user(
            cls.env, "kc_er_rpc_manager", groups="kunde_crm.kunde_crm_group_manager"
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Rpc Ragnhild", "email": "ragnhild@example.no"}
        )

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        )

    @mute_logger("odoo.http", "odoo.models")
    def test_rpc(self):
        self.authenticate(self.agent.login, self.agent.login)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call(
                "kunde.erasure.wizard",
                "create",
                [{"partner_id": self.partner.id, "confirmation": "ERASE"}],
            )
        for user in (self.agent, self.manager):
            self.authenticate(user.login, user.login)
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._call(
                    "res.partner", "_kunde_erase_personal_data", [[self.partner.id]]
                )
        self.assertEqual(self.partner.name, "Rpc Ragnhild")
        # A manager's client does what the form does.
        wizard_id = self._call(
            "kunde.erasure.wizard",
            "create",
            [{"partner_id": self.partner.id, "confirmation": "ERASE"}],
        )
        action = self._call("kunde.erasure.wizard", "action_erase", [[wizard_id]])
        self.assertEqual(action["res_model"], "kunde.erasure.log")
        self.partner.invalidate_recordset()
        self.assertEqual(self.partner.name, f"Erased contact #{self.partner.id}")
