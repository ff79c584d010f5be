"""make bench: kunde_crm at scale, side by side with OCA's helpdesk_mgmt (entry point).

Called by ``scripts/kunde.sh bench`` after the same set-up as ``make test``
(PostgreSQL, Odoo 18 source, virtualenv, base template).  What each figure
measures and how: bench/README.md.  Writes bench/RESULTS.md.

Steps, and the module that owns each:

1. helpdesk_mgmt (and the OCA modules its manifest needs) from PyPI into a
   bench-only addons path, kunde_crm's snapshot, odoo.conf (prepare.py);
2. the bench template ``kunde_crm_bench_tmpl_<cases>_<key>`` (base template +
   kunde_crm + helpdesk_mgmt + generate.py's data), built once and reused
   while the generator, the size and the peer's version stay the same, and a
   fresh working copy updated to the current kunde_crm (databases.py);
3. latency figures against ``odoo-bin --workers=0``, the web client's captured
   requests replayed (phase_latency.py; servers: server.py);
4. the XLSX export and the trend report, when kunde_crm has them
   (phase_reports.py);
5. take-next under contention against ``--workers=4``, each run on a fresh
   copy (phase_take_next.py);
6. email intake through ``message_process`` (phase_intake.py);
7. with ``--growth``: the growth template (``--growth-factor`` times the cases,
   the same open load; grow.py), queue, board, take-next, trend and smart
   buttons again on a copy of it (phase_growth.py);
8. RESULTS.md (results.py, results_notes.py) and bench/.work/results.json;
   the targets, and the pass/fail check: targets.py.

A phase during which an Odoo worker was respawned is void (server.py,
WorkerWatch): the bench stops without writing RESULTS.md, exit status 3.
"""

import argparse
import json
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import BENCH, DB_PREFIX, LOGS, PEER_VERSION, WORK, log
from databases import data_info, drop_db, ensure_template, prepare_working_db
from phase_growth import growth_phase
from phase_intake import intake_phase
from phase_latency import latency_phase
from phase_loyalty import loyalty_phase
from phase_reports import reports_phase
from phase_sales import sales_phase
from phase_take_next import _take_summary, take_log_stats, take_next_phase
from prepare import (
    ensure_peer,
    machine_info,
    machine_load,
    snapshot_kunde_crm,
    write_conf,
)
from results import render
from server import Context, WorkerRespawned
from targets import missed


