"""The workbook's Cases sheet: one row per case, 100,000 and more.

The cases are those the user's search found (record rules applied); their
stored columns are then read directly, CHUNK at a time, with dates converted to
the user's time zone in SQL, and the names of customers, teams, agents, stages
and invoices read through the ORM as the user (invoices they may not read are
left out).
"""

from collections import defaultdict

from odoo.tools import SQL

CHUNK = 5000


class CasesSheet:
    """Mixed into KundeCaseXlsxReport (kunde_case_xlsx.py): uses its ``env``,
    ``Case``, ``tz``, ``domain``, ``formats`` and cell helpers."""

    def _sheet_cases(self, workbook):
        sheet = workbook.add_worksheet(self.env._("Cases"))
        titles = [
            self.env._("Reference"),
            self.env._("Subject"),
            self.env._("Received"),
            self.env._("Closed"),
            self.env._("Customer"),
            self.env._("Category"),
            self.env._("Channel"),
            self.env._("Team"),
            self.env._("Agent"),
            self.env._("Stage"),
            self.env._("Hours to first response"),
            self.env._("Hours to close"),
            self.env._("Invoices"),
        ]
        self.header(
            sheet, 0, titles, [14, 40, 17, 17, 32, 30, 14, 18, 22, 18, 14, 14, 26]
        )
        labels = dict(self.Case._fields["channel"]._description_selection(self.env))
        # Which cases: one search as the user (record rules, active), in order.
        ids = list(self.Case._search(self.domain, order="date_received, id"))
        names = {}  # (model, id) -> display name, filled chunk by chunk
        hours = self.formats["hours"]
        write_string, write_number = sheet.write_string, sheet.write_number
        write_datetime, stamp = sheet.write_datetime, self.formats["datetime"]
        row = 0
        for start in range(0, len(ids), CHUNK):
            chunk_ids = ids[start : start + CHUNK]
            rows = self._case_rows(chunk_ids)
            links = self._invoice_links(chunk_ids)
            self._fill_names(rows, links, names)
            for case_id in chunk_ids:
                (
                    reference,
                    subject,
                    received,
                    closed,
                    partner,
                    category,
                    channel,
                    team,
                    user,
                    stage,
                    first_response,
                    to_close,
                ) = rows[case_id]
                row += 1
                # write_string: text is never a formula (spreadsheet injection).
                write_string(row, 0, reference or "")
                write_string(row, 1, subject or "")
                # Already in the user's time zone (converted in the query).
                if received:
                    write_datetime(row, 2, received, stamp)
                if closed:
                    write_datetime(row, 3, closed, stamp)
                write_string(row, 4, names.get(("res.partner", partner), ""))
                write_string(row, 5, names.get(("kunde.case.category", category), ""))
                write_string(row, 6, labels.get(channel, ""))
                write_string(row, 7, names.get(("kunde.team", team), ""))
                write_string(row, 8, names.get(("res.users", user), ""))
                write_string(row, 9, names.get(("kunde.case.stage", stage), ""))
                if first_response:
                    write_number(row, 10, first_response, hours)
                if to_close:
                    write_number(row, 11, to_close, hours)
                invoices = links.get(case_id)
                if invoices:
                    write_string(
                        row,
                        12,
                        ", ".join(names.get(("account.move", i), "") for i in invoices),
                    )
        if row:
            sheet.autofilter(0, 0, row, len(titles) - 1)
        else:
            sheet.write_string(
                1, 0, self.env._("No cases were received in this period.")
            )

    _CASE_COLUMNS = (
        "reference",
        "name",
        "date_received",
        "date_closed",
        "partner_id",
        "category_id",
        "channel",
        "team_id",
        "user_id",
        "stage_id",
        "hours_to_first_response",
        "hours_to_close",
    )
    # Position of each related record's id in a row, and its model.
    _RELATED = (
        (4, "res.partner"),
        (5, "kunde.case.category"),
        (7, "kunde.team"),
        (8, "res.users"),
        (9, "kunde.case.stage"),
    )

    def _case_rows(self, case_ids):
        """{id: row} of the Cases sheet's stored columns, in one query.

        The ids come from a search as the user (record rules applied); the row
        values are plain stored columns, read without the ORM's per-value
        conversion, which took a third of the export's time.
        """
        Case = self.Case
        self.env.flush_all()
        columns = [
            # Dates in the user's time zone, as the web client shows them.
            SQL("(%s AT TIME ZONE 'UTC') AT TIME ZONE %s", column, self.tz.zone)
            if Case._fields[fname].type == "datetime"
            else column
            for fname in self._CASE_COLUMNS
            for column in [Case._field_to_sql(Case._table, fname)]
        ]
        self.env.cr.execute(
            SQL(
                "SELECT %s, %s FROM %s WHERE %s = ANY(%s)",
                SQL.identifier(Case._table, "id"),
                SQL(", ").join(columns),
                SQL.identifier(Case._table),
                SQL.identifier(Case._table, "id"),
                case_ids,
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _invoice_links(self, case_ids):
        """{case id: [invoice ids]}: only the invoices the user may read."""
        field = self.Case._fields["invoice_ids"]
        self.env.cr.execute(
            SQL(
                "SELECT %s, array_agg(%s ORDER BY %s) FROM %s WHERE %s = ANY(%s)"
                " GROUP BY %s",
                SQL.identifier(field.column1),
                SQL.identifier(field.column2),
                SQL.identifier(field.column2),
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                case_ids,
                SQL.identifier(field.column1),
            )
        )
        links = dict(self.env.cr.fetchall())
        wanted = {move_id for moves in links.values() for move_id in moves}
        if not wanted:
            return {}
        readable = set(self.env["account.move"]._search([("id", "in", sorted(wanted))]))
        return {
            case_id: [m for m in moves if m in readable]
            for case_id, moves in links.items()
        }

    def _fill_names(self, rows, links, names):
        """Display names of the related records of a chunk: one query per model,
        read as the user."""
        wanted = defaultdict(set)
        for values in rows.values():
            for position, model in self._RELATED:
                record_id = values[position]
                if record_id and (model, record_id) not in names:
                    wanted[model].add(record_id)
        for moves in links.values():
            for move_id in moves:
                if ("account.move", move_id) not in names:
                    wanted["account.move"].add(move_id)
        name_field = {
            "res.partner": "complete_name",
            "kunde.case.category": "complete_name",
            "kunde.team": "name",
            "res.users": "name",
            "kunde.case.stage": "name",
            "account.move": "name",
        }
        for model, ids in wanted.items():
            field = name_field[model]
            for record in self.env[model].browse(sorted(ids)).read([field]):
                names[(model, record["id"])] = record[field]
