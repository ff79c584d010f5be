"""Phase "reports": the XLSX export and the trend report, when kunde_crm has them."""

import base64
import http.client
import io
import json
import statistics
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta

import psutil
import psycopg2
from common import AGENT, PASSWORD, log
from databases import sql
from phase_latency import series
from rpc import JsonRpc, RpcError, WebSession, wait_for_server
from server import Server

TREND_MODEL = "kunde.case.trend"
XLSX_WIZARD = "kunde.case.report.wizard"


def reports_phase(ctx, results, only=("trend", "xlsx")):
    """The trend and the XLSX export (those named in ``only``) on ``ctx.db``."""
    wanted = {"trend": TREND_MODEL, "xlsx": XLSX_WIZARD}
    wanted = tuple(wanted[name] for name in only)
    out = results.setdefault("reports", {})
    present = {
        model
        for (model,) in sql(
            "SELECT model FROM ir_model WHERE model IN %s",
            (wanted,),
            db=ctx.db,
        )
    }
    if not present:
        return
    with Server(ctx, ctx.db, workers=0, name=ctx.log_name("reports")) as server:
        web = WebSession(server.url, ctx.db, AGENT, PASSWORD)
        web.authenticate()
        context = {
            "lang": web.user_context.get("lang", "en_US"),
            "tz": web.user_context.get("tz") or "Europe/Oslo",
            "uid": web.uid,
            "allowed_company_ids": [1],
        }
        if TREND_MODEL in present:
            out["trend"] = trend_figure(ctx, server, web, context)
            log(
                f"trend: {out['trend']['ms']:.0f} ms, hand-written SQL "
                f"{out['trend']['sql_ms']:.0f} ms"
            )
        if XLSX_WIZARD in present:
            out["xlsx"] = xlsx_figure(ctx, server, web, context)
            theirs = out["xlsx"]["odoo_export"]
            log(
                f"xlsx: {out['xlsx']['seconds']:.1f} s, peak memory +"
                f"{out['xlsx']['peak_delta_mib']:.0f} MiB; Odoo's own export: "
                + (
                    f"{theirs['seconds']:.1f} s, +{theirs['peak_delta_mib']:.0f} MiB"
                    if "seconds" in theirs
                    else theirs.get("error", "no run")
                )
            )


def _period_bounds(date_from, date_to, tz):
    """As kunde.case.trend._period_bounds: UTC [before, start, end)."""
    from zoneinfo import ZoneInfo

    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    start = datetime.combine(date_from, datetime.min.time()) - offset
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time()) - offset
    return start - (end - start), start, end


def trend_figure(ctx, server, web, context):
    """Figure 5: the trend over all cases, against a hand-written GROUP BY."""
    args = ctx.args
    first = sql("SELECT min(date_received) FROM kunde_case", db=ctx.db)[0][0]
    date_from, date_to = first.date(), datetime.now(UTC).date()
    call = {
        "path": f"/web/dataset/call_kw/{TREND_MODEL}/action_open",
        "params": {
            "model": TREND_MODEL,
            "method": "action_open",
            "args": [date_from.isoformat(), date_to.isoformat()],
            "kwargs": {"context": context},
        },
    }
    out = series(server, web, [call], args.warmup, args.runs)
    out.pop("answer", None)
    rows, _ = web.call_kw(
        TREND_MODEL,
        "search_read",
        [[["create_uid", "=", web.uid]]],
        {"fields": ["count_now", "count_before"], "context": context},
    )
    before, start, end = _period_bounds(date_from, date_to, context["tz"])
    query = """
        SELECT category_id,
               count(*) FILTER (WHERE date_received >= %(start)s),
               count(*) FILTER (WHERE date_received < %(start)s)
        FROM kunde_case
        WHERE active AND company_id = 1
          AND date_received >= %(before)s AND date_received < %(end)s
        GROUP BY category_id
    """
    params = {"before": before, "start": start, "end": end}
    conn = psycopg2.connect(dbname=ctx.db)
    timings = []
    try:
        with conn.cursor() as cr:
            for index in range(args.warmup + args.runs):
                started = time.perf_counter()
                cr.execute(query, params)
                groups = cr.fetchall()
                if index >= args.warmup:
                    timings.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    out.update(
        period=f"{date_from} to {date_to}",
        sql_ms=statistics.median(timings),
        sql_runs_ms=[round(t, 1) for t in timings],
        rows=len(rows),
        cases=sum(r["count_now"] for r in rows),
        counts_agree=(
            sum(r["count_now"] for r in rows) == sum(g[1] for g in groups)
            and sum(r["count_before"] for r in rows) == sum(g[2] for g in groups)
            and len(rows) == len(groups)
        ),
    )
    return out


