"""Every term of the bridge has its Norwegian (bokmål) translation."""

from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

from odoo.addons.kunde_crm.tests.test_i18n import (
    FIELD_MODELS,
    demo_xmlids,
    with_dependencies,
)

MODULE = "kunde_crm_mass_mailing"
NB_PO = Path(__file__).parents[1] / "i18n" / "nb.po"


@tagged("post_install", "-at_install")
class TestSegmentNorwegian(TransactionCase):
    def _own_terms(self):
        """The terms Odoo exports for the bridge that are its own (as kunde_crm's
        test_i18n decides: no field another module adds to a model we use)."""
        ours = with_dependencies(MODULE)
        demo = demo_xmlids(MODULE)
        terms = set()
        for module, kind, name, xmlid, source, *_rest in TranslationModuleReader(
            self.env.cr, modules=[MODULE]
        ):
            if module != MODULE or not source or xmlid in demo:
                continue
            if kind == "model" and name.split(",")[0] in FIELD_MODELS:
                record = self.env.ref(xmlid)
                if record._name == "ir.model.fields.selection":
                    record = record.field_id
                field = self.env[record.model]._fields.get(record.name)
                if field is None or not ours.intersection(field._modules):
                    continue
            terms.add(source)
        return terms

    def test_every_term_has_nb_translation(self):
        translated = {
            entry.msgid
            for entry in polib.pofile(str(NB_PO))
            if entry.msgstr.strip() and not entry.obsolete
        }
        terms = self._own_terms()
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