def parse_args():
    parser = argparse.ArgumentParser(description="kunde_crm benchmark (make bench)")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument(
        "--customers", type=int, help="default: cases / 10 (20,000 for 200,000)"
    )
    parser.add_argument("--seed", type=int, default=20260401)
    parser.add_argument("--runs", type=int, default=7, help="measured runs (>= 5)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--takes", type=int, default=2000)
    parser.add_argument("--take-workers", type=int, default=4)
    parser.add_argument("--take-runs", type=int, default=5)
    parser.add_argument("--take-warmup-calls", type=int, default=30)
    parser.add_argument("--export-cases", type=int, default=100_000)
    parser.add_argument("--report-runs", type=int, default=5)
    parser.add_argument("--intake-messages", type=int, default=1000)
    parser.add_argument("--intake-runs", type=int, default=5)
    parser.add_argument("--peer-version", default=PEER_VERSION)
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument(
        "--only",
        default="latency,reports,take_next,intake,loyalty,sales",
        help="comma-separated phases: latency, reports, take_next, intake, "
        "loyalty (ratings, customer health), sales (the bridges: leads, segments)",
    )
    parser.add_argument(
        "--add",
        action="store_true",
        help="measure the --only phases and add them to the last run's "
        "bench/.work/results.json (their date and commit noted), instead of "
        "starting new results",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the template")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="write RESULTS.md again from bench/.work/results.json (no measuring)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the working copies (not dropped)"
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="also measure a database with --growth-factor times the cases, the "
        "same open load (make bench GROWTH=1)",
    )
    parser.add_argument(
        "--growth-factor",
        type=int,
        default=10,
        help="the growth database's cases: --cases times this (default 10)",
    )
    parser.add_argument(
        "--db-prefix",
        default=DB_PREFIX,
        help=f"name of the working copy; the others start with it ({DB_PREFIX})",
    )
    parser.add_argument("--results", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--base-template")
    parser.add_argument("--odoo-src")
    parser.add_argument("--conf")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if not args.render_only:
        for option in ("base_template", "odoo_src", "conf", "data_dir"):
            if not getattr(args, option):
                parser.error(f"--{option.replace('_', '-')} is required")
    if not re.fullmatch(re.escape(DB_PREFIX) + r"[a-z0-9_]*", args.db_prefix):
        parser.error(f"--db-prefix must start with {DB_PREFIX} ([a-z0-9_])")
    if args.growth_factor < 2:
        parser.error("--growth-factor must be 2 or more")
    if args.customers is None:
        args.customers = max(100, args.cases // 10)
    if args.runs < 5 or args.take_runs < 5 or args.intake_runs < 5:
        log("fewer than 5 runs: the figures are indicative only")
    return args


def render_again(args):
    """RESULTS.md again from bench/.work/results.json (--render-only)."""
    results = json.loads((WORK / "results.json").read_text())
    for item in results.get("explain", []):  # label of older runs
        if item["label"] == "take next (one call, rolled back)":
            item["label"] = "take next (one call)"
    take = results.get("take_next")
    if take:  # runs measured before these statistics existed
        for index, run in enumerate(take["runs"], 1):
            path = LOGS / f"server-takenext-{index}.log"
            if "serialization_failures" not in run and path.exists():
                run.update(take_log_stats(path))
        _take_summary(take)
    Path(args.results).write_text(render(results))
    log(f"{args.results} written again from {WORK / 'results.json'}")


def measure(ctx, results, template, phases):
    for phase, function in (
        ("latency", latency_phase),
        ("reports", reports_phase),
        ("take_next", take_next_phase),
        ("intake", intake_phase),
        ("loyalty", loyalty_phase),
        ("sales", sales_phase),
    ):
        if phase in phases:
            machine_load(phase, results)
            function(ctx, results)
            save_partial(results)
    if ctx.args.growth:
        if not ctx.args.keep:
            drop_db(ctx, ctx.db)  # room for the growth database
        growth_phase(ctx, results, template, phases)


def save_partial(results):
    """What is measured so far: a run that fails later keeps it."""
    (WORK / "results-partial.json").write_text(
        json.dumps(results, indent=1, default=str)
    )


def start_results(ctx, args, template, built):
    """A new run's results, or with --add the last run's, to add phases to."""
    if args.add:
        last = WORK / "results.json"
        if not last.exists():
            sys.exit(f"--add: no earlier run to add to ({last} missing)")
        results = json.loads(last.read_text())
        results.setdefault("added", []).append(
            {
                "phases": sorted(set(args.only.split(","))),
                "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "kunde_crm": machine_info(ctx)["kunde_crm"],
            }
        )
        return results
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "args": {
            k: v
            for k, v in vars(args).items()
            if k not in ("conf", "data_dir", "odoo_src", "admin_password")
        },
        "latency": {},
    }
    results["machine"] = machine_info(ctx)
    results["data"] = data_info(ctx, template, built)
    return results


def main():
    # Stopped with SIGTERM: unwind, so that the Odoo servers started are stopped.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    args = parse_args()
    if args.render_only:
        render_again(args)
        return
    ctx = Context(args)
    started = time.time()
    snapshot_kunde_crm(ctx)
    ensure_peer(ctx)
    write_conf(ctx)
    template, built = ensure_template(ctx)
    prepare_working_db(ctx, template)
    phases = set(args.only.split(","))
    results = start_results(ctx, args, template, built)
    try:
        measure(ctx, results, template, phases)
    except WorkerRespawned as error:
        refused = WORK / "results-refused.json"
        refused.write_text(json.dumps(results, indent=1, default=str))
        log(f"REFUSING TO REPORT: {error}")
        log(f"nothing written to {args.results}; what was measured: {refused}")
        sys.exit(3)
    results["bench_seconds"] = round(time.time() - started)
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))
    Path(args.results).write_text(render(results))
    if not args.keep:
        drop_db(ctx, ctx.db)
    for line in missed(results):
        log(f"target missed: {line}")
    log(f"done in {time.time() - started:.0f} s: {args.results}")


if __name__ == "__main__":
    main()
