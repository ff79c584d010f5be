from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

NB_PO = Path(__file__).parents[1] / "i18n" / "nb.po"


@tagged("post_install", "-at_install")
class TestNorwegian(TransactionCase):
    def test_every_term_has_nb_translation(self):
        """Every term Odoo exports for the module is translated in nb.po."""
        translated = {
            entry.msgid
            for entry in polib.pofile(str(NB_PO))
            if entry.msgstr.strip() and not entry.obsolete
        }
        reader = TranslationModuleReader(self.env.cr, modules=["kunde_crm"])
        terms = {term[4] for term in reader if term[0] == "kunde_crm" and term[4]}
        self.assertGreater(len(terms), 100)
        missing = sorted(terms - translated)
        self.assertFalse(
            missing,
            "Terms without a Norwegian translation in i18n/nb.po "
            f"(regenerate the .pot and translate): {missing}",
        )

    def test_norwegian_user_sees_norwegian(self):
        self.env["res.lang"]._activate_lang("nb_NO")
        self.env["ir.module.module"].search(
            [("name", "=", "kunde_crm")]
        )._update_translations(["nb_NO"])
        stages = self.env["kunde.case.stage"].with_context(lang="nb_NO")
        self.assertEqual(stages.env.ref("kunde_crm.stage_new").name, "Ny")
        self.assertEqual(
            stages.env.ref("kunde_crm.stage_in_progress").name, "Under arbeid"
        )
        self.assertEqual(
            stages.env.ref("kunde_crm.stage_waiting").name, "Venter på kunde"
        )
        self.assertEqual(stages.env.ref("kunde_crm.stage_solved").name, "Løst")
        case = self.env["kunde.case"].with_context(lang="nb_NO")
        with self.assertRaisesRegex(Exception, "En sak må ha et emne"):
            case.create({"name": " "})
