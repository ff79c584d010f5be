"""Phase "growth" (make bench GROWTH=1): kunde_crm's figures with ten times the history.

The growth database holds ``--growth-factor`` times the cases of the bench
template, the extra ones closed and older (bench/grow.py): the same open
cases, the same queue, the same customers with open cases. The figures that
must not grow with history are measured on it exactly as on the base data:
queue page, board (open cases), take-next, trend report, customer smart
buttons; RESULTS.md sets them side by side (bench/targets.py: the ratios).
"""

import time

from common import log
from databases import data_info, drop_db, ensure_growth_template, prepare_working_db
from phase_latency import GROWTH_FIGURES, latency_phase
from phase_reports import reports_phase
from phase_take_next import take_next_phase
from prepare import machine_load


def growth_phase(ctx, results, base_template, phases):
    started = time.time()
    growth_ctx = ctx.for_growth()
    template, built = ensure_growth_template(ctx, base_template)
    prepare_working_db(growth_ctx, template)
    growth = {"latency": {}}
    results["growth"] = growth
    growth["data"] = data_info(growth_ctx, template, built)
    counts = growth["data"]["counts"]
    log(
        f"growth database {growth_ctx.db}: {counts['cases']:,} cases, "
        f"{counts['open']:,} open, {growth['data']['database_size']}"
    )
    for phase, function in (
        ("latency", lambda: latency_phase(growth_ctx, growth, only=GROWTH_FIGURES)),
        ("reports", lambda: reports_phase(growth_ctx, growth, only=("trend",))),
        ("take_next", lambda: take_next_phase(growth_ctx, growth)),
    ):
        if phase in phases:
            machine_load(phase, growth)
            function()
    growth["seconds"] = round(time.time() - started)
    if not ctx.args.keep:
        drop_db(growth_ctx, growth_ctx.db)
