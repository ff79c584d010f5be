"""Phase "latency": the web client's own requests replayed (queue, board, buttons)."""

import json
import statistics

import capture
from common import AGENT, PASSWORD, WORK, log
from databases import sql
from rpc import WebSession
from server import Server

PAGES = {
    "queue": (
        "/odoo/action-kunde_crm.kunde_case_action_my_queue",
        [("kunde.case", "web_search_read")],
    ),
    "board": (
        "/odoo/action-kunde_crm.kunde_case_action",
        [("kunde.case", "web_read_group"), ("kunde.case", "read_progress_bar")],
    ),
    "peer_list": (
        "/odoo/action-helpdesk_mgmt.helpdesk_ticket_action",
        [("helpdesk.ticket", "web_search_read")],
    ),
    "peer_board": (
        "/odoo/action-helpdesk_mgmt.helpdesk_ticket_action?view_type=kanban",
        [
            ("helpdesk.ticket", "web_read_group"),
            ("helpdesk.ticket", "read_progress_bar"),
        ],
    ),
}
DATA_CALLS = {"web_search_read", "web_read_group", "read_progress_bar", "web_read"}
# What the growth database is measured on (kunde_crm only).
GROWTH_FIGURES = ("queue", "board", "buttons_1", "buttons_10", "buttons_80")
# RESULTS.md's "Where the time goes": (label, figure)
EXPLAINED = (
    ("queue page", "queue"),
    ("peer: queue-equivalent list", "peer_queue"),
    ("board (open cases)", "board"),
    ("board (all cases)", "board_all"),
    ("peer: board (all tickets)", "peer_board"),
    ("smart buttons, 80 customers", "buttons_80"),
    ("peer: ticket counts, 80 customers", "peer_buttons_80"),
)


def series(server, session, calls, warmup, runs):
    """Send ``calls`` (captured requests) warmup + runs times, sequentially.

    Returns client-side ms per run (sum over the calls) and, for a single call,
    the server's query count and SQL / other time per request from its log.
    """
    for _ in range(warmup):
        for call in calls:
            session.replay(call)
    offset = server.log_offset()
    timings, answers = [], None
    for _ in range(runs):
        total = 0.0
        answers = []
        for call in calls:
            result, elapsed = session.replay(call)
            total += elapsed
            answers.append(result)
        timings.append(total * 1000)
    out = {
        "ms": statistics.median(timings),
        "min_ms": min(timings),
        "max_ms": max(timings),
        "runs_ms": [round(t, 1) for t in timings],
    }
    if len(calls) == 1:
        perf = server.requests_since(offset, calls[0]["path"], runs)[-runs:]
        if perf:
            out["queries"] = statistics.median(p["queries"] for p in perf)
            out["sql_ms"] = statistics.median(p["sql_ms"] for p in perf)
            out["other_ms"] = statistics.median(p["other_ms"] for p in perf)
    out["answer"] = answers[0] if len(calls) == 1 else None
    return out


def with_domain(call, domain):
    call = json.loads(json.dumps(call))
    call["params"]["kwargs"]["domain"] = domain
    return call


def web_read_call(model, ids, spec, context):
    return {
        "path": f"/web/dataset/call_kw/{model}/web_read",
        "model": model,
        "method": "web_read",
        "params": {
            "model": model,
            "method": "web_read",
            "args": [ids],
            "kwargs": {"specification": spec, "context": context},
        },
    }


def latency_phase(ctx, results, only=None):
    """The latency figures (all of them, or the names in ``only``) on ``ctx.db``."""
    args = ctx.args
    db = ctx.db
    out = results.setdefault("latency", {})
    with Server(ctx, db, workers=0, name=ctx.log_name("latency")) as server:
        web = WebSession(server.url, db, AGENT, PASSWORD)
        web.authenticate()
        if ctx.captured is None:
            log("capturing the web client's RPCs with headless Chromium")
            ctx.captured = capture.capture(server.url, web.session_id, PAGES)
            (WORK / "captured.json").write_text(json.dumps(ctx.captured, indent=1))
        else:
            log("replaying the web client's RPCs captured earlier in this run")
        figures, spec, context = _figures(web, ctx.captured)
        if only:
            figures = {name: figures[name] for name in only}
        # Interleave kunde_crm and the peer figure by figure.
        for name, calls in figures.items():
            figure = series(server, web, calls, args.warmup, args.runs)
            log(
                f"{name}: median {figure['ms']:.1f} ms"
                + (f", {figure['queries']:.0f} queries" if "queries" in figure else "")
            )
            out[name] = figure
        _facts(out)
        if "buttons_80" in figures:
            _check_buttons(db, out["buttons_80"], figures["buttons_80"][0])
        if not only:
            results["spec"] = spec
        uid = web.uid
        explain_calls = [
            _explain_call(label, figures[name][0], uid)
            for label, name in EXPLAINED
            if name in figures
        ]
        # One take-next, to see where its time goes. kunde_crm takes the case in
        # a transaction of its own, which commits: one case of the working copy
        # gets assigned (the take-next runs snapshot their queue afterwards).
        explain_calls.append(
            {
                "label": "take next (one call)",
                "uid": uid,
                "model": "kunde.case",
                "method": "action_take_next",
                "args": [[]],
                "kwargs": {"context": context},
            }
        )
    log("EXPLAIN ANALYZE of the slowest queries")
    calls_file = WORK / ctx.log_name("explain-in.json")
    out_file = WORK / ctx.log_name("explain-out.json")
    calls_file.write_text(json.dumps(explain_calls))
    ctx.run_python(
        "explain.py",
        "--conf",
        str(ctx.conf),
        "--db",
        db,
        "--calls",
        str(calls_file),
        "--out",
        str(out_file),
        log_name=ctx.log_name("explain"),
    )
    results["explain"] = json.loads(out_file.read_text())


