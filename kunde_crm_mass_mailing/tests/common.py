"""Shared set-up of the segment tests: a marketing agent, a list, categories."""

from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.kunde_crm.tests.common import KundeCrmCase

MARKETING_AGENT_GROUPS = (
    "kunde_crm.kunde_crm_group_agent,mass_mailing.group_mass_mailing_user"
)


class SegmentCase(KundeCrmCase):
    """KundeCrmCase plus an agent who also does Email Marketing. No demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.Wizard = env["kunde.case.mailing.wizard"]
        cls.Partner = env["res.partner"]
        cls.marketer = new_test_user(
            env, "kc_mm_marketer", groups=MARKETING_AGENT_GROUPS, name="Marit Marked"
        )
        cls.mailing_list = env["mailing.list"].create({"name": "Kundeavis"})
        cls.category_parent = env["kunde.case.category"].create({"name": "Levering"})
        cls.category_child = env["kunde.case.category"].create(
            {"name": "Forsinket", "parent_id": cls.category_parent.id}
        )

    @classmethod
    def _case(cls, **vals):
        """A case, and its customer's segment as the refresh job leaves it
        seconds later (after the transaction that created the case)."""
        case = super()._case(**vals)
        cls.env["kunde.case"]._cron_refresh_customers()
        return case

    @classmethod
    def _customer(cls, name, email, **vals):
        return cls.env["res.partner"].create(dict(vals, name=name, email=email))

    def _wizard(self, user=None, **vals):
        vals.setdefault("mailing_list_id", self.mailing_list.id)
        wizard = self.Wizard.with_user(user or self.marketer)
        return wizard.create(vals)

    def _run(self, user=None, **vals):
        wizard = self._wizard(user, **vals)
        wizard.action_add_to_list()
        return wizard

    def _list_emails(self, mailing_list=None, opted_out=False):
        subscriptions = self.env["mailing.subscription"].search(
            [
                ("list_id", "=", (mailing_list or self.mailing_list).id),
                ("opt_out", "=", opted_out),
            ]
        )
        return sorted(subscriptions.contact_id.mapped("email_normalized"))

    @staticmethod
    def _days_ago(days):
        return fields.Datetime.now() - timedelta(days=days)
