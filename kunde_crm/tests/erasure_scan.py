"""Test helper: where in the database do given strings still occur?

Reads every text, varchar and json(b) column of every table of the database
(information_schema), one parameterised query per table, and the stored file of
given attachments. The erasure tests run it after an erasure and expect nothing
but what the law keeps.
"""

from odoo.tools import SQL

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")

# Tables that keep the customer's name by law, whatever an erasure asks:
# - account_move: a posted invoice keeps the customer's name as it was invoiced
#   (invoice_partner_display_name), as the Norwegian Bookkeeping Act
#   (bokføringsloven § 13, five years) and GDPR art. 17(3)(b) require;
# - account_move_line: its journal items, which repeat what the invoice says.
LEGAL_RETENTION_TABLES = frozenset({"account_move", "account_move_line"})


def text_columns(cr):
    """[(table, [text columns])] of every base table of the current schema."""
    cr.execute(
        SQL(
            """
            SELECT c.table_name::text,
                   array_agg(c.column_name::text ORDER BY c.ordinal_position)
              FROM information_schema.columns c
              JOIN information_schema.tables t
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema()
               AND t.table_type = 'BASE TABLE'
               AND c.data_type IN %s
          GROUP BY c.table_name
          ORDER BY c.table_name
            """,
            TEXT_TYPES,
        )
    )
    return cr.fetchall()


def like_pattern(string):
    escaped = string.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_strings(cr, strings, exclude=LEGAL_RETENTION_TABLES):
    """{(table, column): sorted strings found there}, case-insensitively."""
    patterns = [like_pattern(string) for string in strings]
    hits = {}
    for table, columns in text_columns(cr):
        if table in exclude:
            continue
        any_column = SQL(" OR ").join(
            SQL("%s::text ILIKE ANY(%s)", SQL.identifier(column), patterns)
            for column in columns
        )
        cr.execute(
            SQL("SELECT 1 FROM %s WHERE %s LIMIT 1", SQL.identifier(table), any_column)
        )
        if not cr.fetchone():
            continue
        for column in columns:
            for string, pattern in zip(strings, patterns, strict=True):
                cr.execute(
                    SQL(
                        "SELECT 1 FROM %s WHERE %s::text ILIKE %s LIMIT 1",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        pattern,
                    )
                )
                if cr.fetchone():
                    hits.setdefault((table, column), []).append(string)
    return {key: sorted(found) for key, found in hits.items()}


def find_in_files(attachments, strings):
    """{attachment id: strings found in its stored content (filestore or db)}."""
    hits = {}
    for attachment in attachments.exists():
        content = (attachment.raw or b"").decode("utf-8", "replace").lower()
        found = [string for string in strings if string.lower() in content]
        if found:
            hits[attachment.id] = found
    return hits
