"""RESULTS.md: the summary and the table of figures against the targets."""

from common import AGENT, PENDING
from results_loyalty import added_lines, loyalty_rows
from results_notes import details, explain_lines, failures, ms, verdict
from targets import (
    GROWTH_ROWS,
    TARGET,
    check,
    describe,
    figure_met,
    growth_pairs,
    xlsx_vs_odoo,
)


def _absent(results, phase):
    """What an unmeasured row says: skipped by --only, or a feature pending."""
    only = (results.get("args") or {}).get("only", "")
    if only and phase not in only.split(","):
        return "not measured in this run (`--only " + only + "`)", "⏸ not run"
    return PENDING, "⏸ pending"


def render(results):
    checks = check(results)
    lat = results.get("latency", {})
    take = results.get("take_next")
    intake = results.get("intake", {})
    machine, data = results["machine"], results["data"]
    meta = data["meta"]
    lines = [
        "# kunde_crm benchmark results",
        "",
        "Written by `make bench` (bench/run.py); what each figure measures and how: "
        "[bench/README.md](README.md). Every latency is the median of "
        f"{results['args']['runs']} runs after {results['args']['warmup']} warm-up "
        "runs, measured by the client over HTTP on 127.0.0.1; take-next and intake "
        f"are the median of {results['args']['take_runs']} and "
        f"{results['args']['intake_runs']} runs.",
        "",
        f"- **Date**: {results['date']}",
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB; {machine['os']} (kernel {machine['kernel']})",
        f"- **Software**: Odoo {machine['odoo']}, Python {machine['python']}, "
        f"PostgreSQL {machine['postgresql']} (default settings: "
        + ", ".join(f"{k}={v}" for k, v in sorted(machine["pg_settings"].items()))
        + ")",
        f"- **kunde_crm**: commit {machine['kunde_crm']}",
        f"- **Peer**: {machine['peer']}, installed from PyPI into a bench-only "
        "addons path, same database, same data",
        f"- **Data**: {data['counts'].get('cases', 0):,} cases and "
        f"{data['counts'].get('tickets', 0):,} tickets (the same rows) over "
        f"{meta.get('customers', 0):,} customers "
        f"({meta.get('customer_companies', 0):,} companies, "
        f"{meta.get('customer_contacts', 0):,} contacts, "
        f"{meta.get('customer_persons', 0):,} private persons), "
        f"{meta.get('categories')} categories, {meta.get('tags')} tags, "
        f"{meta.get('teams')} teams, {meta.get('agents')} agents, received over 2 "
        f"years; {data['counts'].get('open', 0):,} open cases, "
        f"{data['counts'].get('queue', 0):,} in the queue (open, unassigned); "
        f"database {data['database_size']}",
        f"- **Data generation**: {meta.get('generation_seconds', '?')} s "
        f"(template `{data['template']}`, "
        + (
            "reused from an earlier run"
            if data["template_reused"]
            else "built by this run"
        )
        + ")",
        f"- **Bench user**: `{AGENT}`, agent in the teams Kundeservice and Faktura "
        "(language nb_NO); their queue holds "
        f"{lat.get('queue', {}).get('length', '?'):,} cases"
        if isinstance(lat.get("queue", {}).get("length"), int)
        else f"- **Bench user**: `{AGENT}`",
        _load_line(results),
        *added_lines(results),
        "",
        "## Results",
        "",
        "| # | figure | kunde_crm | target | helpdesk_mgmt (peer) | ratio kunde ÷ peer "
        "| verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    if lat:
        q, pq = lat["queue"], lat["peer_queue"]
        ratio = q["ms"] / pq["ms"]
        rows.append(
            (
                "1",
                "Queue page: `web_search_read`, 80 rows, My queue list spec",
                ms(q["ms"]),
                describe("1"),
                f"{ms(pq['ms'])} (ticket list, same queue domain)",
                f"{ratio:.2f}x",
                verdict(figure_met(checks, "1")),
            )
        )
        pl = lat["peer_list"]
        rows.append(
            (
                "1b",
                "…peer's default Tickets list page (all tickets), for reference",
                "",
                "",
                ms(pl["ms"]),
                f"{q['ms'] / pl['ms']:.2f}x",
                "",
            )
        )
        b, pb_open = lat["board"], lat["peer_board_open"]
        rows.append(
            (
                "2",
                "Board grouped by stage: `web_read_group` with counts (Open filter, "
                "as the menu opens it)",
                ms(b["ms"]),
                describe("2"),
                f"{ms(pb_open['ms'])} (open tickets)",
                f"{b['ms'] / pb_open['ms']:.2f}x",
                verdict(figure_met(checks, "2")),
            )
        )
        ba, pb = lat["board_all"], lat["peer_board"]
        rows.append(
            (
                "2b",
                "Board grouped by stage, all cases (no filter)",
                ms(ba["ms"]),
                describe("2b"),
                f"{ms(pb['ms'])} (all tickets, as its menu opens it)",
                f"{ba['ms'] / pb['ms']:.2f}x",
                verdict(figure_met(checks, "2b")),
            )
        )
        bf, pbf = lat["board_full"], lat["peer_board_full"]
        rows.append(
            (
                "2c",
                "…the whole board load: every data RPC the board sends (group, "
                "progress bars, cards of each open column), summed",
                ms(bf["ms"]),
                "",
                ms(pbf["ms"]),
                f"{bf['ms'] / pbf['ms']:.2f}x",
                "",
            )
        )
    if take:
        rows.append(
            (
                "3",
                f"Take next: {take['clients']} concurrent JSON-RPC clients, "
                f"`--workers={take['workers']}`, {take['takes']:,} takes per run",
                f"**{take['per_second']:.0f} takes/s**; duplicates "
                f"{take['duplicates']}; skipped {take['skipped']}; errors "
                f"{take['errors']}; p50 {take['latency_p50_ms']:.0f} ms, p95 "
                f"{take['latency_p95_ms']:.0f} ms",
                describe("3"),
                "n/a (helpdesk_mgmt has no take-next)",
                "",
                verdict(figure_met(checks, "3")),
            )
        )
    reports = results.get("reports", {})
    xlsx, trend = reports.get("xlsx"), reports.get("trend")
    if xlsx:
        peer_text, ratio_text, verdict_text = _xlsx_comparison(xlsx, checks)
        rows.append(
            (
                "4",
                f"XLSX export of {xlsx['cases']:,} cases (report wizard with the "
                "Cases sheet, `action_generate`): seconds, peak memory",
                f"{xlsx['seconds']:.1f} s; server memory +"
                f"{xlsx['peak_delta_mib']:.0f} MiB (peak RSS "
                f"{xlsx['peak_rss_mib']:.0f} MiB); {xlsx['file_mib']:.1f} MiB file",
                describe("4"),
                peer_text,
                ratio_text,
                verdict_text,
            )
        )
    else:
        rows.append(
            (
                "4",
                "XLSX export of 100,000 cases: seconds, peak memory",
                _absent(results, "reports")[0],
                "",
                "",
                "",
                _absent(results, "reports")[1],
            )
        )
    if trend:
        rows.append(
            (
                "5",
                "Trend report over all cases (`kunde.case.trend.action_open`) vs a "
                "hand-written SQL GROUP BY",
                f"{ms(trend['ms'])} vs {ms(trend['sql_ms'])} for the SQL "
                f"({trend['ms'] / trend['sql_ms']:.1f}x); same counts: "
                f"{trend['counts_agree']}",
                describe("5"),
                "n/a (no trend report in helpdesk_mgmt)",
                "",
                verdict(figure_met(checks, "5") and trend["counts_agree"]),
            )
        )
    else:
        rows.append(
            (
                "5",
                "Trend report over all cases vs hand-written SQL GROUP BY",
                _absent(results, "reports")[0],
                "",
                "",
                "",
                _absent(results, "reports")[1],
            )
        )
    if intake:
        kunde, peer = intake.get("kunde", {}), intake.get("peer", {})
        if "per_second" in kunde:
            kunde_text = (
                f"{kunde['per_second']:.1f} msg/s ({kunde['p50_ms']:.0f} ms p50, "
                f"{kunde['queries_per_message']:.0f} queries/message)"
            )
        else:
            kunde_text = kunde.get("pending", PENDING)
        peer_text = (
            f"{peer['per_second']:.1f} msg/s ({peer['p50_ms']:.0f} ms p50, "
            f"{peer['queries_per_message']:.0f} queries/message)"
            if "per_second" in peer
            else "-"
        )
        ratio = (
            f"{kunde['per_second'] / peer['per_second']:.2f}x (higher is better)"
            if "per_second" in kunde and "per_second" in peer
            else ""
        )
        acks = kunde.get("acknowledgements")
        if acks and acks.get("cases"):
            kunde_text += (
                f"; the {acks['cases']:,} acknowledgements, sent afterwards by the "
                f"scheduled action: {acks['per_second']:.0f}/s"
            )
        if "per_second" in kunde:
            verdict_text = verdict(figure_met(checks, "6"))
        else:
            verdict_text = "⏸ pending"
        rows.append(
            (
                "6",
                f"Email intake: {intake['messages']:,} messages through "
                "`message_process`",
                kunde_text,
                describe("6"),
                peer_text,
                ratio,
                verdict_text,
            )
        )
    if lat:
        b1, b10, b80 = (lat[f"buttons_{n}"] for n in (1, 10, 80))
        p1, p10, p80 = (lat[f"peer_buttons_{n}"] for n in (1, 10, 80))
        rows.append(
            (
                "7",
                "Customer smart buttons: `kunde_case_count` + `kunde_case_open_count` "
                "for 80 customers (`web_read`)",
                f"{ms(b80['ms'])}; queries for 1 / 10 / 80 customers: "
                f"{b1.get('queries', '?'):.0f} / {b10.get('queries', '?'):.0f} / "
                f"{b80.get('queries', '?'):.0f}",
                describe("7"),
                f"{ms(p80['ms'])}; queries {p1.get('queries', 0):.0f} / "
                f"{p10.get('queries', 0):.0f} / {p80.get('queries', 0):.0f}",
                f"{b80['ms'] / p80['ms']:.2f}x",
                verdict(figure_met(checks, "7")),
            )
        )
    rows += loyalty_rows(results, checks)
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    lines += growth_section(results, checks)
    lines += failures(results, checks)
    lines += details(results)
    return "\n".join(lines) + "\n"


def _xlsx_comparison(xlsx, checks):
    """Peer cell, ratio cell and verdict of figure 4 (older results: no comparison)."""
    theirs = xlsx.get("odoo_export")
    ratio, bound = xlsx_vs_odoo(xlsx)
    own_ok = checks["xlsx_seconds"]["met"] and checks["xlsx_growth_mb"]["met"]
    if not theirs:
        peer = "Odoo's own list export: not measured in this run"
    elif "error" in theirs:
        peer = (
            "Odoo's own list export (`/web/export/xlsx`), same "
            f"{xlsx['cases']:,} cases and columns: did not finish"
            + (
                f" (failed after {theirs['error_after_seconds']:.0f} s)"
                if theirs.get("error_after_seconds")
                else ""
            )
        )
    else:
        peer = (
            f"Odoo's own list export (`/web/export/xlsx`), same {xlsx['cases']:,} "
            f"cases and columns: {theirs['seconds']:.1f} s, "
            f"+{theirs['peak_delta_mib']:.0f} MiB"
        )
    if ratio is None:
        return (
            peer,
            "",
            verdict(False) if not own_ok else "⏸ comparison not measured",
        )
    ratio_text = f"< {ratio:.2f}x" if bound else f"{ratio:.2f}x"
    return peer, ratio_text, verdict(figure_met(checks, "4"))


def _load_line(results):
    load = results.get("load", [])
    if not load:
        return ""
    seen = "; ".join(
        f"{e['phase']}: load {e['loadavg_1min']}, others {e['others_cpu_percent']}% CPU"
        for e in load
    )
    busy = any(e["others_cpu_percent"] >= 20 for e in load)
    return (
        "- **Machine load when each phase started** (1-minute load average; CPU "
        "used by processes other than the bench's, of 200%): "
        + seen
        + (
            ". Other work was running on the machine during the bench: the "
            "figures may be pessimistic."
            if busy
            else "."
        )
    )


def growth_section(results, checks):
    """make bench GROWTH=1: the figures again with ten times the history."""
    growth = results.get("growth")
    if not growth:
        return []
    base, grown = results["data"], growth["data"]
    n_base, n_grown = base["counts"].get("cases", 0), grown["counts"].get("cases", 0)
    load = ("open", "queue", "customers_with_open_cases")
    same_load = all(base["counts"].get(k) == grown["counts"].get(k) for k in load)
    meta = grown.get("meta", {})
    lines = [
        "",
        f"## Growth: {n_grown:,} cases",
        "",
        f"`make bench GROWTH=1`: the figures again on a copy with {n_grown:,} cases "
        f"({n_grown / n_base:.0f}x): the {n_base:,} above and "
        f"{n_grown - n_base:,} more, all closed, received over the "
        f"{_number(meta.get('history_years'))} years before the oldest of them, by the "
        "same customers (template "
        f"`{grown['template']}`, "
        + ("reused" if grown["template_reused"] else "built by this run")
        + (
            f", history generated in {meta['history_seconds']} s"
            if meta.get("history_seconds")
            else ""
        )
        + "). The open load is "
        + ("the same" if same_load else "**not** the same")
        + f": {grown['counts'].get('open', 0):,} open cases, "
        f"{grown['counts'].get('queue', 0):,} in the queue, "
        f"{grown['counts'].get('customers_with_open_cases', 0):,} customers with "
        "open cases"
        + (
            ""
            if same_load
            else f" (at the base size: {base['counts'].get('open', 0):,}, "
            f"{base['counts'].get('queue', 0):,}, "
            f"{base['counts'].get('customers_with_open_cases', 0):,})"
        )
        + ". The peer is not measured at this size.",
        "",
        f"- **Databases on disk** (`pg_database_size`): {base['database_size']} "
        f"with {n_base:,} cases (and the peer's {base['counts'].get('tickets', 0):,} "
        f"tickets), {grown['database_size']} with {n_grown:,} cases"
        + (
            f" ({grown['database_bytes'] / base['database_bytes']:.1f}x)."
            if base.get("database_bytes")
            else "."
        ),
        _load_line(growth),
        "",
        f"| figure | {n_base:,} cases | {n_grown:,} cases | ratio "
        f"{_short(n_grown)} ÷ {_short(n_base)} | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    pairs = growth_pairs(results)
    for name, label, unit, key in GROWTH_ROWS:
        if name not in pairs:
            continue
        before, after = pairs[name]
        cells = [label, _value(before, unit), _value(after, unit)]
        cells.append(f"{after / before:.2f}x")
        cells.append(TARGET[key].describe() if key else "")
        cells.append(verdict(checks[key]["met"]) if key in checks else "")
        lines.append("| " + " | ".join(cells) + " |")
    lines += _growth_facts(results, growth)
    return lines


def _number(value):
    return f"{value:g}" if isinstance(value, int | float) else "?"


def _short(cases):
    """2,000,000 -> 2M, 200,000 -> 200k."""
    if cases >= 10**6 and cases % 10**5 == 0:
        return f"{cases / 10**6:g}M"
    if cases >= 10**3 and cases % 100 == 0:
        return f"{cases / 10**3:g}k"
    return f"{cases:,}"


def _value(value, unit):
    return ms(value) if unit == "ms" else f"{value:.0f} {unit}"


def _growth_facts(results, growth):
    lines = [""]
    lat, take = growth.get("latency", {}), growth.get("take_next")
    if "queue" in lat:
        lines.append(
            f"- Queue page: {lat['queue'].get('length', '?')} cases in the bench "
            f"agent's queue ({results['latency']['queue'].get('length', '?')} at the "
            "base size)."
        )
    if "board" in lat:
        lines.append(f"- Board columns (open filter): {lat['board'].get('groups')}")
    if take:
        lines.append(
            f"- Take next: {take['takes']:,} takes per run, "
            + ", ".join(f"{r['per_second']:.0f}" for r in take["runs"])
            + f" takes/s; duplicates {take['duplicates']}, skipped "
            f"{take['skipped']}, errors {take['errors']}; p50 "
            f"{take['latency_p50_ms']:.0f} ms, p95 {take['latency_p95_ms']:.0f} ms."
        )
    trend = growth.get("reports", {}).get("trend")
    if trend:
        lines.append(
            f"- Trend: {trend['cases']:,} cases over {trend['period']}, "
            f"{ms(trend['ms'])} against {ms(trend['sql_ms'])} for the hand-written "
            f"SQL ({trend['ms'] / trend['sql_ms']:.1f}x); same counts: "
            f"{trend['counts_agree']}."
        )
    if "buttons_80" in lat:
        queries = [lat[f"buttons_{n}"].get("queries", "?") for n in (1, 10, 80)]
        b80 = lat["buttons_80"]
        lines.append(
            "- Smart buttons: queries for 1 / 10 / 80 customers: "
            + " / ".join(
                f"{q:.0f}" if isinstance(q, float | int) else q for q in queries
            )
            + f"; the 80 customers have {b80.get('cases_of_these_customers', 0):,} "
            f"cases, {b80.get('open_cases_of_these_customers', 0):,} open "
            f"({results['latency']['buttons_80'].get('cases_of_these_customers', 0):,}"
            " cases at the base size); the counts equal a plain SQL count: "
            f"{b80.get('counts_agree_with_sql')}."
        )
    if growth.get("explain"):
        lines += [
            "",
            f"<details><summary>Where the time goes with "
            f"{growth['data']['counts'].get('cases', 0):,} cases</summary>\n",
            *explain_lines(growth["explain"]),
            "</details>",
        ]
    return lines
