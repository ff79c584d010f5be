"""Reports on the sales that came from cases: pivot, XLSX Sales sheet, monthly email."""

import base64
import io
from datetime import timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import KundeCrmSalesCase


@tagged("post_install", "-at_install")
class TestSalesReports(KundeCrmSalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.viewer = new_test_user(
            cls.env,
            "kc_sales_rep",
            groups="kunde_crm.kunde_crm_group_viewer",
            name="Rapportleser",
            lang="en_US",
        )
        cls.analyst = new_test_user(
            cls.env,
            "kc_sales_analyst",
            groups="kunde_crm.kunde_crm_group_viewer,sales_team.group_sale_manager",
            lang="en_US",
        )
        cls.cat_sales = cls.env["kunde.case.category"].create({"name": "Salg"})
        case_b = cls._case(
            name="Ny kunde", category_id=cls.cat_sales.id, team_id=cls.team_b.id
        )
        private_team = cls.env["kunde.team"].create(
            {
                "name": "Privat",
                "privacy": "members",
                "member_ids": [Command.set(cls.agent2.ids)],
            }
        )
        private_case = cls._case(name="Privat salg", team_id=private_team.id)
        cls.won = cls._lead(cls.case, 1000.0)
        cls.won.action_set_won()
        cls.open = cls._lead(cls.case, 500.0)
        cls.lost = cls._lead(case_b, 700.0, user=cls.agent2)
        cls.lost.action_set_lost()
        cls.private = cls._lead(private_case, 9000.0, user=cls.agent2)
        cls.private.action_set_won()
        # Sent to sales two months ago: outside the period.
        cls.old = cls._lead(cls.case, 300.0)
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = now() - interval '60 days'"
            " WHERE id = %s",
            [cls.old.id],
        )
        cls.old.invalidate_recordset(["create_date"])
        cls.today = fields.Date.context_today(cls.Case)
        cls.period = (cls.today - timedelta(days=30), cls.today)

    @classmethod
    def _lead(cls, case, revenue, user=None):
        wizard = (
            cls.env["kunde.case.sales.wizard"]
            .with_user(user or cls.agent)
            .create(
                {
                    "case_id": case.id,
                    "team_id": cls.sales_team.id,
                    "user_id": cls.salesperson.id,
                    "lead_type": "opportunity",
                }
            )
        )
        wizard.action_send()
        lead = cls.Lead.search(
            [("kunde_case_id", "=", case.id)], order="id desc", limit=1
        )
        lead.expected_revenue = revenue
        return lead

    def _sales_sheet(self, user):
        wizard = (
            self.env["kunde.case.report.wizard"]
            .with_user(user)
            .create({"date_from": self.period[0], "date_to": self.period[1]})
        )
        wizard.action_generate()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertEqual(book.sheetnames[-1], "Sales")
        return list(book["Sales"].iter_rows(values_only=True))

    def test_pivot_by_category_and_team(self):
        action = self.env.ref("kunde_crm_crm.crm_lead_action_kunde_sales")
        Lead = (
            self.env["crm.lead"].with_user(self.analyst).with_context(active_test=False)
        )
        domain = [("kunde_case_id", "!=", False), ("id", "!=", self.old.id)]
        self.assertIn("kunde_case_id", action.domain)
        groups = Lead.read_group(
            domain,
            ["expected_revenue:sum", "kunde_won_revenue:sum"],
            ["kunde_category_id", "kunde_team_id"],
            lazy=False,
        )
        figures = {
            (g["kunde_category_id"][1], g["kunde_team_id"][1]): (
                g["__count"],
                g["kunde_won_revenue"],
                g["expected_revenue"],
            )
            for g in groups
        }
        self.assertEqual(
            figures,
            {
                ("Faktura", "Team A"): (2, 1000.0, 1500.0),
                ("Salg", "Team B"): (1, 0.0, 700.0),
                ("Faktura", "Privat"): (1, 9000.0, 9000.0),
            },
        )

    def test_xlsx_sales_sheet_as_reporting_user(self):
        self.assertFalse(self.viewer.has_group("sales_team.group_sale_salesman"))
        rows = self._sales_sheet(self.viewer)
        self.assertEqual(
            rows[0],
            (
                "Category",
                "Team",
                "Sent to sales",
                "Won",
                f"Won revenue ({self.env.company.currency_id.name})",
                f"Open expected revenue ({self.env.company.currency_id.name})",
            ),
        )
        # Not the private team's case (the viewer may not read it), not the
        # lead sent before the period.
        self.assertEqual(
            rows[1:],
            [
                ("Faktura", "Team A", 2, 1, 1000, 500),
                ("Salg", "Team B", 1, 0, 0, 0),
                ("Total", None, 3, 1, 1000, 500),
            ],
        )

    def test_xlsx_sales_sheet_counts_what_the_user_may_read(self):
        manager_rows = self._sales_sheet(self.manager)
        self.assertIn(("Faktura", "Privat", 1, 1, 9000, 0), manager_rows)
        self.assertEqual(manager_rows[-1], ("Total", None, 4, 2, 10000, 500))
        wizard = (
            self.env["kunde.case.report.wizard"]
            .with_user(self.viewer)
            .create(
                {
                    "date_from": self.period[0],
                    "date_to": self.period[1],
                    "team_ids": [Command.set(self.team_b.ids)],
                }
            )
        )
        wizard.action_generate()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        rows = list(book["Sales"].iter_rows(values_only=True))
        self.assertEqual(
            rows[1:], [("Salg", "Team B", 1, 0, 0, 0), ("Total", None, 1, 0, 0, 0)]
        )

    def test_empty_period(self):
        wizard = (
            self.env["kunde.case.report.wizard"]
            .with_user(self.viewer)
            .create(
                {
                    "date_from": self.today - timedelta(days=400),
                    "date_to": self.today - timedelta(days=370),
                }
            )
        )
        wizard.action_generate()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        rows = list(book["Sales"].iter_rows(values_only=True))
        self.assertEqual(rows[1][0], "No case was sent to sales in this period.")

    def test_monthly_email_has_the_sales_sheet(self):
        recipient = self.env["res.partner"].create(
            {"name": "Ledelsen", "email": "ledelsen@example.no", "lang": "en_US"}
        )
        self.env.company.kunde_report_partner_ids = recipient
        next_month = (self.today.replace(day=28) + timedelta(days=4)).replace(day=1)
        with freeze_time(f"{next_month} 05:00:00"):
            self.env["kunde.case.report.wizard"]._cron_send_monthly_report()
        mail = self.env["mail.mail"].search([("recipient_ids", "in", recipient.ids)])
        book = openpyxl.load_workbook(io.BytesIO(mail.attachment_ids.raw))
        rows = list(book["Sales"].iter_rows(values_only=True))
        # Built by the system for an outsider: never a members-only team's case.
        totals = rows[-1]
        self.assertEqual(totals[0], "Total")
        self.assertNotIn("Privat", [row[1] for row in rows])
        self.assertEqual(totals[2], 3)  # won, open and lost; not the old one
