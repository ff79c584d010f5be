"""The customer-service workbook: Summary, Categories, Weeks, Agents, Channels,
Cases (kunde_case_xlsx_cases.py), Satisfaction (kunde_case_xlsx_satisfaction.py).

Built with xlsxwriter in constant-memory mode: each sheet is written top to
bottom and flushed as it goes, and cases are read in chunks with only the
fields the sheet shows, so 100,000 cases fit in a small, flat amount of memory.
What is in the file is decided as the user: the cases are searched through
the ORM (record rules, archived cases left out), the names of customers,
teams, agents and invoices are read through the ORM, and invoices the user may
not read are left out. The 100,000-row Cases sheet then reads the stored
columns of those cases directly, chunk by chunk.
"""

import io
from collections import defaultdict
from datetime import datetime, timedelta

import pytz
import xlsxwriter

from odoo.tools import SQL

from . import kunde_case_xlsx_satisfaction as satisfaction
from .kunde_case_xlsx_cases import CasesSheet

TOP_CATEGORIES = 6


class KundeCaseXlsxReport(CasesSheet):
    """Build the workbook for cases matching ``domain`` received in a period."""

    def __init__(self, env, date_from, date_to, domain=None, include_cases=False):
        env = report_env(env)
        self.env = env
        self.date_from = date_from
        self.date_to = date_to
        self.include_cases = include_cases
        Trend = env["kunde.case.trend"]
        self.before_start, self.start, self.end = Trend._period_bounds(
            date_from, date_to
        )
        self.base_domain = list(domain or [])
        self.domain = self.base_domain + [
            ("date_received", ">=", self.start),
            ("date_received", "<", self.end),
        ]
        self.Case = env["kunde.case"]
        # Resolved once: 100,000 cases have 200,000 dates to localise.
        self.tz = pytz.timezone(env.context.get("tz") or env.user.tz or "UTC")

    # ------------------------------------------------------------------
    # entry point
    # ------------------------------------------------------------------
    def build(self):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "default_date_format": "yyyy-mm-dd hh:mm",
                "remove_timezone": True,
            },
        )
        self.formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "hours": workbook.add_format({"num_format": "0.0"}),
            "percent": workbook.add_format({"num_format": "0.0%"}),
            "int": workbook.add_format({"num_format": "0"}),
        }
        total = self.Case.search_count(self.domain)
        self._sheet_summary(workbook, total)
        self._sheet_categories(workbook)
        self._sheet_weeks(workbook)
        self._sheet_agents(workbook)
        self._sheet_channels(workbook)
        if self.include_cases:
            self._sheet_cases(workbook)
        satisfaction.sheet_satisfaction(self, workbook)
        # Sheets of other addons (kunde_crm_crm's Sales ...), after the core
        # ones: see kunde.case.report.wizard._xlsx_extra_sheets.
        for add_sheet in self.env["kunde.case.report.wizard"]._xlsx_extra_sheets():
            add_sheet(self, workbook)
        workbook.close()
        return output.getvalue()

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    @staticmethod
    def text(worksheet, row, col, value, cell_format=None):
        """Write text as a string cell, never as a formula (spreadsheet injection).

        Text starting with = + - @ tab or CR would be a formula if written with
        ``write()``; ``write_string`` stores it as a string whatever it starts
        with (and the workbook has strings_to_formulas off as well).
        """
        value = "" if value in (None, False) else str(value)
        worksheet.write_string(row, col, value, cell_format)

    def number(self, worksheet, row, col, value, cell_format=None):
        if value is None or value is False:
            worksheet.write_blank(row, col, None, cell_format)
        else:
            worksheet.write_number(row, col, value, cell_format)

    def header(self, worksheet, row, titles, widths):
        for col, (title, width) in enumerate(zip(titles, widths, strict=True)):
            worksheet.set_column(col, col, width)
            worksheet.write_string(row, col, title, self.formats["header"])
        worksheet.freeze_panes(row + 1, 0)

    def _percentiles(self, field):
        """Median and 90th percentile of a stored measure, under record rules."""
        query = self.Case._search(self.domain + [(field, "!=", False)])
        column = SQL.identifier(self.Case._table, field)
        sql = SQL(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY %s),"
            " percentile_cont(0.9) WITHIN GROUP (ORDER BY %s) FROM %s WHERE %s",
            column,
            column,
            query.from_clause,
            query.where_clause if query._where_clauses else SQL("TRUE"),
        )
        median, p90 = self.env.execute_query(sql)[0]
        return median, p90

    # ------------------------------------------------------------------
    # sheets
    # ------------------------------------------------------------------
    def _sheet_summary(self, workbook, total):
        sheet = workbook.add_worksheet(self.env._("Summary"))
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, 1, 18)
        sheet.write_string(
            0, 0, self.env._("Customer service report"), self.formats["title"]
        )
        sheet.write_string(1, 0, self.env._("Period"))
        sheet.write_datetime(
            1,
            1,
            datetime.combine(self.date_from, datetime.min.time()),
            self.formats["date"],
        )
        sheet.write_datetime(
            1,
            2,
            datetime.combine(self.date_to, datetime.min.time()),
            self.formats["date"],
        )
        row = 3
        if not total:
            sheet.write_string(
                row, 0, self.env._("No cases were received in this period.")
            )
            return
        closed = self.Case.search_count(self.domain + [("is_closed", "=", True)])
        fr_median, fr_p90 = self._percentiles("hours_to_first_response")
        cl_median, cl_p90 = self._percentiles("hours_to_close")
        lines = [
            (self.env._("Cases received"), total, "int"),
            (self.env._("Open"), total - closed, "int"),
            (self.env._("Closed"), closed, "int"),
            (self.env._("Hours to first response, median"), fr_median, "hours"),
            (self.env._("Hours to first response, 90th percentile"), fr_p90, "hours"),
            (self.env._("Hours to close, median"), cl_median, "hours"),
            (self.env._("Hours to close, 90th percentile"), cl_p90, "hours"),
        ]
        if "sla_kept" in self.Case._fields:
            kept = self.Case._read_group(
                self.domain + [("sla_status", "in", ("met", "breached"))],
                [],
                ["sla_kept:avg"],
            )[0][0]
            lines.append(
                (
                    self.env._("SLA kept"),
                    kept / 100.0 if kept is not None else None,
                    "percent",
                )
            )
        lines += satisfaction.summary_lines(self)
        self.header(sheet, row, [self.env._("Figure"), self.env._("Value")], [42, 18])
        for label, value, fmt in lines:
            row += 1
            sheet.write_string(row, 0, label)
            self.number(sheet, row, 1, value, self.formats[fmt])

    def _sheet_categories(self, workbook):
        sheet = workbook.add_worksheet(self.env._("Categories"))
        counts = self.env["kunde.case.trend"]._count_by_category(
            self.date_from, self.date_to, self.base_domain
        )
        rows = sorted(
            counts.items(),
            key=lambda item: (-item[1][0], item[0].complete_name or ""),
        )
        titles = [
            self.env._("Category"),
            self.env._("Cases in period"),
            self.env._("Previous period"),
            self.env._("Change (%)"),
        ]
        self.header(sheet, 0, titles, [40, 16, 16, 14])
        if not rows:
            sheet.write_string(
                1, 0, self.env._("No cases were received in this period.")
            )
            return
        for index, (category, (now, before, _kept)) in enumerate(rows, start=1):
            self.text(
                sheet, index, 0, category.complete_name or self.env._("(no category)")
            )
            sheet.write_number(index, 1, now)
            sheet.write_number(index, 2, before)
            change = (now - before) / before if before else None
            self.number(sheet, index, 3, change, self.formats["percent"])
        last = len(rows)
        sheet.autofilter(0, 0, last, 3)
        chart = workbook.add_chart({"type": "column"})
        sheet_name = self.env._("Categories")
        for col, name in ((1, titles[1]), (2, titles[2])):
            chart.add_series(
                {
                    "name": name,
                    "categories": [sheet_name, 1, 0, last, 0],
                    "values": [sheet_name, 1, col, last, col],
                }
            )
        chart.set_title(
            {"name": self.env._("Cases per category: this period and the one before")}
        )
        chart.set_size({"width": 760, "height": 380})
        sheet.insert_chart(1, 5, chart)

    def _sheet_weeks(self, workbook):
        sheet = workbook.add_worksheet(self.env._("Weeks"))
        groups = self.Case._read_group(
            self.domain, ["date_received:week", "category_id"], ["__count"]
        )
        totals = defaultdict(int)
        for _week, category, count in groups:
            totals[category] += count
        top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
        weeks = sorted({week for week, _category, _count in groups})
        by_cell = {(week, category): count for week, category, count in groups}
        titles = [self.env._("Week starting")] + [
            c.complete_name or self.env._("(no category)") for c in top
        ]
        self.header(sheet, 0, titles, [16] + [22] * len(top))
        if not weeks:
            sheet.write_string(
                1, 0, self.env._("No cases were received in this period.")
            )
            return
        for row, week in enumerate(weeks, start=1):
            sheet.write_datetime(row, 0, week, self.formats["date"])
            for col, category in enumerate(top, start=1):
                sheet.write_number(row, col, by_cell.get((week, category), 0))
        sheet.autofilter(0, 0, len(weeks), len(top))
        chart = workbook.add_chart({"type": "line"})
        sheet_name = self.env._("Weeks")
        for col in range(1, len(top) + 1):
            chart.add_series(
                {
                    "name": [sheet_name, 0, col],
                    "categories": [sheet_name, 1, 0, len(weeks), 0],
                    "values": [sheet_name, 1, col, len(weeks), col],
                    "marker": {"type": "circle"},
                }
            )
        chart.set_title({"name": self.env._("Cases per week, top categories")})
        chart.set_size({"width": 760, "height": 380})
        sheet.insert_chart(1, len(top) + 2, chart)

    def _sheet_agents(self, workbook):
        sheet = workbook.add_worksheet(self.env._("Agents"))
        groups = self.Case._read_group(
            self.domain,
            ["user_id", "is_closed"],
            [
                "__count",
                "hours_to_first_response:sum",
                "hours_to_first_response:count",
                "hours_to_close:sum",
                "hours_to_close:count",
            ],
        )
        agents = {}
        for user, is_closed, count, fr_sum, fr_n, cl_sum, cl_n in groups:
            total = agents.setdefault(user, [0, 0, 0.0, 0, 0.0, 0])
            total[0] += count
            total[1] += count if is_closed else 0
            total[2] += fr_sum or 0.0
            total[3] += fr_n
            total[4] += cl_sum or 0.0
            total[5] += cl_n
        titles = [
            self.env._("Agent"),
            self.env._("Cases"),
            self.env._("Closed"),
            self.env._("Average hours to first response"),
            self.env._("Average hours to close"),
        ]
        self.header(sheet, 0, titles, [30, 12, 12, 22, 22])
        ordered = sorted(agents.items(), key=lambda item: -item[1][0])
        for row, (user, (count, closed, fr_sum, fr_n, cl_sum, cl_n)) in enumerate(
            ordered, start=1
        ):
            self.text(sheet, row, 0, user.name if user else self.env._("(unassigned)"))
            sheet.write_number(row, 1, count)
            sheet.write_number(row, 2, closed)
            self.number(
                sheet, row, 3, fr_sum / fr_n if fr_n else None, self.formats["hours"]
            )
            self.number(
                sheet, row, 4, cl_sum / cl_n if cl_n else None, self.formats["hours"]
            )
        if ordered:
            sheet.autofilter(0, 0, len(ordered), 4)

    def _sheet_channels(self, workbook):
        sheet = workbook.add_worksheet(self.env._("Channels"))
        labels = dict(self.Case._fields["channel"]._description_selection(self.env))
        groups = self.Case._read_group(self.domain, ["channel"], ["__count"])
        self.header(sheet, 0, [self.env._("Channel"), self.env._("Cases")], [24, 12])
        ordered = sorted(groups, key=lambda g: -g[1])
        for row, (channel, count) in enumerate(ordered, start=1):
            self.text(sheet, row, 0, labels.get(channel, channel))
            sheet.write_number(row, 1, count)
        if ordered:
            sheet.autofilter(0, 0, len(ordered), 1)


def report_env(env):
    """The environment a report is written in: one language for the whole file.

    The context's language, else the user's. A call over RPC often carries no
    ``lang`` in its context, and Odoo's ``_()`` then guesses the language from
    the caller's local variables: a loop variable ``user`` made the Agents
    sheet come out in the last agent's language. Every text of a report is
    translated with ``self.env._()`` in this environment instead.
    """
    lang = env.context.get("lang") or env.user.lang or "en_US"
    if lang == env.context.get("lang"):
        return env
    return env(context=dict(env.context, lang=lang))


def last_month(today):
    """(first day, last day) of the month before ``today``."""
    first_this_month = today.replace(day=1)
    last_day = first_this_month - timedelta(days=1)
    return last_day.replace(day=1), last_day
