"""Phase "intake": emails through message_process, to kunde_crm and to the peer."""

import random
import statistics
import time

import mailgen
from common import ALIAS_DOMAIN, KUNDE_ALIAS, PEER_ALIAS, PENDING, log
from rpc import JsonRpc, RpcError
from server import Server


def intake_phase(ctx, results):
    args = ctx.args
    rng = random.Random(args.seed)
    out = {"messages": args.intake_messages}
    with Server(ctx, ctx.db, workers=0, name=ctx.log_name("intake")) as server:
        admin = JsonRpc(server.url, ctx.db, "admin", ctx.args.admin_password)
        admin.keep_alive = True
        admin.authenticate()
        targets = {}
        team_fields, _ = admin.execute_kw(
            "kunde.team", "fields_get", [], {"attributes": ["type"]}
        )
        if "alias_name" in team_fields:
            team_ids, _ = admin.execute_kw(
                "kunde.team", "search", [[["name", "=", "Kundeservice"]]], {"limit": 1}
            )
            admin.execute_kw(
                "kunde.team", "write", [team_ids, {"alias_name": KUNDE_ALIAS}]
            )
            targets["kunde"] = ("kunde.case", f"{KUNDE_ALIAS}@{ALIAS_DOMAIN}")
        else:
            out["kunde"] = {"pending": PENDING + " (no mail alias on kunde.team)"}
        targets["peer"] = ("helpdesk.ticket", f"{PEER_ALIAS}@{ALIAS_DOMAIN}")
        partners, _ = admin.execute_kw(
            "res.partner",
            "search_read",
            [[["email", "!=", False], ["user_ids", "=", False]]],
            {"fields": ["name", "email"], "limit": 5000},
        )
        customers = mailgen.sample_customers(rng, partners)
        for name, (model, address) in targets.items():
            count_before = _count(admin, model)
            warm = mailgen.make_batch(rng, 20, address, customers, f"{name}-warm")
            for raw in warm:
                admin.execute_kw("mail.thread", "message_process", [False, raw])
            out[name] = {"runs": [], "address": address, "model": model}
            out[name]["_before"] = count_before
        for run in range(1, args.intake_runs + 1):
            for name, (_model, address) in targets.items():
                batch = mailgen.make_batch(
                    rng, args.intake_messages, address, customers, f"{name}-{run}"
                )
                offset = server.log_offset()
                timings = []
                failures = 0
                for raw in batch:
                    try:
                        _result, elapsed = admin.execute_kw(
                            "mail.thread", "message_process", [False, raw]
                        )
                    except RpcError:
                        failures += 1
                        continue
                    timings.append(elapsed)
                perf = server.requests_since(offset, "/jsonrpc", len(batch))
                total = sum(timings)
                out[name]["runs"].append(
                    {
                        "per_second": len(timings) / total if total else 0.0,
                        "p50_ms": statistics.median(timings) * 1000,
                        "queries_per_message": statistics.median(
                            p["queries"] for p in perf
                        )
                        if perf
                        else None,
                        "failures": failures,
                    }
                )
                log(
                    f"intake {name} run {run}: {len(timings) / total:.1f} msg/s, "
                    f"{failures} failures"
                )
        for name, (model, _address) in targets.items():
            created = _count(admin, model) - out[name].pop("_before")
            runs = out[name]["runs"]
            out[name].update(
                per_second=statistics.median(r["per_second"] for r in runs),
                p50_ms=statistics.median(r["p50_ms"] for r in runs),
                queries_per_message=statistics.median(
                    r["queries_per_message"] or 0 for r in runs
                ),
                failures=sum(r["failures"] for r in runs),
                records_created=created,
                messages_sent=20 + args.intake_messages * args.intake_runs,
            )
        if "kunde" in targets:
            out["kunde"]["acknowledgements"] = acknowledgement_job(admin)
    results["intake"] = out


def acknowledgement_job(admin):
    """kunde_crm acknowledges new cases in a scheduled action, woken by each new
    case (the bench server runs no scheduler, so the cases wait). Run it now,
    as the scheduler would, until nothing waits: acknowledgements per second."""
    pending_domain = [["ack_pending", "=", True]]
    context = {"active_test": False}
    waiting, _ = admin.execute_kw(
        "kunde.case", "search_count", [pending_domain], {"context": context}
    )
    (_model, job_id), _ = admin.execute_kw(
        "ir.model.data",
        "check_object_reference",
        ["kunde_crm", "ir_cron_kunde_acknowledgements"],
    )
    started, rounds, left = time.perf_counter(), 0, waiting
    while left and rounds < 1000:
        admin.execute_kw("ir.cron", "method_direct_trigger", [[job_id]])
        left, _ = admin.execute_kw(
            "kunde.case", "search_count", [pending_domain], {"context": context}
        )
        rounds += 1
    seconds = time.perf_counter() - started
    log(f"acknowledgement job: {waiting} cases in {seconds:.1f} s, {left} left")
    return {
        "cases": waiting,
        "left": left,
        "seconds": seconds,
        "per_second": waiting / seconds if seconds else 0.0,
    }


def _count(client, model):
    count, _ = client.execute_kw(
        model, "search_count", [[]], {"context": {"active_test": False}}
    )
    return count
