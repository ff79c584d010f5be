from datetime import timedelta
from pathlib import Path

from odoo import fields
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

NB_PO = Path(__file__).parents[1] / "i18n" / "nb.po"

DISABLED_MAIL_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "no_reset_password": True,
}


def load_norwegian(env):
    """Activate bokmål and load kunde_crm's nb.po into the database.

    A test that needs Norwegian sets it up itself: the database it runs in may
    have English only (as Odoo's runner is often used), with no nb_NO to use.
    """
    env["res.lang"]._activate_lang("nb_NO")
    env["ir.module.module"].search([("name", "=", "kunde_crm")])._update_translations(
        ["nb_NO"]
    )


class KundeCrmCase(TransactionCase):
    """Shared set-up: two teams, agents, a manager, customers. No demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.Case = cls.env["kunde.case"]
        cls.stage_new = cls.env.ref("kunde_crm.stage_new")
        cls.stage_progress = cls.env.ref("kunde_crm.stage_in_progress")
        cls.stage_waiting = cls.env.ref("kunde_crm.stage_waiting")
        cls.stage_solved = cls.env.ref("kunde_crm.stage_solved")
        cls.agent = new_test_user(
            cls.env,
            "kc_agent",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent Anna",
        )
        cls.agent2 = new_test_user(
            cls.env,
            "kc_agent2",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent Bjørn",
        )
        cls.lonely_agent = new_test_user(
            cls.env,
            "kc_lonely",
            groups="kunde_crm.kunde_crm_group_agent",
            name="Agent without team",
        )
        cls.manager = new_test_user(
            cls.env,
            "kc_manager",
            groups="kunde_crm.kunde_crm_group_manager",
            name="Manager Mona",
        )
        cls.team = cls.env["kunde.team"].create(
            {"name": "Team A", "member_ids": [(6, 0, (cls.agent | cls.agent2).ids)]}
        )
        cls.team_b = cls.env["kunde.team"].create(
            {"name": "Team B", "member_ids": [(6, 0, cls.agent2.ids)]}
        )
        cls.customer_company = cls.env["res.partner"].create(
            {
                "name": "Fjord Bakeri AS",
                "is_company": True,
                "email": "post@fjord.example",
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Kari Nordmann",
                "parent_id": cls.customer_company.id,
                "email": "kari@fjord.example",
                "phone": "+47 912 34 567",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Ola Hansen", "email": "ola@example.no"}
        )
        cls.category = cls.env["kunde.case.category"].create({"name": "Faktura"})

    @classmethod
    def _case(cls, **vals):
        defaults = {
            "name": "Spørsmål om faktura",
            "partner_id": cls.customer.id,
            "team_id": cls.team.id,
            "category_id": cls.category.id,
        }
        defaults.update(vals)
        return cls.env["kunde.case"].create(defaults)

    @staticmethod
    def _ago(**delta):
        return fields.Datetime.now() - timedelta(**delta)