def _figures(web, pages):
    """{figure: [calls]} from the captured pages; the replayed specs; a context."""
    data = {
        name: [c for c in calls if c["method"] in DATA_CALLS]
        for name, calls in pages.items()
    }

    def one(name, method):
        return next(c for c in data[name] if c["method"] == method)

    queue = one("queue", "web_search_read")
    peer_list = one("peer_list", "web_search_read")
    peer_queue = with_domain(
        peer_list,
        [
            "&",
            "&",
            ["stage_id.closed", "=", False],
            ["user_id", "=", False],
            ["team_id.user_ids", "in", web.uid],
        ],
    )
    board = one("board", "web_read_group")
    peer_board = one("peer_board", "web_read_group")
    figures = {
        "queue": [queue],
        "peer_queue": [peer_queue],
        "peer_list": [peer_list],
        "board": [board],
        "board_all": [with_domain(board, [])],
        "peer_board": [peer_board],
        "peer_board_open": [with_domain(peer_board, [["stage_id.closed", "=", False]])],
        "board_full": data["board"],
        "peer_board_full": data["peer_board"],
    }
    # Smart buttons: the first page of customers (companies, default order).
    context = queue["params"]["kwargs"]["context"]
    context = {k: context[k] for k in ("lang", "tz", "uid", "allowed_company_ids")}
    partner_ids, _ = web.call_kw(
        "res.partner",
        "search",
        [[["is_company", "=", True]]],
        {"limit": 80, "context": context},
    )
    kunde_spec = {"kunde_case_open_count": {}, "kunde_case_count": {}}
    peer_spec = {
        "helpdesk_ticket_active_count": {},
        "helpdesk_ticket_count": {},
        "helpdesk_ticket_count_string": {},
    }
    for n in (1, 10, 80):
        ids = partner_ids[:n]
        figures[f"buttons_{n}"] = [
            web_read_call("res.partner", ids, kunde_spec, context)
        ]
        figures[f"peer_buttons_{n}"] = [
            web_read_call("res.partner", ids, peer_spec, context)
        ]
    spec = {
        "queue": queue["params"]["kwargs"],
        "board": board["params"]["kwargs"],
        "peer_list": peer_list["params"]["kwargs"],
        "peer_board": peer_board["params"]["kwargs"],
    }
    return figures, spec, context


def _facts(latency):
    """Facts about the answers, for the report; then the answers go."""
    for name in ("queue", "peer_queue", "peer_list"):
        if name in latency:
            latency[name]["length"] = latency[name]["answer"]["length"]
    for name in ("board", "board_all", "peer_board", "peer_board_open"):
        if name in latency:
            groups = latency[name]["answer"]["groups"]
            latency[name]["groups"] = {
                str(g["stage_id"][1] if g["stage_id"] else "-"): g.get(
                    "stage_id_count", g.get("__count")
                )
                for g in groups
            }
    if "buttons_80" in latency:
        kunde_counts = latency["buttons_80"]["answer"]
        latency["buttons_80"]["cases_of_these_customers"] = sum(
            k["kunde_case_count"] for k in kunde_counts
        )
        latency["buttons_80"]["open_cases_of_these_customers"] = sum(
            k["kunde_case_open_count"] for k in kunde_counts
        )
        if "peer_buttons_80" in latency:
            peer_counts = latency["peer_buttons_80"]["answer"]
            latency["buttons_80"]["counts_agree_with_peer"] = all(
                k["kunde_case_count"] == p["helpdesk_ticket_count"]
                and k["kunde_case_open_count"] == p["helpdesk_ticket_active_count"]
                for k, p in zip(kunde_counts, peer_counts, strict=True)
            )
    for figure in latency.values():
        figure.pop("answer", None)


def _check_buttons(db, figure, call):
    """The smart buttons' answer against a count in plain SQL (the bench agent
    reads every case): the counts come from a tally the triggers keep."""
    ids = call["params"]["args"][0]
    (live,) = sql(
        "SELECT count(*), count(*) FILTER (WHERE is_closed IS NOT TRUE)"
        " FROM kunde_case WHERE active AND commercial_partner_id = ANY(%s)",
        (ids,),
        db=db,
    )
    figure["counts_agree_with_sql"] = live == (
        figure["cases_of_these_customers"],
        figure["open_cases_of_these_customers"],
    )


def _explain_call(label, call, uid):
    params = call["params"]
    return {
        "label": label,
        "uid": uid,
        "model": params["model"],
        "method": params["method"],
        "args": params["args"],
        "kwargs": params["kwargs"],
    }
