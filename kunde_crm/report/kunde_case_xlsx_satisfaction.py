"""The workbook's Satisfaction sheet (per team, agent, category and month, with
the customers' comments) and the satisfaction totals of the summary and the
monthly email.

Ratings count in the period they were given (``csat_rated_on``), whenever the
case was received. Everything is read as the user, like the other sheets: a
grouped query per breakdown under the user's record rules, and the comments
of the cases they may read.
"""

from datetime import date, datetime, time

import pytz

COMMENT_COLUMNS = (
    "reference",
    "csat_rated_on",
    "csat_rating",
    "team_id",
    "user_id",
    "category_id",
    "csat_feedback",
)


def satisfaction_domain(base_domain, start, end):
    """The rated cases of ``base_domain`` rated in [start, end) (UTC)."""
    return list(base_domain or []) + [
        ("csat_rating", ">", 0),
        ("csat_rated_on", ">=", start),
        ("csat_rated_on", "<", end),
    ]


def satisfaction_totals(env, base_domain, start, end):
    """(ratings, average 1-5, share of 5s in %) of a period: one grouped query."""
    Case = env["kunde.case"]
    count, average, satisfied = Case._read_group(
        satisfaction_domain(base_domain, start, end),
        [],
        ["csat_rated:sum", "csat_rating:avg", "csat_satisfied:avg"],
    )[0]
    return count or 0, average, satisfied


def summary_lines(report):
    """Lines of the Summary sheet: (label, value, format)."""
    count, average, satisfied = satisfaction_totals(
        report.env, report.base_domain, report.start, report.end
    )
    _ = report.env._
    return [
        (_("Satisfaction ratings"), count, "int"),
        (_("Satisfaction, average (1 to 5)"), average, "hours"),
        (
            _("Satisfied customers (5 of 5)"),
            satisfied / 100.0 if satisfied is not None else None,
            "percent",
        ),
    ]


def sheet_satisfaction(report, workbook):
    """Ratings per team, agent, category and month, then the comments."""
    env = report.env
    _ = env._
    Case = report.Case
    domain = satisfaction_domain(report.base_domain, report.start, report.end)
    sheet = workbook.add_worksheet(_("Satisfaction"))
    titles = [
        _("Breakdown"),
        _("Name"),
        _("Ratings"),
        _("Average (1 to 5)"),
        _("Satisfied (5 of 5)"),
    ]
    report.header(sheet, 0, titles, [14, 34, 12, 16, 16])
    breakdowns = (
        (_("Team"), "team_id"),
        (_("Agent"), "user_id"),
        (_("Category"), "category_id"),
        (_("Month"), "csat_rated_on:month"),
    )
    row = 0
    month_format = workbook.add_format({"num_format": "yyyy-mm"})
    for label, groupby in breakdowns:
        groups = Case._read_group(
            domain,
            [groupby],
            ["csat_rated:sum", "csat_rating:avg", "csat_satisfied:avg"],
            order=groupby if groupby.endswith(":month") else None,
        )
        for value, count, average, satisfied in groups:
            row += 1
            report.text(sheet, row, 0, label)
            if isinstance(value, date):
                if not isinstance(value, datetime):
                    value = datetime.combine(value, time.min)
                sheet.write_datetime(row, 1, value.replace(tzinfo=None), month_format)
            elif hasattr(value, "display_name"):
                report.text(sheet, row, 1, value.display_name or _("(none)"))
            else:
                report.text(sheet, row, 1, value or _("(none)"))
            sheet.write_number(row, 2, count or 0)
            report.number(sheet, row, 3, average, report.formats["hours"])
            report.number(
                sheet,
                row,
                4,
                satisfied / 100.0 if satisfied is not None else None,
                report.formats["percent"],
            )
    if not row:
        sheet.write_string(1, 0, _("No ratings were given in this period."))
        return
    sheet.autofilter(0, 0, row, len(titles) - 1)
    _comments(report, sheet, row + 2, domain)


def _comments(report, sheet, row, domain):
    env = report.env
    _ = env._
    sheet.write_string(row, 0, _("Comments"), report.formats["title"])
    titles = [
        _("Reference"),
        _("Rated on"),
        _("Rating"),
        _("Team"),
        _("Agent"),
        _("Category"),
        _("Comment"),
    ]
    row += 1
    for col, title in enumerate(titles):
        sheet.write_string(row, col, title, report.formats["header"])
    sheet.set_column(6, 6, 60)
    cases = report.Case.search_fetch(
        domain + [("csat_feedback", "!=", False)],
        list(COMMENT_COLUMNS),
        order="csat_rated_on, id",
    )
    for case in cases:
        row += 1
        report.text(sheet, row, 0, case.reference)
        rated_on = (
            pytz.utc.localize(case.csat_rated_on)
            .astimezone(report.tz)
            .replace(tzinfo=None)
        )
        sheet.write_datetime(row, 1, rated_on, report.formats["datetime"])
        sheet.write_number(row, 2, case.csat_rating)
        report.text(sheet, row, 3, case.team_id.display_name)
        report.text(sheet, row, 4, case.user_id.display_name)
        report.text(sheet, row, 5, case.category_id.display_name)
        report.text(sheet, row, 6, case.csat_feedback)
