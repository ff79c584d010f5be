"""Every term of the bridge has its Norwegian (bokmål) translation."""

from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged

from odoo.addons.kunde_crm.tests.test_i18n import own_terms

MODULE = "kunde_crm_mass_mailing"
NB_PO = Path(__file__).parents[1] / "i18n" / "nb.po"


@tagged("post_install", "-at_install")
class TestSegmentNorwegian(TransactionCase):
    def test_every_term_has_nb_translation(self):
        translated = {
            entry.msgid
            for entry in polib.pofile(str(NB_PO))
            if entry.msgstr.strip() and not entry.obsolete
        }
        terms = own_terms(self.env, MODULE)
        self.assertIn("Add customers to a mailing list", terms)
        self.assertIn("Days Since Last Case", terms)
        missing = sorted(terms - translated)
        self.assertFalse(
            missing,
            f"Terms without a Norwegian translation in {MODULE}/i18n/nb.po "
            f"(regenerate the .pot and translate): {missing}",
        )

    def test_norwegian_user_sees_norwegian(self):
        self.env["res.lang"]._activate_lang("nb_NO")
        self.env["ir.module.module"].search(
            [("name", "=", MODULE)]
        )._update_translations(["nb_NO"])
        action = self.env.ref(
            "kunde_crm_mass_mailing.kunde_case_mailing_wizard_action"
        ).with_context(lang="nb_NO")
        self.assertEqual(action.name, "Legg kunder til i en e-postliste")
        wizard = self.env["kunde.case.mailing.wizard"].with_context(lang="nb_NO")
        self.assertEqual(
            wizard._action_open({})["name"], "Legg kunder til i en e-postliste"
        )
