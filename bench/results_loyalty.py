"""RESULTS.md rows of the phases "loyalty" (ratings, health) and "sales" (bridges)."""

from results_notes import ms, verdict
from targets import describe, figure_met


def loyalty_rows(results, checks):
    """Rows 8-13 of the results table (those measured)."""
    rows = []
    loyalty = results.get("loyalty") or {}
    sales = results.get("sales") or {}
    seeded = (loyalty.get("ratings_seeded") or {}).get("ratings")
    job, page = loyalty.get("rating_requests"), loyalty.get("rating_page")
    if job or page:
        parts = []
        if job:
            parts.append(
                f"survey job: {job['cases']:,} freshly closed cases in "
                f"{job['seconds']:.1f} s = **{job['per_second']:.0f} cases/s**, "
                f"{job['surveys']:,} surveys queued (the others' customer had one "
                "within the team's 30 days)"
            )
        if page:
            parts.append(
                f"survey page: {page['tokens']} links opened by a scanner (GET): "
                f"**{page['recorded_by_get']} recorded**; then {page['rated']} "
                f"customers rated (GET p50 {ms(page['get_p50_ms'])}, POST p50 "
                f"{ms(page['post_p50_ms'])}, p95 {ms(page['post_p95_ms'])})"
            )
        rows.append(
            (
                "8",
                "Satisfaction surveys: the job after close (in the server process, "
                "committed per batch) and the survey page over HTTP",
                "; ".join(parts),
                describe("8"),
                "n/a (helpdesk_mgmt has no survey)",
                "",
                verdict(figure_met(checks, "8")),
            )
        )
    pivot = loyalty.get("satisfaction_pivot")
    if pivot:
        rows.append(
            (
                "9",
                "Satisfaction pivot: % of 5s, average and ratings by team and month "
                "(`web_read_group`)" + (f", {seeded:,} rated cases" if seeded else ""),
                f"{ms(pivot['ms'])} ({pivot.get('groups', '?')} groups, "
                f"{pivot.get('queries', 0):.0f} queries)",
                describe("9"),
                "n/a",
                "",
                verdict(figure_met(checks, "9")),
            )
        )
    if "health_80" in loyalty:
        h1, h10, h80 = (loyalty[f"health_{n}"] for n in (1, 10, 80))
        rows.append(
            (
                "10",
                "Customer 360 on the partner: health, reasons, satisfaction, "
                "invoiced, overdue, last contact, first/last case (`web_read`, 80 "
                "customers)",
                f"{ms(h80['ms'])}; queries for 1 / 10 / 80 customers: "
                f"{h1.get('queries', 0):.0f} / {h10.get('queries', 0):.0f} / "
                f"{h80.get('queries', 0):.0f}",
                describe("10"),
                "n/a",
                "",
                verdict(figure_met(checks, "10")),
            )
        )
    night = loyalty.get("health_nightly")
    if night:
        rows.append(
            (
                "11",
                "Nightly customer health job over every customer (batches of "
                "1,000, committed per batch)",
                f"{night['partners']:,} customers in **{night['seconds']:.0f} s** "
                f"({night['per_second']:.0f}/s; batch p50 "
                f"{night['batch_seconds_median']:.1f} s, max "
                f"{night['batch_seconds_max']:.1f} s); {night['health_spread']}",
                describe("11"),
                "n/a",
                "",
                verdict(figure_met(checks, "11")),
            )
        )
    leads = sales.get("leads")
    if leads:
        rows.append(
            (
                "12",
                "Send to Sales (`kunde_crm_crm`): an agent without sales rights, "
                "wizard `create` + `action_send` over JSON-RPC",
                f"{leads['leads']} leads from {leads['cases']} cases: p50 "
                f"**{ms(leads['p50_ms'])}** per send, p95 {ms(leads['p95_ms'])}; "
                f"{leads['per_second']:.1f} leads/s one after the other",
                describe("12"),
                "n/a",
                "",
                verdict(figure_met(checks, "12")),
            )
        )
    segment = sales.get("segment")
    if segment:
        rows.append(
            (
                "13",
                "Customers to a mailing list (`kunde_crm_mass_mailing`): one case per "
                "contact the agent may read, one `action_add_to_list`",
                f"{segment['customers']:,} customers in **{segment['seconds']:.1f} s**"
                f": {segment['added']:,} added, {segment['existing']:,} already "
                f"there, {segment['skipped']:,} skipped",
                describe("13"),
                "n/a",
                "",
                verdict(figure_met(checks, "13")),
            )
        )
    return rows


def added_lines(results):
    """The header's note on phases measured later (--add)."""
    return [
        f"- **Added {item['date']}**: phases {', '.join(item['phases'])} "
        f"(kunde_crm {item['kunde_crm']})"
        for item in results.get("added", [])
    ]
