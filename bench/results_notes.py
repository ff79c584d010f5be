"""RESULTS.md: why targets were missed, and the details of every figure."""

import json

from common import AGENT
from targets import GROWTH_ROWS, TARGET, figure_met, growth_pairs, xlsx_vs_odoo


def ms(value):
    return f"{value:.1f} ms" if value is not None else "-"


def verdict(ok):
    return "✅ met" if ok else "❌ **missed**"


def _plan_of(results, label):
    for item in results.get("explain", []):
        if item["label"] == label and item["slowest"]:
            return item["slowest"][0]["plan"]
    return ""


def failures(results, checks):
    """ "Targets missed, and why": a note for each figure that missed one."""
    lat, take = results.get("latency", {}), results.get("take_next")
    notes = []

    def missed(key):
        return key in checks and not checks[key]["met"]

    if lat:
        q, pq = lat["queue"], lat["peer_queue"]
        if not figure_met(checks, "1"):
            note = (
                f"- **Queue page**: {q['ms']:.1f} ms, {q['ms'] / pq['ms']:.2f}x the "
                f"peer's {pq['ms']:.1f} ms. On the server: {q.get('queries', 0):.0f} "
                f"queries, {q.get('sql_ms', 0):.1f} ms in SQL and "
                f"{q.get('other_ms', 0):.1f} ms in Python. The peer's list does "
                f"{pq.get('queries', 0):.0f} queries, {pq.get('sql_ms', 0):.1f} ms "
                f"SQL, {pq.get('other_ms', 0):.1f} ms Python."
            )
            explain = next(
                (i for i in results.get("explain", []) if i["label"] == "queue page"),
                None,
            )
            if explain and explain["slowest"]:
                uses = any("kunde_case_queue_" in x["plan"] for x in explain["slowest"])
                note += (
                    f" Re-run inside Odoo it takes {explain['total_ms']} ms, "
                    f"{explain['sql_ms']} ms of it in SQL; its two slowest queries, "
                    "the page and the pager's count, take "
                    + " and ".join(f"{x['ms']} ms" for x in explain["slowest"][:2])
                    + (
                        ", and neither uses a partial queue index "
                        "(kunde_case_queue_head_idx, kunde_case_queue_order_idx): "
                        "they read and sort every case of the queue "
                        f"({q.get('length', '?')} here) to return 80"
                        if not uses
                        else ""
                    )
                    + ". Plans below."
                )
            notes.append(note)
        for name, label, key in (
            ("board", "Board (open)", "board_ms"),
            ("board_all", "Board (all)", "board_all_ms"),
        ):
            b = lat[name]
            if missed(key):
                note = (
                    f"- **{label}**: {b['ms']:.1f} ms (target "
                    f"{TARGET[key].describe()}): "
                    f"{b.get('queries', 0):.0f} queries, {b.get('sql_ms', 0):.1f} ms "
                    f"SQL, {b.get('other_ms', 0):.1f} ms Python: the grouped count "
                    "itself."
                )
                plan = _plan_of(
                    results,
                    "board (all cases)"
                    if name == "board_all"
                    else "board (open cases)",
                )
                peer_plan = _plan_of(results, "peer: board (all tickets)")
                if (
                    "SubPlan" in plan
                    and "Parallel" not in plan
                    and "Parallel" in (peer_plan)
                ):
                    note += (
                        " PostgreSQL scans every case in one process: the record "
                        "rule on private teams adds `team_id IN (SELECT ... FROM "
                        "kunde_team ...)`, a SubPlan, which is parallel-restricted; "
                        "the peer's same grouped count runs as a parallel scan "
                        f"({lat['peer_board']['ms']:.0f} ms)."
                    )
                notes.append(note + " Plans below.")
        counts = [lat[f"buttons_{n}"].get("queries") for n in (1, 10, 80)]
        if missed("buttons_query_growth"):
            notes.append(
                f"- **Smart buttons**: queries grow with the customers: {counts}."
            )
    if take:
        rate = TARGET["take_per_second"].threshold
        if missed("take_per_second"):
            note = (
                f"- **Take next**: {take['per_second']:.0f} takes/s (target "
                f"{rate:g}), "
                f"p50 {take['latency_p50_ms']:.0f} ms and p95 "
                f"{take['latency_p95_ms']:.0f} ms per take, {take['clients']} "
                f"clients on {take['workers']} workers and 2 cores."
            )
            if "server_queries_per_take" in take:
                wall = take["server_sql_ms_per_take"] + take["server_other_ms_per_take"]
                note += (
                    " On the server one take costs "
                    f"{take['server_queries_per_take']:.0f} queries and "
                    f"{wall:.0f} ms ({take['server_sql_ms_per_take']:.0f} ms in SQL, "
                    f"{take['server_other_ms_per_take']:.0f} ms in Python, waiting for "
                    "a core included; medians): one worker serves about "
                    f"{1000 / wall:.0f} takes/s, {take['workers']} workers about "
                    f"{take['workers'] * 1000 / wall:.0f}. To reach {rate:g} takes/s "
                    f"with {take['workers']} workers a take must stay under "
                    f"{take['workers'] * 1000 / rate:.0f} ms."
                )
            if take.get("cpu_ms_per_take"):
                note += (
                    f" The whole machine (Odoo, PostgreSQL, the clients) spent "
                    f"{take['cpu_ms_per_take']:.0f} ms of CPU per take: two cores "
                    f"give at most about {2000 / take['cpu_ms_per_take']:.0f} takes/s "
                    "whatever the number of workers."
                )
            if take.get("serialization_failures"):
                worker_seconds = (
                    sum(r["seconds"] for r in take["runs"]) * take["workers"]
                )
                note += (
                    f" {take['serialization_failures']} times over the runs the "
                    "`FOR UPDATE SKIP LOCKED` query failed with *could not serialize "
                    "access due to concurrent update* (the head of the queue was "
                    "taken and committed after the transaction's snapshot). Odoo "
                    "retries such a request after sleeping a random 0-2 s in the "
                    "worker, so about "
                    f"{take['serialization_failures']:.0f} worker-seconds went to "
                    f"sleeping, {take['serialization_failures'] / worker_seconds:.0%} "
                    "of the workers' time."
                )
            notes.append(note)
        if missed("take_duplicates") or missed("take_skipped"):
            notes.append(
                f"- **Take next correctness**: {take['duplicates']} duplicates, "
                f"{take['skipped']} skipped."
            )
    xlsx = results.get("reports", {}).get("xlsx")
    if xlsx and not figure_met(checks, "4"):
        ratio, bound = xlsx_vs_odoo(xlsx)
        theirs = xlsx.get("odoo_export") or {}
        notes.append(
            f"- **XLSX export**: {xlsx['seconds']:.1f} s (target "
            f"{TARGET['xlsx_seconds'].threshold:g} s), peak memory "
            f"+{xlsx['peak_delta_mib']:.0f} MiB = "
            f"{xlsx['peak_delta_mib'] * 2**20 / 10**6:.0f} MB (target "
            f"{TARGET['xlsx_growth_mb'].threshold:g} MB)"
            + (
                f", {'under ' if bound else ''}{ratio:.2f}x Odoo's own export "
                f"(target {TARGET['xlsx_vs_odoo'].threshold:g}x; Odoo's: "
                + (
                    f"{theirs['seconds']:.1f} s"
                    if "seconds" in theirs and "error" not in theirs
                    else f"did not finish: {theirs.get('error')}"
                )
                + ")"
                if ratio is not None
                else ""
            )
            + "."
        )
    notes += growth_failures(results, checks)
    if not notes:
        return ["", "Every measured target is met."]
    return ["", "## Targets missed, and why", "", *notes]


