"""Phase "take_next": 16 agents taking cases at once from a --workers server."""

import statistics
import threading
import time

import psutil
from common import LOG_LINE, PASSWORD, log
from databases import clone_db, drop_db, settle_disk, sql
from rpc import JsonRpc, RpcError
from server import Server


def queue_snapshot(db, user_ids):
    """{team_id: [case ids in queue order]} for the teams of ``user_ids``."""
    rows = sql(
        """
        SELECT c.id, c.team_id FROM kunde_case c
        WHERE c.user_id IS NULL AND NOT COALESCE(c.is_closed, false) AND c.active
          AND c.team_id IN (SELECT team_id FROM kunde_team_member_rel
                            WHERE user_id = ANY(%s))
        ORDER BY c.priority DESC, c.date_received, c.id
        """,
        (user_ids,),
        db=db,
    )
    queues = {}
    for case_id, team_id in rows:
        queues.setdefault(team_id, []).append(case_id)
    return queues


def take_next_run(ctx, run, takes_wanted):
    args = ctx.args
    take_db = ctx.take_db
    clone_db(ctx, ctx.db, take_db)
    settle_disk()
    logins = [f"agent{i:02d}" for i in range(1, args.clients + 1)]
    user_ids = [
        uid
        for (uid,) in sql(
            "SELECT id FROM res_users WHERE login = ANY(%s) ORDER BY login",
            (logins,),
            db=take_db,
        )
    ]
    before = queue_snapshot(take_db, user_ids)
    reachable = sum(len(q) for q in before.values())
    takes = min(takes_wanted, int(reachable * 0.8))
    with Server(
        ctx, take_db, workers=args.take_workers, name=ctx.log_name(f"takenext-{run}")
    ) as server:
        clients = [JsonRpc(server.url, take_db, login, PASSWORD) for login in logins]
        _parallel([c.authenticate for c in clients])
        # Warm-up: every worker checks every password once (600,000 rounds of
        # PBKDF2, then cached per worker), and each client takes two cases.
        _parallel(
            [
                lambda c=c: [
                    c.execute_kw("kunde.case", "search_count", [[["id", "=", 0]]])
                    for _ in range(args.take_warmup_calls)
                ]
                for c in clients
            ]
        )
        warm = []
        _parallel(
            [
                lambda c=c: [warm.append((c.uid, _take(c)[0])) for _ in range(2)]
                for c in clients
            ]
        )
        remaining = [takes]
        lock = threading.Lock()
        barrier = threading.Barrier(len(clients))
        records, errors, empty = [], [], []

        def worker(client):
            barrier.wait()
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    case_id, _elapsed = _take(client)
                except RpcError as error:
                    errors.append(str(error))
                    with lock:
                        remaining[0] += 1
                    if len(errors) > 50:
                        return
                    continue
                ended = time.perf_counter()
                if case_id is None:
                    empty.append(client.uid)
                    return
                records.append((client.uid, case_id, started, ended))

        cpu_before = psutil.cpu_times()
        _parallel([lambda c=c: worker(c) for c in clients])
        cpu_after = psutil.cpu_times()
        busy = sum(
            getattr(cpu_after, f) - getattr(cpu_before, f)
            for f in ("user", "system", "nice", "irq", "softirq")
            if hasattr(cpu_after, f)
        )
    # Verify in the database what the clients were told.
    given = [(uid, case) for uid, case in warm if case] + [
        (uid, case) for uid, case, _s, _e in records
    ]
    returned = [case for _uid, case in given]
    duplicates = len(returned) - len(set(returned))
    assigned = dict(
        sql(
            "SELECT id, user_id FROM kunde_case WHERE id = ANY(%s)",
            ([c for q in before.values() for c in q],),
            db=take_db,
        )
    )
    wrong_owner = sum(1 for uid, case in given if assigned.get(case) != uid)
    taken_in_db = {case for case, user in assigned.items() if user}
    unreported = len(taken_in_db - set(returned))
    skipped = 0
    for queue in before.values():
        last = max(
            (i for i, case in enumerate(queue) if case in taken_in_db), default=-1
        )
        skipped += sum(1 for case in queue[: last + 1] if case not in taken_in_db)
    if records:
        wall = max(r[3] for r in records) - min(r[2] for r in records)
        latencies = sorted((r[3] - r[2]) * 1000 for r in records)
    else:
        wall, latencies = float("inf"), [0.0]
    out = {
        "takes": len(records),
        "takes_wanted": takes,
        "reachable_queue": reachable,
        "seconds": round(wall, 2),
        "per_second": len(records) / wall if wall else 0.0,
        "latency_p50_ms": latencies[len(latencies) // 2],
        "latency_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
        "duplicates": duplicates,
        "wrong_owner": wrong_owner,
        "unreported": unreported,
        "skipped": skipped,
        "errors": len(errors),
        "error_samples": errors[:3],
        "queue_ran_dry": len(empty),
        "cpu_ms_per_take": busy * 1000 / len(records) if records else None,
        # the server's exit checked it (WorkerWatch), or the bench stopped
        "workers_respawned": 0,
    }
    out.update(take_log_stats(server.log_path))
    drop_db(ctx, take_db)
    return out


def take_log_stats(log_path):
    """From a take-next server log: retried serialization failures, and the
    median cost of one take on the server (requests of 15 queries or more; the
    warm-up's cheap calls make fewer)."""
    failures, takes = 0, []
    with open(log_path, errors="replace") as handle:
        for line in handle:
            if "could not serialize access" in line:
                failures += 1
            match = LOG_LINE.search(line)
            if match and match["path"] == "/jsonrpc" and int(match["queries"]) >= 15:
                takes.append(
                    (int(match["queries"]), float(match["sql"]), float(match["other"]))
                )
    if not takes:
        return {"serialization_failures": failures}
    return {
        "serialization_failures": failures,
        "server_queries_per_take": statistics.median(t[0] for t in takes),
        "server_sql_ms_per_take": statistics.median(t[1] for t in takes) * 1000,
        "server_other_ms_per_take": statistics.median(t[2] for t in takes) * 1000,
    }


def _take(client):
    """One take-next as an integrator calls it; (case id or None, seconds)."""
    result, elapsed = client.execute_kw("kunde.case", "action_take_next", [[]])
    if result.get("type") == "ir.actions.act_window" and result.get("res_id"):
        return result["res_id"], elapsed
    return None, elapsed


def _parallel(functions):
    failures = []

    def guard(function):
        try:
            function()
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=guard, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def take_next_phase(ctx, results):
    args = ctx.args
    runs = []
    for run in range(1, args.take_runs + 1):
        out = take_next_run(ctx, run, args.takes)
        log(
            f"take-next run {run}: {out['takes']} takes in {out['seconds']} s = "
            f"{out['per_second']:.0f}/s, duplicates {out['duplicates']}, "
            f"skipped {out['skipped']}, errors {out['errors']}"
        )
        runs.append(out)
    results["take_next"] = {
        "runs": runs,
        "per_second": statistics.median(r["per_second"] for r in runs),
        "latency_p50_ms": statistics.median(r["latency_p50_ms"] for r in runs),
        "latency_p95_ms": statistics.median(r["latency_p95_ms"] for r in runs),
        "takes": runs[0]["takes_wanted"],
        "reachable_queue": runs[0]["reachable_queue"],
        "duplicates": sum(r["duplicates"] + r["wrong_owner"] for r in runs),
        "skipped": sum(r["skipped"] for r in runs),
        "unreported": sum(r["unreported"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "queue_ran_dry": sum(r["queue_ran_dry"] for r in runs),
        "clients": args.clients,
        "workers": args.take_workers,
    }
    _take_summary(results["take_next"])


def _take_summary(take):
    runs = take["runs"]
    take["serialization_failures"] = sum(
        r.get("serialization_failures", 0) for r in runs
    )
    for key in (
        "server_queries_per_take",
        "server_sql_ms_per_take",
        "server_other_ms_per_take",
        "cpu_ms_per_take",
    ):
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            take[key] = statistics.median(values)
