"""The bench's targets, in one table: the pass/fail check and RESULTS.md read it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    key: str
    figure: str  # its row in RESULTS.md's tables
    label: str
    threshold: float
    comparison: str  # "<=": the figure is at most the threshold; ">=": at least
    unit: str
    # How RESULTS.md words it, when not "≤ 50 ms"; may use {threshold}, {inverse}
    text: str = ""

    def met(self, value):
        if value is None:
            return False
        if self.comparison == "<=":
            return value <= self.threshold
        return value >= self.threshold

    def describe(self):
        if self.text:
            inverse = 1 / self.threshold if self.threshold else None
            return self.text.format(threshold=self.threshold, inverse=inverse)
        sign = "≤" if self.comparison == "<=" else "≥"
        gap = "" if self.unit.startswith("x") else " "
        return f"{sign} {self.threshold:g}{gap}{self.unit}"


TARGETS = (
    Target("queue_ms", "1", "queue page", 50, "<=", "ms"),
    Target("queue_vs_peer", "1", "queue page ÷ the peer's list", 0.5, "<=", "x peer"),
    Target("board_ms", "2", "board, open cases", 100, "<=", "ms"),
    Target("board_all_ms", "2b", "board, all cases", 100, "<=", "ms"),
    Target("take_per_second", "3", "take next", 100, ">=", "takes/s"),
    Target(
        "take_duplicates",
        "3",
        "take next: cases returned twice or to another agent",
        0,
        "<=",
        "duplicates",
        "{threshold:g} duplicates",
    ),
    Target(
        "take_skipped",
        "3",
        "take next: cases left behind in the queue",
        0,
        "<=",
        "skipped",
        "{threshold:g} skipped",
    ),
    Target("xlsx_seconds", "4", "XLSX export", 15, "<=", "s"),
    Target(
        "xlsx_vs_odoo",
        "4",
        "XLSX export ÷ Odoo's own list export",
        0.5,
        "<=",
        "x Odoo's own export",
    ),
    # MB of 10^6 bytes (the memory is measured in MiB)
    Target(
        "xlsx_growth_mb",
        "4",
        "XLSX export: server memory growth",
        150,
        "<=",
        "MB peak growth",
    ),
    Target("trend_vs_sql", "5", "trend ÷ hand-written SQL", 3, "<=", "x the SQL"),
    Target("intake_per_second", "6", "email intake", 20, ">=", "msg/s"),
    Target(
        "intake_vs_peer", "6", "email intake ÷ the peer's", 1, ">=", "x peer", "≥ peer"
    ),
    Target(
        "buttons_query_growth",
        "7",
        "smart buttons: distinct query counts for 1, 10, 80 customers, less one",
        0,
        "<=",
        "query counts",
        "query count independent of the number of customers",
    ),
    # Phase "loyalty": satisfaction surveys and customer health
    Target("rating_job_per_second", "8", "survey job", 20, ">=", "closed cases/s"),
    Target(
        "rating_scanner_recorded",
        "8",
        "survey links opened by a scanner (GET) that recorded a rating",
        0,
        "<=",
        "ratings",
        "{threshold:g} recorded by GET",
    ),
    Target("rating_post_ms", "8", "survey page: POST p50", 200, "<=", "ms"),
    Target("satisfaction_pivot_ms", "9", "satisfaction pivot", 500, "<=", "ms"),
    Target("health_list_ms", "10", "customer 360 of 80 customers", 200, "<=", "ms"),
    Target(
        "health_query_growth",
        "10",
        "customer 360: distinct query counts for 1, 10, 80 customers, less one",
        0,
        "<=",
        "query counts",
        "query count independent of the number of customers",
    ),
    Target("health_nightly_seconds", "11", "nightly health job", 300, "<=", "s"),
    # Phase "sales": the bridges
    # One click of an agent: the wait for it (its throughput is in RESULTS.md)
    Target("lead_p50_ms", "12", "Send to Sales: one send, p50", 500, "<=", "ms"),
    Target("segment_seconds", "13", "segment to a mailing list", 120, "<=", "s"),
    # make bench GROWTH=1: the figure with --growth-factor times the cases
    # (the same open cases) ÷ the same figure at the base size
    Target("growth_queue", "g1", "queue page, growth ÷ base", 1.2, "<=", "x"),
    Target("growth_board", "g2", "board (open), growth ÷ base", 1.5, "<=", "x"),
    Target(
        "growth_take_next",
        "g3",
        "take-next rate, growth ÷ base",
        1 / 1.2,
        ">=",
        "x",
        "≥ {threshold:.2f}x (at most {inverse:g}x slower)",
    ),
    Target("growth_buttons", "g5", "smart buttons, growth ÷ base", 1.5, "<=", "x"),
)
TARGET = {target.key: target for target in TARGETS}

# The growth figures: (name, label, unit, target or None); their values in
# growth_pairs().
GROWTH_ROWS = (
    ("queue", "Queue page (80 rows, My queue)", "ms", "growth_queue"),
    ("board", "Board grouped by stage, open cases", "ms", "growth_board"),
    ("take_next", "Take next (16 clients, takes/s)", "takes/s", "growth_take_next"),
    ("trend", "Trend report over all cases", "ms", None),
    ("buttons", "Customer smart buttons, 80 customers", "ms", "growth_buttons"),
)


def describe(figure):
    """RESULTS.md's target cell for a row of its table: its targets, joined."""
    texts = [t.describe() for t in TARGETS if t.figure == figure]
    if len(texts) == 2:
        return " and ".join(texts)
    return ", ".join(texts)