def growth_failures(results, checks):
    """Notes for the growth targets missed (make bench GROWTH=1)."""
    growth = results.get("growth")
    if not growth:
        return []
    pairs = growth_pairs(results)
    base_cases = results["data"]["counts"].get("cases", 0)
    cases = growth["data"]["counts"].get("cases", 0)
    notes = []
    for name, label, unit, key in GROWTH_ROWS:
        if key not in checks or checks[key]["met"]:
            continue
        base, grown = pairs[name]
        note = (
            f"- **Growth, {label[0].lower() + label[1:]}**: {grown:.1f} {unit} with "
            f"{cases:,} cases "
            f"against {base:.1f} {unit} with {base_cases:,}: {grown / base:.2f}x "
            f"(target {TARGET[key].describe()})."
        )
        figure = {"queue": "queue", "board": "board", "buttons": "buttons_80"}.get(name)
        if figure:
            b = results["latency"][figure]
            g = growth["latency"][figure]
            note += (
                f" On the server: {b.get('queries', 0):.0f} → "
                f"{g.get('queries', 0):.0f} queries, {ms(b.get('sql_ms'))} → "
                f"{ms(g.get('sql_ms'))} in SQL, {ms(b.get('other_ms'))} → "
                f"{ms(g.get('other_ms'))} in Python. Plans: *Where the time goes "
                f"with {cases:,} cases*, in the Growth section."
            )
        notes.append(note)
    return notes


