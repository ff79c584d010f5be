"""Phase "loyalty": satisfaction ratings and customer health at the bench's size."""

import json

from common import AGENT, PASSWORD, WORK, log
from databases import sql
from phase_latency import series, web_read_call
from rpc import WebSession
from server import Server

# The customer 360 of the partner form and list (kunde_crm/models/res_partner_health.py)
HEALTH_SPEC = {
    "display_name": {},
    "kunde_health": {},
    "kunde_health_reasons": {},
    "kunde_satisfaction_avg": {},
    "kunde_stat_categories": {},
    "kunde_invoiced_12m": {},
    "kunde_overdue_amount": {},
    "kunde_overdue_count": {},
    "kunde_days_since_contact": {},
    "kunde_first_case_date": {},
    "kunde_last_case_date": {},
}


def loyalty_phase(ctx, results):
    out = results.setdefault("loyalty", {})
    fields = {
        name
        for (name,) in sql(
            "SELECT name FROM ir_model_fields WHERE model = 'res.partner' "
            "AND name LIKE 'kunde%%'",
            db=ctx.db,
        )
    }
    if "kunde_health" not in fields:
        return
    ratings = seed_ratings(ctx)
    out["ratings_seeded"] = ratings
    log(f"loyalty: {ratings['ratings']:,} ratings on closed cases (SQL, for the figures)")
    night = inproc(ctx, "health_nightly")
    out["health_nightly"] = night
    log(
        f"health, nightly job: {night['partners']:,} customers in "
        f"{night['seconds']:.1f} s ({night['per_second']:.0f}/s), "
        f"{night['batches']} batches"
    )
    with Server(ctx, ctx.db, workers=0, name=ctx.log_name("loyalty")) as server:
        web = WebSession(server.url, ctx.db, AGENT, PASSWORD)
        web.authenticate()
        context = {
            "lang": web.user_context.get("lang", "en_US"),
            "tz": web.user_context.get("tz") or "Europe/Oslo",
            "uid": web.uid,
            "allowed_company_ids": [1],
        }
        partner_ids, _ = web.call_kw(
            "res.partner",
            "search",
            [[["is_company", "=", True]]],
            {"limit": 80, "context": context},
        )
        spec = {k: v for k, v in HEALTH_SPEC.items() if k in fields or k == "display_name"}
        for n in (1, 10, 80):
            call = web_read_call("res.partner", partner_ids[:n], spec, context)
            figure = series(server, web, [call], ctx.args.warmup, ctx.args.runs)
            answer = figure.pop("answer", None) or []
            if n == 80:
                figure["spread"] = _count_by(answer, "kunde_health")
            out[f"health_{n}"] = figure
            log(
                f"health figures, {n} customers: {figure['ms']:.1f} ms, "
                f"{figure.get('queries', 0):.0f} queries"
            )


def _count_by(rows, key):
    counts = {}
    for row in rows:
        counts[str(row.get(key))] = counts.get(str(row.get(key)), 0) + 1
    return counts


def inproc(ctx, name, **options):
    out_file = WORK / ctx.log_name(f"inproc-{name}.json")
    ctx.run_python(
        "inproc.py",
        "--conf",
        str(ctx.conf),
        "--db",
        ctx.db,
        "--figure",
        name,
        "--options",
        json.dumps(options),
        "--out",
        str(out_file),
        log_name=ctx.log_name(f"inproc-{name}"),
    )
    return json.loads(out_file.read_text())


def seed_ratings(ctx):
    """Ratings on about a third of the closed cases, as customers would have
    given them: the history the satisfaction figures and the health read."""
    return inproc(ctx, "seed_ratings")