def xlsx_figure(ctx, server, web, context):
    """Figure 4: the XLSX workbook with its Cases sheet for ~100,000 cases."""
    args = ctx.args
    total = sql("SELECT count(*) FROM kunde_case WHERE active", db=ctx.db)[0][0]
    wanted = min(args.export_cases, total)
    newest_first = sql(
        "SELECT date_received FROM kunde_case WHERE active "
        "ORDER BY date_received DESC OFFSET %s LIMIT 1",
        (wanted - 1,),
        db=ctx.db,
    )
    date_to = datetime.now(UTC).date()
    date_from = (newest_first[0][0] + timedelta(days=1)).date()
    _before, start, end = _period_bounds(date_from, date_to, context["tz"])
    cases = sql(
        "SELECT count(*) FROM kunde_case WHERE active AND date_received >= %s "
        "AND date_received < %s",
        (start, end),
        db=ctx.db,
    )[0][0]
    process = psutil.Process(server.process.pid)
    runs = []
    wizard_id = None
    for index in range(1 + args.report_runs):
        wizard_id, _ = web.call_kw(
            XLSX_WIZARD,
            "create",
            [
                {
                    "date_from": date_from.isoformat(),
                    "date_to": date_to.isoformat(),
                    "include_cases": True,
                }
            ],
            {"context": context},
        )
        (_result, elapsed), peak, baseline = _with_peak_rss(
            process,
            lambda wizard_id=wizard_id: web.call_kw(
                XLSX_WIZARD, "action_generate", [[wizard_id]], {"context": context}
            ),
        )
        if index:  # the first run is the warm-up
            runs.append(
                {
                    "seconds": elapsed,
                    "peak_rss_mib": peak / 2**20,
                    "peak_delta_mib": (peak - baseline) / 2**20,
                }
            )
            delta = runs[-1]["peak_delta_mib"]
            log(f"xlsx run {index}: {elapsed:.1f} s, +{delta:.0f} MiB")
    (record,), _ = web.call_kw(
        XLSX_WIZARD,
        "read",
        [[wizard_id], ["file_data", "file_name"]],
        {"context": {**context, "bin_size": False}},
    )
    content = base64.b64decode(record["file_data"])
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheets = sorted(
            n for n in workbook.namelist() if n.startswith("xl/worksheets/")
        )
        sheet_rows = {name: workbook.read(name).count(b"<row ") for name in sheets}
    out = {
        "period": f"{date_from} to {date_to}",
        "cases": cases,
        "rows_in_largest_sheet": max(sheet_rows.values()) - 1 if sheet_rows else 0,
        "file_mib": len(content) / 2**20,
        "file_name": record["file_name"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in runs),
        "peak_delta_mib": statistics.median(r["peak_delta_mib"] for r in runs),
        "runs": [{k: round(v, 2) for k, v in run.items()} for run in runs],
    }
    log(
        f"xlsx: {out['seconds']:.1f} s, peak memory +{out['peak_delta_mib']:.0f} MiB; "
        "now Odoo's own list export of the same cases"
    )
    out["odoo_export"] = odoo_export_figure(ctx, server, web, context, start, end)
    return out


def _with_peak_rss(process, call):
    """``call()`` while the resident size of ``process`` is sampled every 20 ms.

    Returns (what call returned, peak RSS, RSS just before), sizes in bytes.
    """
    baseline = process.memory_info().rss
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], process.memory_info().rss)
            except psutil.Error:  # the server went away: the call will say so
                return
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = call()
    finally:
        done.set()
        sampler.join()
    return result, peak[0], baseline


# The Cases sheet's columns (kunde_crm/report/kunde_case_xlsx_cases.py, _sheet_cases),
# exported by Odoo's own list export for the comparison.
XLSX_CASE_FIELDS = [
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
    "invoice_ids",
]
ODOO_EXPORT_TIMEOUT = 600  # seconds: a slower run is recorded as such, not waited on


def _set_export_right(ctx, server, uid, allowed):
    """Give (or take back) ``base.group_allow_export``: the list's Export needs it."""
    admin = JsonRpc(server.url, ctx.db, "admin", ctx.args.admin_password)
    admin.authenticate()
    (_model, group_id), _ = admin.execute_kw(
        "ir.model.data", "check_object_reference", ["base", "group_allow_export"]
    )
    users, _ = admin.execute_kw(
        "res.users", "search", [[("id", "=", uid), ("groups_id", "in", group_id)]]
    )
    admin.execute_kw(
        "res.users", "write", [[uid], {"groups_id": [(4 if allowed else 3, group_id)]}]
    )
    return bool(users)


