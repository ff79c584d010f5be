"""The growth history's copies: one ORM-filled block of cases, repeated in SQL.

bench/grow.py generates a block of closed cases (a whole number of weeks)
through generate.py's SQL path, lets the ORM fill the stored fields it does
not know (business-hours durations, SLA), then ``Replicator`` copies the block
further back in time with set-based SQL: every column as it is, every date and
datetime column shifted back by whole weeks (so weekdays and times of day, and
with them the business hours, stay the same), new ids and references, the
many2many rows (tags) copied along. ``check_copies`` recomputes a sample of
copied cases with the ORM and counts the ones whose stored values differ
(public holidays and daylight saving time do not repeat by weeks).
"""

from datetime import timedelta

from generate_rows import log

from odoo.tools import SQL

# Columns the copies do not take from the block.
NEW_COLUMNS = {"id", "reference"}
# Copied as NULL: a portal token or a link to another case is never shared.
NULL_COLUMNS = {"access_token", "origin_case_id"}
DATE_TYPES = {"date", "timestamp without time zone", "timestamp with time zone"}
# Per-case rows of mail (model/res_id): the copies would lack them.
MAIL_TABLES = (
    ("mail_message", "model"),
    ("mail_followers", "res_model"),
    ("mail_activity", "res_model"),
    ("ir_attachment", "res_model"),
)


class _RollBack(Exception):
    """Undo the ORM recomputation of ``check_copies``."""


