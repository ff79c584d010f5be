"""The bench's databases: its templates (200,000 cases, growth), copies, sizes."""

import hashlib
import json
import os
import shutil
import time

import psycopg2
from common import BENCH, DB_PREFIX, log


# --------------------------------------------------------------------------
# Databases (only the bench's own: names start with kunde_crm_bench)
# --------------------------------------------------------------------------
def sql(query, params=None, db="postgres"):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def db_exists(name):
    return bool(sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)))


def _own(name):
    if not name.startswith(DB_PREFIX):
        raise ValueError(f"the bench only touches its own databases, not {name}")


def drop_db(ctx, name):
    _own(name)
    if db_exists(name):
        sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        sql(f'DROP DATABASE "{name}"')
    shutil.rmtree(ctx.data_dir / "filestore" / name, ignore_errors=True)


def clone_db(ctx, source, target):
    """createdb -T (file copy: fast for a big database) and the filestore."""
    drop_db(ctx, target)
    sql(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY file_copy')
    src, dst = ctx.data_dir / "filestore" / source, ctx.data_dir / "filestore" / target
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=True)


def settle_disk():
    """Write the freshly copied database out before measuring: right after
    ``createdb -T`` the kernel is still flushing hundreds of MB, and every
    commit's WAL flush waits behind it (seen as 20-30% fewer takes/s)."""
    os.sync()


def rename_db(ctx, source, target):
    _own(source)
    _own(target)
    sql(f'ALTER DATABASE "{source}" RENAME TO "{target}"')
    src, dst = ctx.data_dir / "filestore" / source, ctx.data_dir / "filestore" / target
    if src.is_dir():
        shutil.rmtree(dst, ignore_errors=True)
        src.rename(dst)


def database_bytes(name):
    """On-disk size of a database (pg_database_size), in bytes."""
    return sql("SELECT pg_database_size(%s)", (name,))[0][0]


# --------------------------------------------------------------------------
# Templates and working copies
# --------------------------------------------------------------------------
# The files whose change makes a new bench template.
GENERATOR_FILES = ("generate.py", "generate_rows.py", "generate_words.py")


def template_name(ctx):
    args = ctx.args
    digest = hashlib.sha1()
    for name in GENERATOR_FILES:
        digest.update((BENCH / name).read_bytes())
    key = f"{args.base_template}|{args.peer_version}|{args.customers}|{args.seed}"
    digest.update(key.encode())
    return f"{ctx.template_prefix}{args.cases}_{digest.hexdigest()[:8]}"


def ensure_template(ctx):
    name = template_name(ctx)
    if db_exists(name) and not ctx.args.rebuild:
        log(f"reusing the bench template {name}")
        return name, False
    building = f"{name}_building"
    log(f"building the bench template {name} ({ctx.args.cases} cases)")
    started = time.time()
    clone_db(ctx, ctx.args.base_template, building)
    ctx.odoo(
        building,
        "-i",
        "kunde_crm,helpdesk_mgmt",
        "--without-demo=all",
        log_name="install",
    )
    log(f"modules installed ({time.time() - started:.0f} s); generating data")
    ctx.run_python(
        "generate.py",
        "--conf",
        str(ctx.conf),
        "--db",
        building,
        "--cases",
        str(ctx.args.cases),
        "--customers",
        str(ctx.args.customers),
        "--seed",
        str(ctx.args.seed),
        log_name="generate",
    )
    log(f"data generated ({time.time() - started:.0f} s); VACUUM FULL, ANALYZE")
    compact(building, BIG_TABLES)
    # Old templates of the same size (older generator or peer version) go.
    _replace_template(ctx, f"{ctx.template_prefix}{ctx.args.cases}_", name, building)
    log(f"bench template {name} ready in {time.time() - started:.0f} s")
    return name, True


def _replace_template(ctx, stem, name, building):
    """``building`` becomes ``name``; older templates named ``stem``_... go."""
    pattern = stem.replace("_", "\\_") + "%"
    for (old,) in sql(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)
    ):
        if old not in (name, building):
            drop_db(ctx, old)
    drop_db(ctx, name)
    rename_db(ctx, building, name)