def odoo_export_figure(ctx, server, web, context, start, end):
    """Figure 4's yardstick: Odoo's own list export to XLSX, same cases and columns.

    What the web client sends for *Export* with every record of a list selected
    ("select all": ``ids`` false and the list's domain): a form POST to
    /web/export/xlsx with the session cookie and the page's CSRF token.
    """
    args = ctx.args
    names = XLSX_CASE_FIELDS
    described, _ = web.call_kw(
        "kunde.case",
        "fields_get",
        [names],
        {"attributes": ["string", "type", "store"], "context": context},
    )
    fields = [
        {
            "name": name,
            "label": described[name]["string"],
            "store": described[name].get("store", True),
            "type": described[name]["type"],
        }
        for name in names
        if name in described
    ]
    stamp = "%Y-%m-%d %H:%M:%S"  # the web client's datetimes in a domain: UTC
    domain = [
        ["date_received", ">=", start.strftime(stamp)],
        ["date_received", "<", end.strftime(stamp)],
    ]
    data = json.dumps(
        {
            "import_compat": False,
            "context": context,
            "domain": domain,
            "fields": fields,
            "groupby": [],
            "ids": False,
            "model": "kunde.case",
        }
    )
    expected = sql(
        "SELECT count(*) FROM kunde_case WHERE active AND date_received >= %s "
        "AND date_received < %s",
        (start, end),
        db=ctx.db,
    )[0][0]
    if "invoice_ids" in described:
        # an exported many2many gives one more line per further related record
        expected += sql(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
            "FROM kunde_case_account_move_rel r JOIN kunde_case c ON c.id = r.case_id "
            "WHERE c.active AND c.date_received >= %s AND c.date_received < %s "
            "GROUP BY r.case_id) per_case",
            (start, end),
            db=ctx.db,
        )[0][0]
    out = {
        "fields": [f["name"] for f in fields],
        "expected_rows": int(expected),
        "runs": [],
    }
    had_right = _set_export_right(ctx, server, web.uid, True)
    out["export_right_granted"] = not had_right
    process = psutil.Process(server.process.pid)
    offset = server.log_offset()
    content = b""
    try:
        # the page's token, fetched once as the web client does, not timed
        form = {"data": data, "csrf_token": web.csrf_token()}
        for index in range(1 + args.report_runs):
            started = time.perf_counter()
            try:
                (content, content_type, elapsed), peak, baseline = _with_peak_rss(
                    process,
                    lambda: web.download(
                        "/web/export/xlsx", form, timeout=ODOO_EXPORT_TIMEOUT
                    ),
                )
            except (OSError, http.client.HTTPException, RpcError) as error:
                waited = time.perf_counter() - started
                out["error"] = f"{type(error).__name__}: {error}"[:300]
                out["error_after_seconds"] = round(waited, 1)
                out["error_in_run"] = index  # 0 is the warm-up
                log(f"odoo export run {index}: failed after {waited:.0f} s: {error}")
                break
            if "spreadsheetml" not in content_type or not content.startswith(b"PK"):
                out["error"] = f"not an XLSX file: {content_type} {content[:100]!r}"
                break
            if index:  # the first run is the warm-up
                out["runs"].append(
                    {
                        "seconds": round(elapsed, 2),
                        "peak_rss_mib": round(peak / 2**20, 2),
                        "peak_delta_mib": round((peak - baseline) / 2**20, 2),
                    }
                )
            log(
                f"odoo export run {index}{' (warm-up)' if not index else ''}: "
                f"{elapsed:.1f} s, +{(peak - baseline) / 2**20:.0f} MiB"
            )
    finally:
        limits = _limit_lines(server, offset)
        if limits:
            out["server_limits"] = limits
            wait_for_server(server.url, timeout=300, process=server.process)
        if not had_right:
            _set_export_right(ctx, server, web.uid, False)
    if content and "error" not in out:
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            sheets = [n for n in workbook.namelist() if n.startswith("xl/worksheets/")]
            out["rows"] = sum(workbook.read(n).count(b"<row ") for n in sheets) - 1
        out["file_mib"] = len(content) / 2**20
        if out["rows"] != out["expected_rows"]:
            log(f"odoo export: {out['rows']} rows, {out['expected_rows']} expected")
    runs = out["runs"]
    if runs:
        for key in ("seconds", "peak_rss_mib", "peak_delta_mib"):
            out[key] = statistics.median(r[key] for r in runs)
    return out


def _limit_lines(server, offset):
    """Odoo's own limits (``limit_time_real``, memory) hit since ``offset``."""
    if not server.log_path.exists():
        return []
    with open(server.log_path, errors="replace") as handle:
        handle.seek(offset)
        return [
            line.strip().rstrip(".")[:300]
            for line in handle
            if "limit" in line and ("reached" in line or "exceeding" in line)
        ]