class Replicator:
    def __init__(self, env, block_ids, weeks):
        self.env = env
        self.cr = env.cr
        self.Case = env["kunde.case"]
        self.block_ids = block_ids
        self.weeks = weeks

    def columns(self):
        """kunde_case's columns and whether they are dates; checked against
        the ORM's stored fields and the unique indexes."""
        cr = self.cr
        cr.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            ["kunde_case"],
        )
        columns = cr.fetchall()
        stored = {
            name
            for name, field in self.Case._fields.items()
            if field.store and field.column_type
        }
        missing = stored - {name for name, _type in columns}
        if missing:
            raise SystemExit(f"kunde_case lacks the stored fields {sorted(missing)}")
        extra = {name for name, _type in columns} - stored
        if extra:
            log(f"kunde_case columns without a field, copied as they are: {extra}")
        cr.execute(
            """SELECT DISTINCT a.attname FROM pg_index i
               JOIN pg_attribute a
                 ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
               WHERE i.indrelid = 'kunde_case'::regclass AND i.indisunique""",
        )
        unique = {name for (name,) in cr.fetchall()} - NEW_COLUMNS
        if unique:
            raise SystemExit(f"unique columns the copies would repeat: {unique}")
        return [(n, t in DATE_TYPES) for n, t in columns if n not in NEW_COLUMNS]

    def many2many(self):
        """The case's many2many tables (case column, other column), once each."""
        tables = {}
        for field in self.Case._fields.values():
            if field.type == "many2many" and field.store:
                if self.env[field.comodel_name].is_transient():
                    continue
                tables[field.relation] = (field.column1, field.column2)
        return tables

    def check_no_other_rows(self, m2m):
        """Rows in other tables that belong to a block case would be missing
        from its copies: there must be none (the template's closed cases have
        no messages, followers or activities either)."""
        cr = self.cr
        ids = self.block_ids
        cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
               JOIN pg_attribute a
                 ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               WHERE c.contype = 'f' AND c.confrelid = 'kunde_case'::regclass""",
        )
        found = {}
        queries = [
            SQL(
                "SELECT count(*) FROM %s WHERE %s = ANY(%s)",
                SQL.identifier(table),
                SQL.identifier(column),
                ids,
            )
            for table, column in cr.fetchall()
            if table not in m2m and table != "kunde_case"
        ]
        queries += [
            SQL(
                "SELECT count(*) FROM %s WHERE %s = 'kunde.case' AND res_id = ANY(%s)",
                SQL.identifier(table),
                SQL.identifier(column),
                ids,
            )
            for table, column in MAIL_TABLES
        ]
        for query in queries:
            cr.execute(query)
            count = cr.fetchone()[0]
            if count:
                found[query.code] = count
        if found:
            raise SystemExit(f"per-case rows the copies would lack: {found}")

    def run(self, todo, present):
        """Copy the block ``todo`` times in all, oldest first; the references
        go on from ``present`` (the block has the last ones). Returns the ids
        of the copies."""
        cr = self.cr
        self.env.flush_all()
        columns = self.columns()
        m2m = self.many2many()
        self.check_no_other_rows(m2m)
        cr.execute(
            "CREATE TEMP TABLE grow_block (src int PRIMARY KEY, rn int NOT NULL) "
            "ON COMMIT DROP"
        )
        cr.execute(
            "INSERT INTO grow_block SELECT id, row_number() OVER "
            "(ORDER BY date_received, id) FROM kunde_case WHERE id = ANY(%s)",
            [self.block_ids],
        )
        cr.execute("ANALYZE grow_block")
        seq = self.env["ir.sequence"].search([("code", "=", "kunde.case")], limit=1)
        size = len(self.block_ids)
        copies = -(-todo // size)
        number = present
        new_ids = []
        # Copy j is shifted back j times the block's weeks; the oldest one may
        # be partial: it takes the block's newest cases (no gap in time).
        for j in range(copies, 0, -1):
            take = min(size, todo - (j - 1) * size)
            skip = size - take
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM kunde_case")
            base = cr.fetchone()[0]
            shift = timedelta(weeks=self.weeks * j)
            values = [
                SQL("NULL")
                if name in NULL_COLUMNS
                else SQL("c.%s - %s", SQL.identifier(name), shift)
                if is_date
                else SQL("c.%s", SQL.identifier(name))
                for name, is_date in columns
            ]
            cr.execute(
                SQL(
                    """INSERT INTO kunde_case (id, reference, %(columns)s)
                       SELECT %(base)s + b.rn, %(prefix)s || lpad(
                                  (%(number)s + b.rn)::text,
                                  greatest(%(padding)s,
                                           length((%(number)s + b.rn)::text)),
                                  '0'),
                              %(values)s
                       FROM grow_block b JOIN kunde_case c ON c.id = b.src
                       WHERE b.rn > %(skip)s
                       ORDER BY b.rn""",
                    columns=SQL(", ").join(SQL.identifier(n) for n, _d in columns),
                    base=base - skip,
                    prefix=seq.prefix or "",
                    number=number - skip,
                    padding=seq.padding,
                    values=SQL(", ").join(values),
                    skip=skip,
                )
            )
            for table, (column1, column2) in m2m.items():
                cr.execute(
                    SQL(
                        """INSERT INTO %(table)s (%(c1)s, %(c2)s)
                           SELECT %(base)s + b.rn, r.%(c2)s
                           FROM grow_block b JOIN %(table)s r ON r.%(c1)s = b.src
                           WHERE b.rn > %(skip)s""",
                        table=SQL.identifier(table),
                        c1=SQL.identifier(column1),
                        c2=SQL.identifier(column2),
                        base=base - skip,
                        skip=skip,
                    )
                )
            new_ids.append((base + 1, base + take))
            number += take
            log(f"copy {j}: {take:,} cases, {self.weeks * j} weeks earlier")
        cr.execute(
            "SELECT setval('kunde_case_id_seq', (SELECT MAX(id) FROM kunde_case))"
        )
        cr.execute("DROP TABLE grow_block")
        return [i for first, last in new_ids for i in range(first, last + 1)]


def check_copies(env, ids, rng, written, label="copies", size=200):
    """Recompute a sample of cases' stored computed fields with the ORM (in a
    savepoint, rolled back) and count the cases that would differ. The fields
    the generator writes itself (``written``: date_assigned, is_closed...) are
    not recomputed: their computation reacts to a change (now). On the block
    itself, a control: what differs there is not due to the shift."""
    if not ids:
        return 0
    Case = env["kunde.case"]
    fields = [
        field
        for field in Case._fields.values()
        if field.store
        and field.compute
        and field.column_type
        and field.name not in written
    ]
    names = [field.name for field in fields]
    sample = sorted(rng.sample(ids, min(size, len(ids))))

    def fetch():
        env.cr.execute(
            SQL(
                "SELECT id, %s FROM kunde_case WHERE id = ANY(%s) ORDER BY id",
                SQL(", ").join(SQL.identifier(name) for name in names),
                sample,
            )
        )
        return env.cr.fetchall()

    env.flush_all()
    env.invalidate_all()
    stored = fetch()
    try:
        with env.cr.savepoint():
            records = Case.browse(sample)
            for field in fields:
                env.add_to_compute(field, records)
            records.flush_recordset(names)
            recomputed = fetch()
            raise _RollBack
    except _RollBack:
        env.invalidate_all()
    differing = {}
    cases = 0
    for old, new in zip(stored, recomputed, strict=True):
        pairs = zip(names, old[1:], new[1:], strict=True)
        diff = [name for name, a, b in pairs if a != b]
        cases += bool(diff)
        for name in diff:
            differing[name] = differing.get(name, 0) + 1
    log(
        f"{label}: {cases} of {len(sample)} sample cases recomputed by the ORM "
        f"differ from their copied values {differing or ''}"
    )
    return {"sample": len(sample), "differing": cases, "fields": differing}