def figure_met(checks, figure):
    """All the measured targets of ``figure`` met (None: none measured)."""
    mine = [c for c in checks.values() if c["target"].figure == figure]
    return all(c["met"] for c in mine) if mine else None


# --------------------------------------------------------------------------
# The pass/fail check
# --------------------------------------------------------------------------
def xlsx_vs_odoo(xlsx):
    """(kunde's seconds ÷ Odoo's own export's, the ratio is an upper bound).

    When Odoo's export did not finish, the time it ran before failing is a
    lower bound of its time, so kunde ÷ Odoo is an upper bound. (None, False)
    when Odoo's export was not measured.
    """
    theirs = xlsx.get("odoo_export") or {}
    if "error" in theirs and theirs.get("error_after_seconds"):
        return xlsx["seconds"] / theirs["error_after_seconds"], True
    if theirs.get("seconds"):
        return xlsx["seconds"] / theirs["seconds"], False
    return None, False


def growth_pairs(results):
    """{name: (figure at the base size, at growth)} of the growth figures."""
    growth = results.get("growth") or {}
    pairs = {}
    for name, figure in (
        ("queue", "queue"),
        ("board", "board"),
        ("buttons", "buttons_80"),
    ):
        base = results.get("latency", {}).get(figure, {}).get("ms")
        grown = growth.get("latency", {}).get(figure, {}).get("ms")
        pairs[name] = (base, grown)
    pairs["take_next"] = tuple(
        (r.get("take_next") or {}).get("per_second") for r in (results, growth)
    )
    pairs["trend"] = tuple(
        r.get("reports", {}).get("trend", {}).get("ms") for r in (results, growth)
    )
    return {name: pair for name, pair in pairs.items() if None not in pair}


def measured(results):
    """{target key: value} of every target that ``results`` measured."""
    values = {}
    lat = results.get("latency", {})
    if lat:
        queue, peer_queue = lat["queue"], lat["peer_queue"]
        values["queue_ms"] = queue["ms"]
        values["queue_vs_peer"] = queue["ms"] / peer_queue["ms"]
        values["board_ms"] = lat["board"]["ms"]
        values["board_all_ms"] = lat["board_all"]["ms"]
        counts = {lat[f"buttons_{n}"].get("queries") for n in (1, 10, 80)}
        values["buttons_query_growth"] = len(counts) - 1
    take = results.get("take_next")
    if take:
        values["take_per_second"] = take["per_second"]
        values["take_duplicates"] = take["duplicates"]
        values["take_skipped"] = take["skipped"]
    xlsx = results.get("reports", {}).get("xlsx")
    if xlsx:
        values["xlsx_seconds"] = xlsx["seconds"]
        values["xlsx_growth_mb"] = xlsx["peak_delta_mib"] * 2**20 / 10**6
        ratio, _bound = xlsx_vs_odoo(xlsx)
        if ratio is not None:
            values["xlsx_vs_odoo"] = ratio
    trend = results.get("reports", {}).get("trend")
    if trend:
        values["trend_vs_sql"] = trend["ms"] / trend["sql_ms"]
    intake = results.get("intake", {})
    kunde, peer = intake.get("kunde", {}), intake.get("peer", {})
    if "per_second" in kunde:
        values["intake_per_second"] = kunde["per_second"]
        if peer.get("per_second"):
            values["intake_vs_peer"] = kunde["per_second"] / peer["per_second"]
    values.update(loyalty_values(results.get("loyalty") or {}))
    sales = results.get("sales") or {}
    if "leads" in sales:
        values["lead_p50_ms"] = sales["leads"]["p50_ms"]
    if "segment" in sales:
        values["segment_seconds"] = sales["segment"]["seconds"]
    for name, _label, _unit, key in GROWTH_ROWS:
        pair = growth_pairs(results).get(name)
        if key and pair:
            values[key] = pair[1] / pair[0]
    return values


def loyalty_values(loyalty):
    values = {}
    if "rating_requests" in loyalty:
        values["rating_job_per_second"] = loyalty["rating_requests"]["per_second"]
    page = loyalty.get("rating_page")
    if page:
        values["rating_scanner_recorded"] = page["recorded_by_get"]
        if page.get("post_p50_ms") is not None:
            values["rating_post_ms"] = page["post_p50_ms"]
    if "satisfaction_pivot" in loyalty:
        values["satisfaction_pivot_ms"] = loyalty["satisfaction_pivot"]["ms"]
    if "health_80" in loyalty:
        values["health_list_ms"] = loyalty["health_80"]["ms"]
        counts = {loyalty[f"health_{n}"].get("queries") for n in (1, 10, 80)}
        values["health_query_growth"] = len(counts) - 1
    if "health_nightly" in loyalty:
        values["health_nightly_seconds"] = loyalty["health_nightly"]["seconds"]
    return values


def check(results):
    """The pass/fail check: {key: {"target", "value", "met"}} of every
    target measured in ``results``, in the order of the table."""
    values = measured(results)
    return {
        t.key: {"target": t, "value": values[t.key], "met": t.met(values[t.key])}
        for t in TARGETS
        if t.key in values
    }


def missed(results):
    """The targets measured and missed, as short sentences."""
    return [
        f"{c['target'].label}: {c['value']:.3g}, target {c['target'].describe()}"
        for c in check(results).values()
        if not c["met"]
    ]
