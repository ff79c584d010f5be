from pathlib import Path

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.kunde_crm.tests.common import KundeCrmCase

NB_PO = Path(__file__).parents[1] / "i18n" / "nb.po"
SALES = "sales_team.group_sale_salesman"


class KundeCrmSalesCase(KundeCrmCase):
    """kunde_crm's set-up plus a sales team: a salesperson, a leader, a case."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Lead = cls.env["crm.lead"].with_context(active_test=False)
        cls.Wizard = cls.env["kunde.case.sales.wizard"]
        cls.source = cls.env.ref("kunde_crm_crm.utm_source_kundeservice")
        cls.salesperson = new_test_user(
            cls.env, "kc_sales", groups=SALES, name="Selger Sara"
        )
        cls.sales_leader = new_test_user(
            cls.env,
            "kc_sales_lead",
            groups="sales_team.group_sale_manager",
            name="Salgssjef Siri",
        )
        cls.sales_team = cls.env["crm.team"].create(
            {
                "name": "Salg Oslo",
                "user_id": cls.sales_leader.id,
                "member_ids": [Command.set(cls.salesperson.ids)],
            }
        )
        cls.case = cls._case(
            name="Vil bestille 40 kasser rugbrød",
            description="<p>Kunden vil ha et tilbud på faste leveranser.</p>",
        )

    @classmethod
    def _use_leads(cls, enabled):
        """The CRM setting "Leads", as Settings writes it (an implied group)."""
        group_user = cls.env.ref("base.group_user")
        use_lead = cls.env.ref("crm.group_use_lead")
        group_user.implied_ids = [
            Command.link(use_lead.id) if enabled else Command.unlink(use_lead.id)
        ]

    def _send(self, case=None, user=None, **values):
        """Send to Sales through the wizard, as ``user`` (the agent by default)."""
        values = {
            "case_id": (case or self.case).id,
            "team_id": self.sales_team.id,
            "user_id": self.salesperson.id,
            "lead_type": "opportunity",
            **values,
        }
        wizard = self.Wizard.with_user(user or self.agent).create(values)
        wizard.action_send()
        return self.Lead.search(
            [("kunde_case_id", "=", values["case_id"])], order="id desc", limit=1
        )