def details(results):
    lat, take, intake = (
        results.get("latency", {}),
        results.get("take_next"),
        results.get("intake", {}),
    )
    lines = ["", "## Details", ""]
    if lat:
        lines += [
            "Latency, client side (median, min, max over the runs) and server side "
            "(from Odoo's request log: queries, time in SQL, other time; medians):",
            "",
            "| figure | median | min | max | queries | SQL | other (Python) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, out in lat.items():
            lines.append(
                f"| {name} | {ms(out['ms'])} | {ms(out['min_ms'])} | "
                f"{ms(out['max_ms'])} | {out.get('queries', '-')} | "
                f"{ms(out.get('sql_ms'))} | {ms(out.get('other_ms'))} |"
            )
        lines += [""]
        q = lat["queue"]
        lines.append(
            f"- Queue page answer: {q.get('length', '?')} cases in the bench agent's "
            f"queue (the count the pager shows); the peer's queue-equivalent list "
            f"counts {lat['peer_queue'].get('length', '?')}, its default list "
            f"{lat['peer_list'].get('length', '?')} (capped at 10,001 by the web "
            "client's count_limit)."
        )
        lines.append(f"- Board columns (open filter): {lat['board'].get('groups')}")
        lines.append(f"- Board columns (all): {lat['board_all'].get('groups')}")
        lines.append(f"- Peer board columns (all): {lat['peer_board'].get('groups')}")
        b80 = lat["buttons_80"]
        lines.append(
            f"- Smart buttons: the 80 customers (first page of companies) have "
            f"{b80.get('cases_of_these_customers', '?'):,} cases with their contacts; "
            f"kunde_crm's counts equal helpdesk_mgmt's: "
            f"{b80.get('counts_agree_with_peer')}, and a plain SQL count: "
            f"{b80.get('counts_agree_with_sql')}."
        )
    if take:
        lines += [
            "",
            "Take-next runs (each on a fresh copy of the database):",
            "",
            "| run | takes | seconds | takes/s | p50 | p95 | duplicates | "
            "wrong owner | skipped | unreported | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for i, run in enumerate(take["runs"], 1):
            lines.append(
                f"| {i} | {run['takes']} | {run['seconds']} | "
                f"{run['per_second']:.0f} | "
                f"{run['latency_p50_ms']:.0f} ms | {run['latency_p95_ms']:.0f} ms | "
                f"{run['duplicates']} | {run['wrong_owner']} | {run['skipped']} | "
                f"{run['unreported']} | {run['errors']} |"
            )
        lines.append(
            f"\nThe {take['clients']} clients are the agents agent01-agent"
            f"{take['clients']:02d} (team Kundeservice, the first four also in "
            f"Faktura); their queues held {take['reachable_queue']:,} cases at the "
            "start of each run."
            + (
                " No Odoo worker was respawned during any run (the server's log "
                "and the workers' pids, checked after each run)."
                if all("workers_respawned" in run for run in take["runs"])
                else ""
            )
        )
        samples = {s for run in take["runs"] for s in run["error_samples"]}
        if samples:
            lines.append(f"Errors seen: {sorted(samples)[:3]}")
    if intake:
        lines += ["", "Email intake runs (messages per second):", ""]
        for name in ("kunde", "peer"):
            out = intake.get(name, {})
            if "runs" in out:
                per_run = ", ".join(f"{r['per_second']:.1f}" for r in out["runs"])
                lines.append(
                    f"- {name} (`{out['address']}` → `{out['model']}`): {per_run}; "
                    f"{out['records_created']:,} records created from "
                    f"{out['messages_sent']:,} messages (about 10% are replies to an "
                    f"earlier message); {out['failures']} failures"
                )
    reports = results.get("reports", {})
    if reports.get("xlsx"):
        xlsx = reports["xlsx"]
        per_run = ", ".join(
            f"{r['seconds']:.1f} s / +{r['peak_delta_mib']:.0f} MiB"
            for r in xlsx["runs"]
        )
        lines += [
            "",
            f"XLSX runs (period {xlsx['period']}, {xlsx['cases']:,} cases; the file's "
            f"largest sheet has {xlsx['rows_in_largest_sheet']:,} data rows): "
            f"{per_run}. Memory is the resident size of the Odoo server process "
            "(`--workers=0`), sampled every 20 ms during the request, above its size "
            "just before.",
        ]
        lines += _odoo_export_details(xlsx.get("odoo_export"))
    if reports.get("trend"):
        trend = reports["trend"]
        lines += [
            "",
            f"Trend runs (period {trend['period']}: {trend['cases']:,} cases, "
            f"{trend['rows']} categories): RPC {trend['runs_ms']} ms; hand-written "
            f"SQL {trend['sql_runs_ms']} ms (one GROUP BY with two FILTERed counts, "
            "over psycopg2 on the same machine).",
        ]
    explain = results.get("explain")
    if explain:
        lines += [
            "",
            "## Where the time goes",
            "",
            "Each RPC re-run inside Odoo with every query timed; the slowest with "
            "`EXPLAIN (ANALYZE, BUFFERS)`.",
            "",
        ]
        lines += explain_lines(explain)
    spec = results.get("spec")
    if spec:
        lines += [
            "",
            "<details><summary>The replayed requests (captured from the web client)"
            "</summary>\n",
            "```json",
            json.dumps(spec, indent=1, ensure_ascii=False),
            "```",
            "</details>",
        ]
    return lines


# --------------------------------------------------------------------------
def _odoo_export_details(theirs):
    if not theirs:
        return []
    per_run = ", ".join(
        f"{r['seconds']:.1f} s / +{r['peak_delta_mib']:.0f} MiB" for r in theirs["runs"]
    )
    text = (
        "Odoo's own list export, the same cases and columns, as the list view's "
        "*Export* with every record selected sends it (a form POST to "
        "`/web/export/xlsx`: `ids` false, the list's domain on `date_received`, "
        "`import_compat` false, fields "
        + ", ".join(f"`{name}`" for name in theirs["fields"])
        + "), same user and server: "
        + (per_run or "no complete run")
    )
    if "rows" in theirs:
        text += (
            f"; the file has {theirs['rows']:,} data rows "
            f"({theirs['expected_rows']:,} expected), {theirs['file_mib']:.1f} MiB"
        )
    if "error" in theirs:
        text += (
            f"; run {theirs.get('error_in_run', '?')} (0 is the warm-up) failed"
            + (
                f" after {theirs['error_after_seconds']:.0f} s"
                if theirs.get("error_after_seconds")
                else ""
            )
            + f": {theirs['error']}"
        )
    if theirs.get("server_limits"):
        text += "; Odoo's log: " + " / ".join(theirs["server_limits"][:3])
    if theirs.get("export_right_granted"):
        text += (
            f". `{AGENT}` is given `base.group_allow_export` for these runs (the "
            "list's *Export* needs it) and it is taken back afterwards"
        )
    return ["", text + "."]


def explain_lines(explain):
    """A folded block per explained RPC: its queries by kind, the slowest plans."""
    lines = []
    for item in explain:
        lines.append(
            f"<details><summary>{item['label']}: {item['queries']} queries, "
            f"{item['sql_ms']} ms SQL of {item['total_ms']} ms</summary>\n"
        )
        if item.get("error"):
            lines += [f"Could not be re-run: {item['error']}", ""]
        if item.get("kinds"):
            lines += [
                "Queries by kind: "
                + ", ".join(f"{kind} x{count}" for kind, count in item["kinds"]),
                "",
            ]
        for query in item["slowest"]:
            lines += [
                f"{query['ms']} ms:",
                "",
                "```sql",
                query["sql"],
                "```",
                "",
                "```",
                query["plan"],
                "```",
                "",
            ]
        lines.append("</details>\n")
    return lines
