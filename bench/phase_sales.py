"""Phase "sales": the bridges to CRM and Email Marketing at the bench's size.

The bridges (``kunde_crm_crm``, ``kunde_crm_mass_mailing``, with ``crm`` and
``mass_mailing``) are installed on the working copy first. Then the bench
agent, who has no sales rights, sends 200 open cases to Sales through the
*Send to Sales* wizard over JSON-RPC (the wait per send, and leads per
second), and, given the
Email Marketing user group, adds the customers of every case it may read,
one case per customer (about 20,000 customers), to a new mailing list in one
wizard call (seconds: the request a user waits for).
"""

import statistics
import time

from common import AGENT, PASSWORD, REPO, log
from databases import sql
from rpc import JsonRpc
from server import Server

BRIDGES = ("kunde_crm_crm", "kunde_crm_mass_mailing")
LEADS = 200


def sales_phase(ctx, results):
    bridges = [name for name in BRIDGES if (REPO / name / "__manifest__.py").exists()]
    if not bridges:
        return
    out = results.setdefault("sales", {})
    started = time.time()
    ctx.odoo(ctx.db, "-i", ",".join(bridges), log_name=ctx.log_name("install-bridges"))
    out["install_seconds"] = round(time.time() - started)
    log(f"bridges {', '.join(bridges)} installed in {out['install_seconds']} s")
    with Server(ctx, ctx.db, workers=0, name=ctx.log_name("sales")) as server:
        admin = JsonRpc(server.url, ctx.db, "admin", ctx.args.admin_password)
        admin.keep_alive = True
        admin.authenticate()
        agent = JsonRpc(server.url, ctx.db, AGENT, PASSWORD)
        agent.keep_alive = True
        agent.authenticate()
        if "kunde_crm_crm" in bridges:
            out["leads"] = lead_figure(admin, agent)
            leads = out["leads"]
            log(
                f"send to sales: {leads['leads']} leads in {leads['seconds']:.1f} s "
                f"({leads['per_second']:.1f}/s, p50 {leads['p50_ms']:.0f} ms)"
            )
        if "kunde_crm_mass_mailing" in bridges:
            out["segment"] = segment_figure(ctx, admin, agent)
            segment = out["segment"]
            log(
                f"segment: {segment['customers']:,} customers to a new list in "
                f"{segment['seconds']:.1f} s (added {segment['added']:,}, skipped "
                f"{segment['skipped']:,})"
            )


def lead_figure(admin, agent):
    (team,), _ = admin.execute_kw("crm.team", "search", [[]], {"limit": 1})
    cases, _ = agent.execute_kw(
        "kunde.case",
        "search",
        [[["is_closed", "=", False], ["partner_id", "!=", False]]],
        {"limit": LEADS, "order": "id"},
    )
    timings = []
    started = time.perf_counter()
    for case_id in cases:
        t0 = time.perf_counter()
        wizard_id, _ = agent.execute_kw(
            "kunde.case.sales.wizard",
            "create",
            [{"case_id": case_id, "team_id": team, "user_id": admin.uid}],
        )
        agent.execute_kw("kunde.case.sales.wizard", "action_send", [[wizard_id]])
        timings.append((time.perf_counter() - t0) * 1000)
    seconds = time.perf_counter() - started
    made, _ = admin.execute_kw(
        "crm.lead", "search_count", [[["kunde_case_id", "in", cases]]]
    )
    return {
        "leads": made,
        "cases": len(cases),
        "seconds": seconds,
        "per_second": len(cases) / seconds,
        "p50_ms": statistics.median(timings),
        "p95_ms": sorted(timings)[int(len(timings) * 0.95)],
    }


def segment_figure(ctx, admin, agent):
    (group,), _ = admin.execute_kw(
        "ir.model.data",
        "search_read",
        [[["module", "=", "mass_mailing"], ["name", "=", "group_mass_mailing_user"]]],
        {"fields": ["res_id"]},
    )
    admin.execute_kw(
        "res.users", "write", [[agent.uid], {"groups_id": [(4, group["res_id"])]}]
    )
    # One case per customer (each contact that wrote), among the cases the
    # agent may read.
    groups, _ = agent.execute_kw(
        "kunde.case",
        "read_group",
        [[["partner_id", "!=", False]], ["id:min"], ["partner_id"]],
        {"lazy": False},
    )
    case_ids = [g["id"] for g in groups]
    blacklisted = sql("SELECT count(*) FROM mail_blacklist WHERE active", db=ctx.db)[0][
        0
    ]
    wizard_id, _ = agent.execute_kw(
        "kunde.case.mailing.wizard",
        "create",
        [
            {
                "source": "cases",
                "case_ids": [(6, 0, case_ids)],
                "new_list_name": "Bench: every customer",
            }
        ],
    )
    started = time.perf_counter()
    agent.execute_kw("kunde.case.mailing.wizard", "action_add_to_list", [[wizard_id]])
    seconds = time.perf_counter() - started
    (counts,), _ = agent.execute_kw(
        "kunde.case.mailing.wizard",
        "read",
        [[wizard_id]],
        {
            "fields": [
                "count_added",
                "count_existing",
                "count_blacklisted",
                "count_opted_out",
                "count_no_email",
                "count_open",
            ]
        },
    )
    skipped = sum(
        counts[name]
        for name in ("count_blacklisted", "count_opted_out", "count_no_email")
    )
    return {
        "customers": len(case_ids),
        "seconds": seconds,
        "added": counts["count_added"],
        "existing": counts["count_existing"],
        "skipped": skipped,
        "counts": {k: v for k, v in counts.items() if k != "id"},
        "blacklist_rows": blacklisted,
    }
