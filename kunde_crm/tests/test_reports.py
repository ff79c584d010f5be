"""Reports: the trend list and the XLSX workbook, read back with openpyxl."""

import base64
import io
import zipfile
from datetime import date, datetime

import openpyxl
import polib
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import NB_PO, KundeCrmCase, load_norwegian

INJECTION = '=HYPERLINK("http://x","y")'
SHEETS = (
    "Summary",
    "Categories",
    "Weeks",
    "Agents",
    "Channels",
    "Cases",
    "Satisfaction",
)


@tagged("post_install", "-at_install")
class TestReports(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Category = cls.env["kunde.case.category"]
        cls.cat_delivery = Category.create({"name": "Levering"})
        cls.cat_product = Category.create({"name": "Produkt"})
        cls.viewer = new_test_user(
            cls.env,
            "kc_rep_viewer",
            groups="kunde_crm.kunde_crm_group_viewer",
            name="Rapportleser",
            lang="en_US",  # the English workbook, whatever the database's default
        )
        cls.company_b = cls.env["res.company"].create({"name": "Selskap B AS"})
        cls.team_company_b = cls.env["kunde.team"].create(
            {"name": "Team B", "company_id": cls.company_b.id}
        )
        # March 2026 is the period; February the one before.
        cases = []
        for day, category, count in (
            (datetime(2026, 3, 2, 9), cls.category, 5),  # Faktura: 5 now
            (datetime(2026, 3, 9, 9), cls.cat_delivery, 3),  # Levering: 3 now
            (datetime(2026, 2, 10, 9), cls.category, 2),  # Faktura: 2 before
            (datetime(2026, 2, 12, 9), cls.cat_product, 4),  # Produkt: 4 before
        ):
            cases += [
                {
                    "name": f"{category.name} {day:%d.%m} {i}",
                    "category_id": category.id,
                    "team_id": cls.team.id,
                    "partner_id": cls.customer.id,
                    "date_received": day,
                }
                for i in range(count)
            ]
        cls.Case.create(cases)
        cls.injected = cls._case(
            name=INJECTION, date_received=datetime(2026, 3, 20, 10), category_id=False
        )
        cls.closed = cls._case(
            name="Løst fort",
            date_received=datetime(2026, 3, 3, 8),
            user_id=cls.agent.id,
        )
        cls.closed.write(
            {
                "date_first_response": datetime(2026, 3, 3, 10),
                "stage_id": cls.stage_solved.id,
                "date_closed": datetime(2026, 3, 4, 8),
            }
        )
        cls.company_b_case = cls._case(
            name="Selskap B sin sak",
            team_id=cls.team_company_b.id,
            partner_id=False,
            date_received=datetime(2026, 3, 5, 9),
        )

    def _generate(self, user=None, **values):
        values.setdefault("date_from", date(2026, 3, 1))
        values.setdefault("date_to", date(2026, 3, 31))
        Wizard = self.env["kunde.case.report.wizard"].with_user(user or self.viewer)
        wizard = Wizard.create(values)
        action = wizard.action_generate()
        self.assertEqual(action["res_id"], wizard.id)
        content = base64.b64decode(wizard.file_data)
        return wizard, content, openpyxl.load_workbook(io.BytesIO(content))

    # ------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------
    def test_workbook_sheets_headers_totals(self):
        wizard, content, book = self._generate(include_cases=True)
        self.assertEqual(
            wizard.file_name, "kundeservice-rapport-2026-03-01-2026-03-31.xlsx"
        )
        # The core sheets first; a bridge addon (kunde_crm_crm's Sales) may
        # add its own after them, one per hook.
        self.assertEqual(book.sheetnames[: len(SHEETS)], list(SHEETS))
        self.assertEqual(
            len(book.sheetnames),
            len(SHEETS)
            + len(self.env["kunde.case.report.wizard"]._xlsx_extra_sheets()),
        )
        # Totals equal an independent ORM count of what the user may read.
        expected = self.Case.with_user(self.viewer).search_count(
            [
                ("date_received", ">=", "2026-03-01"),
                ("date_received", "<", "2026-04-01"),
            ]
        )
        summary = {
            row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
        }
        self.assertEqual(summary["Cases received"], expected)
        self.assertEqual(summary["Closed"], 1)
        self.assertEqual(summary["Open"], expected - 1)
        self.assertAlmostEqual(summary["Hours to first response, median"], 2.0)
        self.assertAlmostEqual(summary["Hours to close, median"], 24.0)
        cases = book["Cases"]
        self.assertEqual(
            [c.value for c in cases[1]],
            [
                "Reference",
                "Subject",
                "Received",
                "Closed",
                "Customer",
                "Category",
                "Channel",
                "Team",
                "Agent",
                "Stage",
                "Hours to first response",
                "Hours to close",
                "Invoices",
            ],
        )
        self.assertEqual(cases.max_row - 1, expected)
        self.assertEqual(cases.freeze_panes, "A2")
        self.assertTrue(cases.auto_filter.ref)
        # Dates are dates, numbers are numbers.
        received = [row[2] for row in cases.iter_rows(min_row=2, values_only=True)]
        self.assertTrue(all(isinstance(value, datetime) for value in received))
        closed_row = next(
            row
            for row in cases.iter_rows(min_row=2, values_only=True)
            if row[0] == self.closed.reference
        )
        self.assertEqual(closed_row[10], 2.0)
        self.assertEqual(closed_row[11], 24.0)

    def test_categories_sheet_and_chart(self):
        _wizard, content, book = self._generate()
        rows = list(book["Categories"].iter_rows(min_row=2, values_only=True))
        by_name = {row[0]: row[1:] for row in rows}
        self.assertEqual(by_name["Faktura"][:2], (6, 2))  # 5 + the closed one
        self.assertAlmostEqual(by_name["Faktura"][2], 2.0)  # +200 %
        self.assertEqual(by_name["Levering"][:2], (3, 0))
        self.assertIsNone(by_name["Levering"][2])
        self.assertEqual(by_name["Produkt"][:2], (0, 4))
        # openpyxl does not load charts: look in the package for the native one.
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            charts = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
            self.assertEqual(len(charts), 2)  # categories (column) + weeks (line)
            kinds = " ".join(package.read(name).decode() for name in charts)
            self.assertIn("<c:barChart>", kinds)
            self.assertIn("<c:lineChart>", kinds)
            sheet_rels = package.read("xl/worksheets/_rels/sheet2.xml.rels").decode()
            self.assertIn("drawing", sheet_rels)

    def test_weeks_agents_channels(self):
        _wizard, _content, book = self._generate()
        weeks = list(book["Weeks"].iter_rows(values_only=True))
        self.assertEqual(weeks[0][0], "Week starting")
        self.assertIn("Faktura", weeks[0])
        self.assertTrue(all(isinstance(row[0], datetime) for row in weeks[1:]))
        agents = {
            row[0]: row[1]
            for row in book["Agents"].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(agents[self.agent.name], 1)
        channels = {
            row[0]: row[1]
            for row in book["Channels"].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(sum(channels.values()), 10)  # 5 + 3 + 2, not company B

    def test_case_rows_local_time_names_hours_invoices(self):
        """A row of the Cases sheet: dates in the reader's time zone, names,
        hours and the invoice numbers."""
        self.viewer.tz = "Europe/Oslo"
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create({"name": "Brød", "quantity": 1, "price_unit": 90})
                ],
            }
        )
        invoice.action_post()
        self.closed.invoice_ids = invoice
        _wizard, _content, book = self._generate(include_cases=True)
        row = next(
            row
            for row in book["Cases"].iter_rows(min_row=2, values_only=True)
            if row[0] == self.closed.reference
        )
        self.assertEqual(row[1], "Løst fort")
        # 08:00 UTC in March is 09:00 in Oslo (winter time).
        self.assertEqual(row[2], datetime(2026, 3, 3, 9, 0))
        self.assertEqual(row[3], datetime(2026, 3, 4, 9, 0))
        self.assertEqual(row[4], self.customer.complete_name)
        self.assertEqual(row[8], self.agent.name)
        self.assertEqual(row[9], self.stage_solved.name)
        self.assertAlmostEqual(row[10], 2.0)
        self.assertAlmostEqual(row[11], 24.0)
        self.assertEqual(row[12], invoice.name)
        # A case without dates to show or invoices leaves those cells empty.
        other = next(
            row
            for row in book["Cases"].iter_rows(min_row=2, values_only=True)
            if row[0] == self.injected.reference
        )
        self.assertEqual(other[2], datetime(2026, 3, 20, 11, 0))
        self.assertIsNone(other[3])
        self.assertIsNone(other[10])
        self.assertIn(other[12], (None, ""))

    def test_injection_stays_text(self):
        _wizard, content, book = self._generate(include_cases=True)
        subject = next(
            row[1]
            for row in book["Cases"].iter_rows(min_row=2)
            if row[0].value == self.injected.reference
        )
        self.assertEqual(subject.value, INJECTION)
        self.assertEqual(subject.data_type, "s", "a plain string, not a formula")
        self.assertNotIn("<f>", self._sheet_xml(content, 6))
        # A category named like a formula stays text as well.
        self.category.name = "+47 " + INJECTION
        _wizard, content, book = self._generate()
        cells = [row[0] for row in book["Categories"].iter_rows(min_row=2)]
        injected = [c for c in cells if c.value == "+47 " + INJECTION]
        self.assertEqual(len(injected), 1)
        self.assertEqual(injected[0].data_type, "s")
        self.assertNotIn("<f>", self._sheet_xml(content, 2))

    def _sheet_xml(self, content, number):
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return package.read(f"xl/worksheets/sheet{number}.xml").decode()

    def test_viewer_of_company_a_sees_no_company_b_rows(self):
        _wizard, _content, book = self._generate(include_cases=True)
        references = [
            row[0] for row in book["Cases"].iter_rows(min_row=2, values_only=True)
        ]
        self.assertNotIn(self.company_b_case.reference, references)
        self.assertIn(self.injected.reference, references)
        # ...while a manager of both companies gets it.
        manager = new_test_user(
            self.env,
            "kc_rep_mgr",
            groups="kunde_crm.kunde_crm_group_manager",
            company_ids=[Command.set((self.env.company | self.company_b).ids)],
        )
        wizard = (
            self.env["kunde.case.report.wizard"]
            .with_user(manager)
            .with_context(allowed_company_ids=(self.env.company | self.company_b).ids)
            .create(
                {
                    "date_from": date(2026, 3, 1),
                    "date_to": date(2026, 3, 31),
                    "include_cases": True,
                }
            )
        )
        wizard.action_generate()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        references = [
            row[0] for row in book["Cases"].iter_rows(min_row=2, values_only=True)
        ]
        self.assertIn(self.company_b_case.reference, references)

    def test_dates_in_wrong_order(self):
        with self.assertRaisesRegex(ValidationError, "start date must be on or before"):
            self.env["kunde.case.report.wizard"].with_user(self.viewer).create(
                {"date_from": date(2026, 3, 31), "date_to": date(2026, 3, 1)}
            )

    def test_empty_period_gives_valid_workbook(self):
        _wizard, _content, book = self._generate(
            date_from=date(2020, 1, 1), date_to=date(2020, 1, 31), include_cases=True
        )
        texts = [c for row in book["Summary"].iter_rows(values_only=True) for c in row]
        self.assertIn("No cases were received in this period.", texts)
        self.assertEqual(book["Cases"].max_row, 2)

    def test_selected_cases_from_action_menu(self):
        selected = self.Case.search([("category_id", "=", self.cat_delivery.id)])
        Wizard = (
            self.env["kunde.case.report.wizard"]
            .with_user(self.viewer)
            .with_context(active_model="kunde.case", active_ids=selected.ids)
        )
        wizard = Wizard.create({"include_cases": True})
        self.assertEqual(wizard.case_ids, selected)
        self.assertEqual(wizard.date_from, date(2026, 3, 9))
        wizard.action_generate()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        self.assertEqual(book["Cases"].max_row - 1, len(selected))

    def test_headers_in_norwegian(self):
        load_norwegian(self.env)
        self.viewer.lang = "nb_NO"
        _wizard, _content, book = self._generate(include_cases=True)
        self.assertEqual(book.sheetnames[0], "Sammendrag")
        self.assertEqual(book["Saker"]["A1"].value, "Saksnummer")

    def test_norwegian_user_without_lang_in_context_gets_all_norwegian(self):
        """As over JSON-RPC from a script: a Norwegian user, no ``lang`` in the
        context. Every sheet is in the user's language, the Agents headers too
        (Odoo's ``_()`` would guess from the loop variable ``user``, an agent
        who reads English)."""
        load_norwegian(self.env)
        self.viewer.lang = "nb_NO"
        self.agent.lang = "en_US"
        nb = {
            entry.msgid: entry.msgstr
            for entry in polib.pofile(str(NB_PO))
            if entry.msgstr.strip() and not entry.obsolete
        }
        wizard = self.env["kunde.case.report.wizard"].with_user(self.viewer)
        self.assertNotIn("lang", wizard.env.context)
        _wizard, _content, book = self._generate(include_cases=True)
        # Addons may add sheets after ours (_xlsx_extra_sheets of the wizard).
        self.assertEqual(book.sheetnames[: len(SHEETS)], [nb[name] for name in SHEETS])
        agents = book[nb["Agents"]]
        self.assertEqual(
            [cell.value for cell in agents[1]],
            [
                nb[title]
                for title in (
                    "Agent",
                    "Cases",
                    "Closed",
                    "Average hours to first response",
                    "Average hours to close",
                )
            ],
        )
        agent_names = [row[0] for row in agents.iter_rows(values_only=True)]
        self.assertIn(nb["(unassigned)"], agent_names)
        # No English term of ours anywhere: titles, labels, stages, channels.
        english = {msgid for msgid, msgstr in nb.items() if msgid != msgstr}
        texts = {
            value
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if isinstance(value, str)
        }
        self.assertFalse(texts & english, f"English in the workbook: {texts & english}")
        self.assertIn(nb["Solved"], texts)  # the closed case's stage, translated

    def test_monthly_report_mailed(self):
        recipient = self.env["res.partner"].create(
            {"name": "Ledelsen", "email": "ledelsen@example.no", "lang": "en_US"}
        )
        self.env.company.kunde_report_partner_ids = recipient
        with freeze_time("2026-04-01 05:00:00"):
            self.env["kunde.case.report.wizard"]._cron_send_monthly_report()
        mail = self.env["mail.mail"].search([("recipient_ids", "in", recipient.ids)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(
            mail.attachment_ids.name, "kundeservice-rapport-2026-03-01-2026-03-31.xlsx"
        )
        book = openpyxl.load_workbook(io.BytesIO(mail.attachment_ids.raw))
        summary = {
            row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
        }
        self.assertEqual(summary["Cases received"], 10)  # company A only

    # ------------------------------------------------------------------
    # trend
    # ------------------------------------------------------------------
    def test_trend_sorted_by_largest_rise(self):
        action = (
            self.env["kunde.case.trend"]
            .with_user(self.viewer)
            .action_open(date(2026, 3, 1), date(2026, 3, 31))
        )
        rows = (
            self.env["kunde.case.trend"].with_user(self.viewer).search(action["domain"])
        )
        values = [
            (r.category_id.name, r.count_now, r.count_before, r.change_count)
            for r in rows
        ]
        self.assertEqual(values[0], ("Faktura", 6, 2, 4))
        self.assertEqual(values[-1], ("Produkt", 0, 4, -4))
        faktura = rows.filtered(lambda r: r.category_id == self.category)
        self.assertAlmostEqual(faktura.change_percent, 200.0)

    def test_trend_default_last_30_days(self):
        with freeze_time("2026-03-31 12:00:00"):
            action = self.env["kunde.case.trend"].with_user(self.viewer).action_open()
            rows = (
                self.env["kunde.case.trend"]
                .with_user(self.viewer)
                .search(action["domain"])
            )
        self.assertEqual(rows[0].date_from, date(2026, 3, 2))
        self.assertEqual(rows[0].date_to, date(2026, 3, 31))

    def test_pivot_measures_are_stored(self):
        groups = self.Case.read_group(
            [("id", "=", self.closed.id)],
            ["hours_to_first_response:avg", "hours_to_close:avg"],
            ["category_id"],
        )
        self.assertAlmostEqual(groups[0]["hours_to_first_response"], 2.0)
        self.assertAlmostEqual(groups[0]["hours_to_close"], 24.0)
