"""Phase "loyalty": satisfaction ratings and customer health at the bench's size.

Ratings: the history is seeded (a third of the closed cases rated, SQL), then
the survey job runs over 1,000 freshly closed cases, customers rate 100 of
them through the survey page (GET the faces, POST the choice), and the
Satisfaction pivot is read. Health: the nightly job over every customer, then
the customer 360 of 1, 10 and 80 customers as the partner list reads it.
"""

import http.client
import json
import re
import statistics
import time
from urllib.parse import urlencode, urlsplit

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
    log(f"loyalty: {ratings['ratings']:,} ratings on closed cases (SQL, seeded)")
    requests = inproc(ctx, "rating_requests", cases=1000, tokens=100)
    if requests:
        tokens = requests.pop("tokens")
        out["rating_requests"] = requests
        log(
            f"survey job: {requests['cases']:,} closed cases in "
            f"{requests['seconds']:.1f} s ({requests['per_second']:.0f}/s), "
            f"{requests['surveys']:,} surveys sent"
        )
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
        if requests and tokens:
            out["rating_page"] = rate_through_page(server.url, tokens, ctx.db)
            page = out["rating_page"]
            log(
                f"survey page: {page['rated']} ratings, GET p50 "
                f"{page['get_p50_ms']:.0f} ms, POST p50 {page['post_p50_ms']:.0f} ms; "
                f"GETs that recorded a rating: {page['recorded_by_get']}"
            )
        out["satisfaction_pivot"] = satisfaction_pivot(server, web, context, ctx)
        log(f"satisfaction pivot: {out['satisfaction_pivot']['ms']:.0f} ms")
        spec = {
            k: v for k, v in HEALTH_SPEC.items() if k in fields or k == "display_name"
        }
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


def _consumed(db, tokens):
    return sql(
        "SELECT count(*) FROM rating_rating WHERE consumed AND access_token IN %s",
        (tuple(tokens),),
        db=db,
    )[0][0]


def rate_through_page(url, tokens, db):
    """Customers rate through the survey page: GET the faces (a link scanner
    stops here), then POST the choice with the page's CSRF token.

    First a scanner opens every link: no rating may be recorded by it.
    """
    parts = urlsplit(url)
    for token in tokens:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("GET", f"/kunde/rate/{token}/1")
        conn.getresponse().read()
        conn.close()
    recorded_by_get = _consumed(db, tokens)
    gets, posts, rated = [], [], 0
    for index, token in enumerate(tokens):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        rate = (5, 5, 3, 1)[index % 4]
        started = time.perf_counter()
        conn.request("GET", f"/kunde/rate/{token}/{rate}")
        response = conn.getresponse()
        html = response.read().decode()
        gets.append((time.perf_counter() - started) * 1000)
        cookie = "; ".join(
            header.split(";", 1)[0]
            for header in response.msg.get_all("Set-Cookie") or []
        )
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        if response.status != 200 or not match:
            conn.close()
            continue
        body = urlencode(
            {"csrf_token": match.group(1), "rate": rate, "feedback": "Takk for hjelpen"}
        )
        started = time.perf_counter()
        conn.request(
            "POST",
            f"/kunde/rate/{token}/submit",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
            },
        )
        answer = conn.getresponse()
        answer.read()
        posts.append((time.perf_counter() - started) * 1000)
        rated += answer.status == 200
        conn.close()
    return {
        "tokens": len(tokens),
        "rated": rated,
        "consumed_after": _consumed(db, tokens),
        "recorded_by_get": recorded_by_get,
        "get_p50_ms": statistics.median(gets) if gets else None,
        "post_p50_ms": statistics.median(posts) if posts else None,
        "post_p95_ms": sorted(posts)[int(len(posts) * 0.95)] if posts else None,
    }


def satisfaction_pivot(server, web, context, ctx):
    """Case Analysis > Satisfaction: % of 5s, average and ratings by team and
    month over every case the bench agent may read (``web_read_group``)."""
    call = {
        "path": "/web/dataset/call_kw/kunde.case/web_read_group",
        "model": "kunde.case",
        "method": "web_read_group",
        "params": {
            "model": "kunde.case",
            "method": "web_read_group",
            "args": [],
            "kwargs": {
                "domain": [["csat_rated", "=", 1]],
                "fields": [
                    "csat_satisfied:avg",
                    "csat_rating:avg",
                    "csat_rated:sum",
                ],
                "groupby": ["team_id", "csat_rated_on:month"],
                "lazy": False,
                "context": context,
            },
        },
    }
    figure = series(server, web, [call], ctx.args.warmup, ctx.args.runs)
    answer = figure.pop("answer", None) or {}
    figure["groups"] = answer.get("length")
    return figure
