"""Every term of kunde_crm_crm has its bokmål translation."""

import polib

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.kunde_crm.tests.common import load_norwegian
from odoo.addons.kunde_crm.tests.test_i18n import own_terms

from .common import NB_PO, KundeCrmSalesCase

MODULE = "kunde_crm_crm"


@tagged("post_install", "-at_install")
class TestNorwegianTerms(TransactionCase):
    def test_every_term_has_nb_translation(self):
        translated = {
            entry.msgid
            for entry in polib.pofile(str(NB_PO))
            if entry.msgstr.strip() and not entry.obsolete
        }
        terms = own_terms(self.env, MODULE)
        self.assertIn("Send to Sales", terms)
        self.assertGreater(len(terms), 40)
        missing = sorted(terms - translated)
        self.assertFalse(
            missing,
            "Terms without a Norwegian translation in kunde_crm_crm/i18n/nb.po "
            f"(regenerate the .pot and translate): {missing}",
        )


@tagged("post_install", "-at_install")
class TestNorwegianUser(KundeCrmSalesCase):
    def test_norwegian_agent_sends_to_sales_in_norwegian(self):
        load_norwegian(self.env)
        self.env["ir.module.module"].search(
            [("name", "=", MODULE)]
        )._update_translations(["nb_NO"])
        self.agent.lang = "nb_NO"
        Wizard = self.Wizard.with_user(self.agent).with_context(lang="nb_NO")
        labels = Wizard.fields_get(["team_id", "user_id"])
        self.assertEqual(labels["team_id"]["string"], "Salgsteam")
        self.assertEqual(labels["user_id"]["string"], "Selger")
        action = self.case.with_user(self.agent).with_context(lang="nb_NO")
        self.assertEqual(action.action_open_send_to_sales()["name"], "Send til salg")
        empty = self.env["crm.team"].create({"name": "Tomt"})
        wizard = Wizard.create(
            {
                "case_id": self.case.id,
                "team_id": empty.id,
                "user_id": self.sales_leader.id,
                "lead_type": "opportunity",
            }
        )
        with self.assertRaisesRegex(UserError, "ikke i salgsteamet"):
            wizard.action_send()
