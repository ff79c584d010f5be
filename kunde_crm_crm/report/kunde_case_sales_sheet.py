"""The Sales sheet of the customer-service workbook: leads sent from cases, won revenue.

Which cases count is decided as the user: the cases of the report's filters
(teams, categories, selected cases) that the user may read, searched under
their record rules. Their leads are then counted with sudo, as the case form
shows them to every reader of the case: report users need no sales rights.
A lead counts in the period it was sent to sales (its creation), whenever
its case came in.
"""

from collections import defaultdict


def sales_figures(report):
    """{(category, team): [leads, won, won revenue, open expected revenue]}."""
    env = report.env
    cases = report.Case._search(report.base_domain)  # as the user
    Lead = env["crm.lead"].sudo().with_context(active_test=False)
    domain = [
        ("kunde_case_id", "in", cases),
        ("create_date", ">=", report.start),
        ("create_date", "<", report.end),
    ]
    groupby = ["kunde_category_id", "kunde_team_id"]
    figures = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for category, team, count in Lead._read_group(domain, groupby, ["__count"]):
        figures[category, team][0] += count
    for category, team, count, revenue in Lead._read_group(
        domain + [("stage_id.is_won", "=", True)],
        groupby,
        ["__count", "kunde_won_revenue:sum"],
    ):
        figures[category, team][1] += count
        figures[category, team][2] += revenue or 0.0
    for category, team, revenue in Lead._read_group(
        domain + [("active", "=", True), ("stage_id.is_won", "=", False)],
        groupby,
        ["expected_revenue:sum"],
    ):
        figures[category, team][3] += revenue or 0.0
    # Names as the user (the report's environment), not as sudo.
    return {
        (category.with_env(env), team.with_env(env)): values
        for (category, team), values in figures.items()
    }


def add_sales_sheet(report, workbook):
    env = report.env
    sheet = workbook.add_worksheet(env._("Sales"))
    currency = env.company.currency_id.name
    titles = [
        env._("Category"),
        env._("Team"),
        env._("Sent to sales"),
        env._("Won"),
        env._("Won revenue (%(currency)s)", currency=currency),
        env._("Open expected revenue (%(currency)s)", currency=currency),
    ]
    report.header(sheet, 0, titles, [36, 22, 14, 10, 20, 24])
    figures = sales_figures(report)
    if not figures:
        sheet.write_string(1, 0, env._("No case was sent to sales in this period."))
        return
    rows = sorted(
        figures.items(),
        key=lambda item: (
            -item[1][0],
            item[0][0].complete_name or "",
            item[0][1].name or "",
        ),
    )
    money = workbook.add_format({"num_format": "#,##0.00"})
    totals = [0, 0, 0.0, 0.0]
    row = 0
    for (category, team), values in rows:
        row += 1
        report.text(sheet, row, 0, category.complete_name or env._("(no category)"))
        report.text(sheet, row, 1, team.name or env._("(no team)"))
        for col, value in enumerate(values, start=2):
            sheet.write_number(row, col, value, money if col > 3 else None)
            totals[col - 2] += value
    sheet.autofilter(0, 0, row, len(titles) - 1)
    row += 1
    bold = report.formats["header"]
    sheet.write_string(row, 0, env._("Total"), bold)
    for col, value in enumerate(totals, start=2):
        sheet.write_number(row, col, value, money if col > 3 else None)
