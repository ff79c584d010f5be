import polib
from lxml import etree

from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged
from odoo.tools import file_open
from odoo.tools.translate import TranslationModuleReader

from .common import NB_PO, load_norwegian

FIELD_MODELS = ("ir.model.fields", "ir.model.fields.selection")


def demo_xmlids(module):
    """The xml ids of the records in the module's demo files."""
    xmlids = set()
    for path in get_manifest(module).get("demo", []):
        with file_open(f"{module}/{path}", "rb") as demo:
            for node in etree.parse(demo).iterfind(".//record[@id]"):
                xmlid = node.get("id")
                xmlids.add(xmlid if "." in xmlid else f"{module}.{xmlid}")
    return xmlids


def with_dependencies(module):
    """The module and every module it depends on, directly or not."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(get_manifest(name).get("depends", []))
    return seen


@tagged("post_install", "-at_install")
def own_terms(env, module):
    """The terms Odoo exports for ``module`` that are its own (the bridges use it too).

    Odoo's export also lists the label and help of every field a model of the
    module has, including fields that other installed modules add to a model
    it inherits (calendar adds "Next Activity Calendar Event" to every
    activity mixin). Those belong to that module and are translated there;
    what is ours is the code, the data, and the fields that the module or one
    of its dependencies defines. Demo records are left out too: a database
    installed with demo data exports their names, which are Norwegian
    already.
    """
    ours = with_dependencies(module)
    demo = demo_xmlids(module)
    terms = set()
    for exported, kind, name, xmlid, source, *_rest in TranslationModuleReader(
        env.cr, modules=[module]
    ):
        if exported != module or not source or xmlid in demo:
            continue
        if kind == "model" and name.split(",")[0] in FIELD_MODELS:
            record = env.ref(xmlid)
            if record._name == "ir.model.fields.selection":
                record = record.field_id
            field = env[record.model]._fields.get(record.name)
            if field is None or not ours.intersection(field._modules):
                continue
        terms.add(source)
    return terms


class TestNorwegian(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_terms = own_terms(cls.env, "kunde_crm")

    def test_every_term_has_nb_translation(self):
        """Every term of kunde_crm's own that Odoo exports is translated in nb.po."""
        translated = {
            entry.msgid
            for entry in polib.pofile(str(NB_PO))
            if entry.msgstr.strip() and not entry.obsolete
        }
        terms = self.own_terms
        self.assertGreater(len(terms), 100)
        missing = sorted(terms - translated)
        self.assertFalse(
            missing,
            "Terms without a Norwegian translation in i18n/nb.po "
            f"(regenerate the .pot and translate): {missing}",
        )

    def test_own_terms_leave_out_other_modules_fields(self):
        """A field another module adds to a mixin we use is not our term, while
        the labels of our fields and of mail's activity fields are."""
        terms = self.own_terms
        self.assertIn("Activity State", terms)  # mail.activity.mixin: a dependency
        self.assertIn("Take next", terms)
        if "activity_calendar_event_id" in self.env["kunde.case"]._fields:
            self.assertNotIn("Next Activity Calendar Event", terms)

    def test_norwegian_user_sees_norwegian(self):
        load_norwegian(self.env)
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