def growth_template_name(ctx, base_template):
    """The growth template: the 200,000-case template plus the old history."""
    args = ctx.args
    digest = hashlib.sha1()
    for name in ("grow.py", "grow_copies.py"):
        digest.update((BENCH / name).read_bytes())
    digest.update(f"{base_template}|{args.growth_factor}|{args.seed}".encode())
    stem = f"{ctx.template_prefix}{args.cases}x{args.growth_factor}"
    return stem, f"{stem}_{digest.hexdigest()[:8]}"


def ensure_growth_template(ctx, base_template):
    """The base template's data, the same open cases, and ``--growth-factor``
    times the cases in all: the others closed, received before the oldest
    case of the base (bench/grow.py). Built once, reused like the base."""
    stem, name = growth_template_name(ctx, base_template)
    if db_exists(name) and not ctx.args.rebuild:
        log(f"reusing the growth template {name}")
        return name, False
    cases = ctx.args.cases * ctx.args.growth_factor
    building = f"{name}_building"
    log(f"building the growth template {name} ({cases:,} cases)")
    started = time.time()
    clone_db(ctx, base_template, building)
    # The base template may predate the kunde_crm being measured.
    ctx.odoo(building, "-u", "kunde_crm", log_name="growth-update")
    ctx.run_python(
        "grow.py",
        "--conf",
        str(ctx.conf),
        "--db",
        building,
        "--cases",
        str(cases),
        "--seed",
        str(ctx.args.seed),
        log_name="growth-generate",
    )
    log(f"history generated ({time.time() - started:.0f} s); VACUUM FULL, ANALYZE")
    compact(building, ["kunde_case"])
    _replace_template(ctx, f"{stem}_", name, building)
    log(f"growth template {name} ready in {time.time() - started:.0f} s")
    return name, True


def prepare_working_db(ctx, template):
    """``ctx.db``: a fresh copy of ``template``, updated to the current kunde_crm."""
    started = time.time()
    clone_db(ctx, template, ctx.db)
    # The template may predate the kunde_crm being measured: update it.
    ctx.odoo(ctx.db, "-u", "kunde_crm", log_name=ctx.log_name("update"))
    # An update that adds stored fields rewrites every case: compact again.
    compact(ctx.db, ["kunde_case"])
    seconds = time.time() - started
    log(f"working copy {ctx.db} updated to the current kunde_crm in {seconds:.0f} s")


BIG_TABLES = ["kunde_case", "helpdesk_ticket", "res_partner"]


def compact(db, tables):
    """VACUUM FULL the tables the bench rewrote, then VACUUM ANALYZE everything.

    The generator's bulk load and the ORM's recomputations leave dead rows:
    without this, the cases table can be several times its size and every
    sequential scan pays for it. Both modules' tables get the same treatment.
    """
    present = {t for (t,) in sql("SELECT tablename FROM pg_tables", db=db)}
    for table in tables:
        if table in present:
            sql(f'VACUUM (FULL) "{table}"', db=db)
    sql("VACUUM ANALYZE", db=db)


def bench_meta(db):
    rows = sql(
        "SELECT value FROM ir_config_parameter WHERE key = 'kunde_crm_bench.meta'",
        db=db,
    )
    return json.loads(rows[0][0]) if rows else {}


def data_info(ctx, template, built):
    """What the working copy ``ctx.db`` holds, and its size on disk."""
    db = ctx.db
    counts = dict(
        sql(
            """
            SELECT 'cases', count(*) FROM kunde_case
            UNION ALL SELECT 'tickets', count(*) FROM helpdesk_ticket
            UNION ALL SELECT 'open', count(*) FROM kunde_case WHERE NOT is_closed
            UNION ALL SELECT 'queue', count(*) FROM kunde_case
                WHERE NOT is_closed AND user_id IS NULL
            UNION ALL SELECT 'customers_with_open_cases',
                count(DISTINCT commercial_partner_id) FROM kunde_case
                WHERE NOT is_closed
            """,
            db=db,
        )
    )
    return {
        "template": template,
        "template_reused": not built,
        "database_size": sql("SELECT pg_size_pretty(pg_database_size(%s))", (db,))[0][
            0
        ],
        "database_bytes": database_bytes(db),
        "counts": counts,
        "meta": bench_meta(db),
    }
