"""Figures measured inside Odoo, on the working copy (the bench's own process).

``$VENV/bin/python bench/inproc.py --conf C --db D --figure NAME --out out.json``

Each figure is what a scheduled action or a wizard does in one server
process; it runs as the cron runner (or the user) would run it, committing
where the cron runner commits, and writes its numbers to ``out.json``.
"""

import argparse
import json
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

FIGURES = {}


def figure(function):
    FIGURES[function.__name__] = function
    return function


@figure
def health_nightly(env, options):
    """The nightly health job over every customer, batch after batch.

    Each call of ``_cron_kunde_health`` is one batch, committed afterwards as
    Odoo 18's cron runner commits after each ``_notify_progress``.
    """
    Partner = env["res.partner"]
    if not hasattr(Partner, "_cron_kunde_health"):
        return None
    # Every customer is due (as on the first night).
    env.cr.execute("UPDATE res_partner SET kunde_health_date = NULL")
    env.cr.commit()
    batches, done, started = [], 0, time.perf_counter()
    while True:
        t0 = time.perf_counter()
        count = Partner.with_context(lang="en_US")._cron_kunde_health()
        env.cr.commit()
        env.invalidate_all()
        if not count:
            break
        batches.append(round(time.perf_counter() - t0, 3))
        done += count
    seconds = time.perf_counter() - started
    env.cr.execute("SELECT kunde_health, count(*) FROM res_partner GROUP BY 1")
    spread = {str(k): v for k, v in env.cr.fetchall()}
    return {
        "seconds": seconds,
        "partners": done,
        "per_second": done / seconds if seconds else None,
        "batches": len(batches),
        "batch_seconds_median": sorted(batches)[len(batches) // 2] if batches else None,
        "batch_seconds_max": max(batches) if batches else None,
        "health_spread": spread,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--figure", required=True, choices=sorted(FIGURES))
    parser.add_argument("--options", default="{}")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        result = FIGURES[args.figure](env, json.loads(args.options))
        cr.commit()
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=1, default=str)


if __name__ == "__main__":
    main()
