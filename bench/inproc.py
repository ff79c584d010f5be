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


@figure
def seed_ratings(env, options):
    """Ratings on about a third of the closed cases with a customer, given a
    day after the close: 60 % satisfied (5), 25 % okay (3), 15 % not (1).

    Set-based SQL (what the survey page does, case by case, through
    ``kunde.case.rating_apply``): the rating rows and the case's stored
    satisfaction fields. Returns the number of ratings.
    """
    Case = env["kunde.case"]
    if "csat_rating" not in Case._fields:
        return {"ratings": 0}
    model_id = env["ir.model"]._get_id("kunde.case")
    team_model_id = env["ir.model"]._get_id("kunde.team")
    env.cr.execute(
        """
        CREATE TEMP TABLE bench_rated AS
        SELECT c.id, c.partner_id, c.team_id, u.partner_id AS agent_partner,
               c.date_closed + interval '1 day' AS rated_on,
               CASE WHEN c.id % 20 < 12 THEN 5 WHEN c.id % 20 < 17 THEN 3 ELSE 1 END
                   AS rate
          FROM kunde_case c
          LEFT JOIN res_users u ON u.id = c.user_id
         WHERE c.is_closed AND c.partner_id IS NOT NULL AND c.date_closed IS NOT NULL
           AND c.csat_rated IS NULL AND c.id % 3 = 0
        """
    )
    env.cr.execute(
        """
        INSERT INTO rating_rating (
            res_model_id, res_model, res_id, res_name, parent_res_model_id,
            parent_res_model, parent_res_id, partner_id, rated_partner_id, rating,
            rating_text, consumed, access_token, feedback, create_uid, write_uid,
            create_date, write_date)
        SELECT %(model)s, 'kunde.case', r.id, c.reference, %(team_model)s,
               'kunde.team', r.team_id, r.partner_id, r.agent_partner, r.rate,
               CASE r.rate WHEN 5 THEN 'top' WHEN 3 THEN 'ok' ELSE 'ko' END, TRUE,
               md5(random()::text || r.id::text), NULL, 1, 1, r.rated_on, r.rated_on
          FROM bench_rated r JOIN kunde_case c ON c.id = r.id
        """,
        {"model": model_id, "team_model": team_model_id},
    )
    ratings = env.cr.rowcount
    env.cr.execute(
        """
        UPDATE kunde_case c
           SET csat_rating = r.rate,
               csat_satisfied = CASE WHEN r.rate = 5 THEN 100 ELSE 0 END,
               csat_rated = 1, csat_rated_on = r.rated_on,
               rating_requested_on = c.date_closed, rating_last_value = r.rate
          FROM bench_rated r
         WHERE r.id = c.id
        """
    )
    env.cr.execute("DROP TABLE bench_rated")
    env.cr.execute("ANALYZE kunde_case")
    env.cr.execute("ANALYZE rating_rating")
    return {"ratings": ratings}


@figure
def rating_requests(env, options):
    """The survey job over ``cases`` freshly closed cases, batch after batch.

    The newest closed cases without a survey are marked as the close marks
    them (``rating_request_pending``); each call of the job is one batch,
    committed as the cron runner commits it. Cases whose customer got a
    survey within the team's minimum days are skipped, as in production.
    """
    Case = env["kunde.case"]
    if not hasattr(Case, "_cron_send_rating_requests"):
        return None
    count = options.get("cases", 1000)
    env.cr.execute(
        """
        UPDATE kunde_case SET rating_request_pending = TRUE
         WHERE id IN (SELECT id FROM kunde_case
                       WHERE is_closed AND rating_requested_on IS NULL
                         AND partner_id IS NOT NULL
                       ORDER BY date_closed DESC LIMIT %s)
        """,
        (count,),
    )
    env.cr.execute("SELECT count(*) FROM mail_mail")
    mails_before = env.cr.fetchone()[0]
    env.cr.commit()
    started, calls = time.perf_counter(), 0
    while True:
        env.cr.execute("SELECT 1 FROM kunde_case WHERE rating_request_pending LIMIT 1")
        if not env.cr.fetchone():
            break
        Case._cron_send_rating_requests()
        env.cr.commit()
        env.invalidate_all()
        calls += 1
    seconds = time.perf_counter() - started
    env.cr.execute("SELECT count(*) FROM mail_mail")
    sent = env.cr.fetchone()[0] - mails_before
    env.cr.execute(
        "SELECT access_token FROM rating_rating WHERE res_model = 'kunde.case' "
        "AND consumed IS NOT TRUE ORDER BY id DESC LIMIT %s",
        (options.get("tokens", 100),),
    )
    tokens = [token for (token,) in env.cr.fetchall()]
    return {
        "cases": count,
        "seconds": seconds,
        "per_second": count / seconds if seconds else None,
        "surveys": sent,
        "calls": calls,
        "tokens": tokens,
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
