"""The bench data's SQL path: rows as the ORM stores them, COPY, and the checks.

``case_row``/``ticket_row`` compute every stored field the way the ORM does;
``load`` writes them with ``COPY`` and lets the ORM fill the stored fields
this code does not know; ``check_against_orm`` and ``check_invariants`` make
the generation fail when the rows are not what the ORM would store.
"""

import csv
import io
import json
import sys
from datetime import datetime

from generate_words import PEER_PRIORITY

from odoo import SUPERUSER_ID


class _RollBack(Exception):
    """Undo the ORM sample of ``check_against_orm``."""


MAGIC_COLUMNS = {"id", "create_uid", "create_date", "write_uid", "write_date"}


def log(message):
    print(f"[generate] {message}", file=sys.stderr, flush=True)


class RowPath:
    """The SQL path, mixed into generate.Generator."""

    # ------------------------------------------------------------------
    # Rows, as the ORM would store them
    # ------------------------------------------------------------------
    def case_orm_vals(self, vals, reference):
        """The values an integrator passes to ``kunde.case.create``."""
        orm = {
            key: vals[key]
            for key in (
                "name",
                "description",
                "partner_id",
                "channel",
                "category_id",
                "priority",
                "team_id",
                "date_received",
                "user_id",
                "date_assigned",
                "date_first_response",
                "date_closed",
            )
            if vals[key] or key in ("name",)
        }
        orm["reference"] = reference
        orm["stage_id"] = self.stages[vals["state"]].id
        orm["tag_ids"] = [(6, 0, vals["tag_ids"])]
        return orm

    def case_row(self, vals, reference):
        partner = self.partner_data[vals["partner_id"]]
        stage = self.stages[vals["state"]]
        last_change = (
            vals["date_closed"] or vals["date_assigned"] or vals["date_received"]
        )
        return {
            "reference": reference,
            "name": vals["name"],
            "description": vals["description"],
            "partner_id": vals["partner_id"],
            "commercial_partner_id": partner["commercial_partner_id"][0],
            "email_from": partner["email"] or None,
            "phone": partner["phone"] or partner["mobile"] or None,
            "channel": vals["channel"],
            "category_id": vals["category_id"],
            "priority": vals["priority"],
            "stage_id": stage.id,
            "team_id": vals["team_id"],
            "user_id": vals["user_id"] or None,
            "company_id": self.company.id,
            "date_received": vals["date_received"],
            "date_assigned": vals["date_assigned"] or None,
            "date_first_response": vals["date_first_response"] or None,
            "date_closed": vals["date_closed"] if stage.is_closed else None,
            "is_closed": stage.is_closed,
            "active": True,
            "color": None,
            "create_uid": SUPERUSER_ID,
            "create_date": vals["date_received"],
            "write_uid": vals["user_id"] or SUPERUSER_ID,
            "write_date": last_change,
        }

    def ticket_orm_vals(self, vals, number):
        partner = self.partner_data[vals["partner_id"]]
        orm = {
            "number": number,
            "name": vals["name"],
            "description": vals["description"],
            "partner_id": vals["partner_id"],
            # What the form's onchange fills in from the customer.
            "partner_name": partner["name"],
            "partner_email": partner["email"] or False,
            "channel_id": self.peer_channels[vals["channel"]].id,
            "category_id": self.peer_categories[vals["category_id"]].id,
            "priority": PEER_PRIORITY[vals["priority"]],
            "team_id": self.peer_teams[vals["team_id"]].id,
            "stage_id": self.peer_stages[vals["state"]].id,
            "tag_ids": [(6, 0, [self.peer_tags[t].id for t in vals["tag_ids"]])],
            "last_stage_update": vals["date_closed"]
            or vals["date_assigned"]
            or vals["date_received"],
        }
        # Explicit, also when unassigned: with "auto assign" on (the default),
        # default_get would assign the ticket to whoever creates it.
        orm["user_id"] = vals["user_id"] or False
        if vals["user_id"]:
            orm["assigned_date"] = vals["date_assigned"]
        if vals["date_closed"]:
            orm["closed_date"] = vals["date_closed"]
        return orm

    def ticket_row(self, vals, number):
        partner = self.partner_data[vals["partner_id"]]
        stage = self.peer_stages[vals["state"]]
        last_change = (
            vals["date_closed"] or vals["date_assigned"] or vals["date_received"]
        )
        return {
            "number": number,
            "name": vals["name"],
            "description": vals["description"],
            "notes": None,
            "partner_id": vals["partner_id"],
            "commercial_partner_id": partner["commercial_partner_id"][0],
            "partner_name": partner["name"],
            "partner_email": partner["email"] or None,
            "channel_id": self.peer_channels[vals["channel"]].id,
            "category_id": self.peer_categories[vals["category_id"]].id,
            "priority": PEER_PRIORITY[vals["priority"]],
            "team_id": self.peer_teams[vals["team_id"]].id,
            "stage_id": stage.id,
            "user_id": vals["user_id"] or None,
            "company_id": self.company.id,
            "last_stage_update": last_change,
            "assigned_date": vals["date_assigned"] or None,
            "closed_date": vals["date_closed"] or None,
            "unattended": stage.unattended,
            "kanban_state": None,
            "sequence": 10,
            "color": None,
            "active": True,
            "duplicate_id": None,
            "access_token": None,
            "email_cc": None,
            "properties": None,
            "create_uid": SUPERUSER_ID,
            "create_date": vals["date_received"],
            "write_uid": vals["user_id"] or SUPERUSER_ID,
            "write_date": last_change,
        }

    # ------------------------------------------------------------------
    # Bulk load
    # ------------------------------------------------------------------
    def load(self, model_name, rows, tags):
        """COPY ``rows`` into the model's table and ``tags`` into its tag table."""
        Model = self.env[model_name]
        table = Model._table
        self.env.flush_all()
        self.cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        base = self.cr.fetchone()[0]
        columns = ["id", *rows[0].keys()]
        self.check_columns(Model, columns)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for offset, row in enumerate(rows, start=1):
            writer.writerow(
                [base + offset] + [_csv_value(value) for value in row.values()]
            )
        buffer.seek(0)
        self.cr._obj.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN "
            "WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )
        self.cr.execute(
            f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))"
        )
        field = Model._fields["tag_ids"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for offset, tag_ids in enumerate(tags, start=1):
            for tag_id in tag_ids:
                writer.writerow([base + offset, tag_id])
        buffer.seek(0)
        self.cr._obj.copy_expert(
            f"COPY {field.relation} ({field.column1}, {field.column2}) FROM STDIN "
            "WITH (FORMAT csv)",
            buffer,
        )
        ids = list(range(base + 1, base + len(rows) + 1))
        self.complete_unknown_fields(Model, ids, set(columns), rows)
        return ids

    def check_columns(self, Model, columns):
        unknown = set(columns) - set(self._columns(Model._table))
        if unknown:
            raise SystemExit(f"{Model._name}: no such columns {sorted(unknown)}")

    def _columns(self, table):
        self.cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            (table,),
        )
        return [name for (name,) in self.cr.fetchall()]

    def complete_unknown_fields(self, Model, ids, known, rows):
        """Stored fields this generator does not know (added to kunde_crm later):
        the ORM fills them (recompute, or default), all in one pass over the
        rows; then the rows get their own write date and author back."""
        todo = [
            field
            for name, field in Model._fields.items()
            if field.store
            and field.column_type
            and name not in known
            and name not in MAGIC_COLUMNS
        ]
        computed = [field for field in todo if field.compute]
        defaults = Model.default_get([f.name for f in todo if not f.compute])
        defaults = {k: v for k, v in defaults.items() if v not in (None, False)}
        if not computed and not defaults:
            return
        names = [f.name for f in computed] + sorted(defaults)
        log(f"{Model._name}: unknown to the generator, filled by the ORM: {names}")
        records = Model.browse(ids)
        for start in range(0, len(ids), 5000):
            batch = records[start : start + 5000]
            for field in computed:
                self.env.add_to_compute(field, batch)
            if defaults:
                batch.write(defaults)
            batch.flush_recordset(names)
            self.env.invalidate_all()
        # The ORM wrote "now" into write_date: give the rows theirs back.
        self.cr.execute(
            "CREATE TEMP TABLE bench_log_access (id int, write_date timestamp, "
            "write_uid int) ON COMMIT DROP"
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for record_id, row in zip(ids, rows, strict=True):
            writer.writerow(
                [record_id, _csv_value(row["write_date"]), row["write_uid"]]
            )
        buffer.seek(0)
        self.cr._obj.copy_expert(
            "COPY bench_log_access FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )
        self.cr.execute(
            f"UPDATE {Model._table} t SET write_date = b.write_date, "
            "write_uid = b.write_uid FROM bench_log_access b WHERE t.id = b.id"
        )
        self.cr.execute("DROP TABLE bench_log_access")

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    def check_against_orm(self, model_name, samples, orm_vals, row, label_field):
        """The SQL path against the ORM, for ``samples``.

        In a savepoint that is rolled back: the samples are created through the
        ORM, and loaded again through ``load`` (the SQL path, including the ORM
        completion of unknown fields); both rows must be equal, column by column.
        """
        Model = self.env[model_name].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        tags_field = Model._fields["tag_ids"]
        differences = []

        def fetch(ids):
            self.cr.execute(
                f"SELECT id, row_to_json(t) FROM {Model._table} t WHERE id IN %s",
                (tuple(ids),),
            )
            rows = dict(self.cr.fetchall())
            self.cr.execute(
                f"SELECT {tags_field.column1}, {tags_field.column2} "
                f"FROM {tags_field.relation} WHERE {tags_field.column1} IN %s",
                (tuple(ids),),
            )
            tags = {}
            for record_id, tag_id in self.cr.fetchall():
                tags.setdefault(record_id, []).append(tag_id)
            return [(rows[i], sorted(tags.get(i, []))) for i in ids]

        try:
            with self.cr.savepoint():
                records = Model.create(
                    [orm_vals(vals, f"BENCH-ORM-{i}") for i, vals in samples]
                )
                self.env.flush_all()
                by_orm = fetch(records.ids)
                sql_rows = [row(vals, f"BENCH-SQL-{i}") for i, vals in samples]
                sql_tags = [orm_vals(vals, "")["tag_ids"][0][2] for _i, vals in samples]
                by_sql = fetch(self.load(model_name, sql_rows, sql_tags))
                raise _RollBack
        except _RollBack:
            self.env.invalidate_all()
        for (orm_row, orm_tags), (sql_row, sql_tags) in zip(
            by_orm, by_sql, strict=True
        ):
            for column, value in orm_row.items():
                if column in MAGIC_COLUMNS or column == label_field:
                    continue
                if _normalise(sql_row.get(column)) != _normalise(value):
                    differences.append((column, sql_row.get(column), value))
            if orm_tags != sql_tags:
                differences.append(("tag_ids", sql_tags, orm_tags))
        if differences:
            for column, expected, actual in differences[:20]:
                log(f"{model_name}.{column}: SQL path {expected!r} != ORM {actual!r}")
            raise SystemExit(
                f"{model_name}: the SQL rows differ from what the ORM stores "
                f"({len(differences)} differences): fix case_row/ticket_row"
            )
        log(f"{model_name}: {len(samples)} sample rows identical to the ORM's")

    def check_invariants(self):
        cr = self.cr
        checks = {
            "commercial partner differs from the customer's": """
                SELECT count(*) FROM kunde_case c
                JOIN res_partner p ON p.id = c.partner_id
                WHERE c.commercial_partner_id
                      IS DISTINCT FROM p.commercial_partner_id""",
            "is_closed differs from the stage's": """
                SELECT count(*) FROM kunde_case c
                JOIN kunde_case_stage s ON s.id = c.stage_id
                WHERE c.is_closed IS DISTINCT FROM COALESCE(s.is_closed, false)
                  AND NOT (c.is_closed IS NULL AND s.is_closed IS NULL)""",
            "closed without closing date, or open with one": """
                SELECT count(*) FROM kunde_case
                WHERE (is_closed AND date_closed IS NULL)
                   OR (NOT COALESCE(is_closed, false) AND date_closed IS NOT NULL)""",
            "assigned without date, or unassigned with one": """
                SELECT count(*) FROM kunde_case
                WHERE (user_id IS NULL) <> (date_assigned IS NULL)""",
            "unassigned outside New": """
                SELECT count(*) FROM kunde_case c
                WHERE user_id IS NULL AND stage_id <> %(new)s""",
            "duplicate references": """
                SELECT count(*) - count(DISTINCT reference) FROM kunde_case""",
            "email differs from the customer's": """
                SELECT count(*) FROM kunde_case c
                JOIN res_partner p ON p.id = c.partner_id
                WHERE c.email_from IS DISTINCT FROM NULLIF(p.email, '')""",
        }
        if self.peer:
            checks.update(
                {
                    "ticket commercial partner differs": """
                        SELECT count(*) FROM helpdesk_ticket t
                        JOIN res_partner p ON p.id = t.partner_id
                        WHERE t.commercial_partner_id
                              IS DISTINCT FROM p.commercial_partner_id""",
                    "ticket unattended differs from the stage's": """
                        SELECT count(*) FROM helpdesk_ticket t
                        JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
                        WHERE t.unattended IS DISTINCT FROM s.unattended""",
                    "ticket closed without closing date": """
                        SELECT count(*) FROM helpdesk_ticket t
                        JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
                        WHERE s.closed AND t.closed_date IS NULL""",
                }
            )
        failures = {}
        for label, query in checks.items():
            cr.execute(query, {"new": self.stages["new"].id})
            count = cr.fetchone()[0]
            if count:
                failures[label] = count
        # The sequence goes on after the last generated reference.
        seq = self.env["ir.sequence"].search([("code", "=", "kunde.case")], limit=1)
        if seq.number_next_actual != self.n_cases + 1:
            failures["sequence number_next"] = seq.number_next_actual
        if failures:
            raise SystemExit(f"data invariants broken: {failures}")
        log("invariants hold over all rows")

    def set_sequence(self, code, number_next):
        seq = self.env["ir.sequence"].search([("code", "=", code)], limit=1)
        seq.write({"number_next": number_next})
        self.env.flush_all()


def _csv_value(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _json_default(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    raise TypeError(value)


def _normalise(value):
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return value[:19]
    if isinstance(value, dict):  # translated / json columns
        return json.dumps(value, sort_keys=True)
    return value
