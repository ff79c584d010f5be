"""The growth database's history: closed cases older than the bench data (in Odoo).

Run inside Odoo (``$VENV/bin/python bench/grow.py --conf ... --db ... --cases
2000000``) on a copy of the bench template (bench/generate.py's data, kunde_crm
updated).  It adds cases until the database holds ``--cases``, without
touching what is there: the open cases, the queue and the customers' open
cases stay exactly the same; only history grows.

The new cases are all solved (assigned, answered, closed), received before the
oldest case of the template at the template's own rate (200,000 cases over 2
years: 1,800,000 more go over the 18 years before), by the same customers in
the same proportions (each customer writes as many old cases, on average, as
the template gives them recent ones).  Teams, categories, channels, priorities
and tags are drawn as generate.py draws them.

Only one block of the history (``--block`` cases, by default one year at the
template's rate: a whole number of weeks) goes through generate.py's own SQL
path (generate_rows.py: ``case_row``, ``load``: COPY, then the ORM fills the
stored fields it does not know: business hours, SLA), in batches of
``--batch`` cases; grow_copies.py then repeats the block further back in time
with set-based SQL, every date shifted back by whole weeks (weekdays and hours
of day, hence the business-hours figures, stay valid; public holidays and
daylight saving time do not repeat by weeks), until the database holds
``--cases``. The checks run again (sample rows against the ORM, a sample of
copies recomputed by the ORM, the invariants over all rows), and the open load
is compared before and after.  helpdesk_mgmt's tickets are not grown: the peer
is not measured at this size.
"""

import argparse
import json
import time
from datetime import timedelta

from generate import Generator, _cumulative, _pick, weighted
from generate_rows import log
from generate_words import CHANNELS, PRIORITIES, SEED, SUBJECTS, TEAMS, YEARS
from grow_copies import Replicator, check_copies

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

OPEN_LOAD = """
    SELECT count(*) FILTER (WHERE NOT is_closed),
           count(*) FILTER (WHERE NOT is_closed AND user_id IS NULL),
           count(DISTINCT commercial_partner_id) FILTER (WHERE NOT is_closed),
           count(*), min(date_received)
    FROM kunde_case
"""


class History(Generator):
    def __init__(self, env, cases, seed, batch, block=0):
        param = env["ir.config_parameter"].get_param("kunde_crm_bench.meta")
        self.meta = json.loads(param or "{}")
        # Another stream than generate.py's (seed): the template stays as it is.
        super().__init__(env, cases, self.meta.get("customers", 0), seed + 1)
        self.batch = batch
        self.block = block

    def load_config(self):
        """What generate.py made, read back from the database."""
        env = self.env
        self.company = env.ref("base.main_company")
        self.stages = {
            "new": env.ref("kunde_crm.stage_new"),
            "progress": env.ref("kunde_crm.stage_in_progress"),
            "waiting": env.ref("kunde_crm.stage_waiting"),
            "solved": env.ref("kunde_crm.stage_solved"),
        }
        self.categories = env["kunde.case.category"].search([])
        self.tags = env["kunde.case.tag"].search([])
        shares = {name: share for name, share, _agents in TEAMS}
        self.teams = env["kunde.team"].search([("name", "in", list(shares))])
        self.team_weights = [shares[team.name] for team in self.teams]
        # The customers, weighted by the cases they have.
        self.cr.execute(
            "SELECT partner_id, count(*) FROM kunde_case GROUP BY partner_id "
            "ORDER BY partner_id"
        )
        writers = self.cr.fetchall()
        self.writers = [partner_id for partner_id, _count in writers]
        self.cum_writers = _cumulative([count for _id, count in writers])
        partners = env["res.partner"].browse(self.writers)
        self.partner_data = {
            p["id"]: p
            for p in partners.read(
                ["commercial_partner_id", "email", "phone", "mobile", "name"]
            )
        }
        self.env.invalidate_all()

    def history_values(self, received):
        """Values of solved cases received at ``received`` (sorted)."""
        rng = self.rng
        categories = self.categories.ids
        tag_ids = self.tags.ids
        team_ids = self.teams.ids
        members = {team.id: team.member_ids.ids for team in self.teams}
        names = {p["id"]: p["name"] for p in self.partner_data.values()}
        values = []
        for date_received in received:
            partner_id = self.writers[_pick(rng, self.cum_writers)]
            team_id = rng.choices(team_ids, weights=self.team_weights)[0]
            subject = rng.choice(SUBJECTS)
            assigned = date_received + timedelta(minutes=rng.randint(5, 240))
            answered = assigned + timedelta(minutes=rng.randint(5, 600))
            values.append(
                {
                    "name": subject,
                    "partner_id": partner_id,
                    "channel": weighted(rng, CHANNELS),
                    "category_id": rng.choice(categories),
                    "priority": weighted(rng, PRIORITIES),
                    "team_id": team_id,
                    "state": "solved",
                    "date_received": date_received,
                    "tag_ids": rng.sample(tag_ids, k=rng.choice([0, 0, 0, 0, 1, 1, 2])),
                    "user_id": rng.choice(members[team_id]),
                    "date_assigned": assigned,
                    "date_first_response": answered,
                    "date_closed": answered + timedelta(hours=rng.randint(1, 96)),
                    "description": (
                        f"<p>Hei,</p><p>{subject}. Kan dere hjelpe meg med dette?"
                        f"</p><p>Mvh {names[partner_id]}</p>"
                    ),
                }
            )
        return values

    def run(self):
        started = time.time()
        cr = self.cr
        cr.execute(OPEN_LOAD)
        before = cr.fetchone()
        present, oldest = before[3], before[4]
        todo = self.n_cases - present
        if todo <= 0:
            raise SystemExit(f"the database has {present} cases already")
        self.load_config()
        # The template's rate: its cases over YEARS years. The block is a whole
        # number of weeks of history at that rate (one year by default); the
        # copies repeat it further back, each shifted by the block's weeks.
        per_year = present / YEARS
        block = min(todo, self.block or round(per_year))
        weeks = max(1, round(block / per_year * 365 / 7))
        copies = -(-todo // block) - 1
        newest = oldest - timedelta(minutes=1)
        rng = self.rng
        seconds = weeks * 7 * 86400
        received = sorted(
            newest - timedelta(seconds=rng.uniform(0, seconds)) for _ in range(block)
        )
        span = timedelta(weeks=weeks * (copies + 1))
        log(
            f"{todo:,} closed cases from about {newest - span:%Y-%m-%d}: a block of "
            f"{block:,} ({weeks} weeks, from {received[0]:%Y-%m-%d}) through the ORM, "
            f"in batches of {self.batch:,}, then {copies} copies of it in SQL"
        )
        # The block takes the last references: the copies, older, come first.
        number = present + todo - block
        block_ids = []
        for start in range(0, block, self.batch):
            t0 = time.time()
            values = self.history_values(received[start : start + self.batch])
            if not start:
                sample = list(enumerate(values[:20], 1))
                self.check_against_orm(
                    "kunde.case", sample, self.case_orm_vals, self.case_row, "reference"
                )
            rows = [
                self.case_row(vals, f"SAK-{number + i:06d}")
                for i, vals in enumerate(values, 1)
            ]
            written = set(rows[0])
            block_ids += self.load("kunde.case", rows, [v["tag_ids"] for v in values])
            number += len(values)
            del rows, values
            self.env.invalidate_all()
            log(f"block: {len(block_ids):,} cases ({time.time() - t0:.0f} s)")
        fill_seconds = time.time() - started
        t0 = time.time()
        replicated = Replicator(self.env, block_ids, weeks).run(todo - block, present)
        log(f"{todo - block:,} copies in {time.time() - t0:.0f} s")
        self.set_sequence("kunde.case", present + todo + 1)
        differing = {
            "block": check_copies(self.env, block_ids, rng, written, "block (control)"),
            "copies": check_copies(self.env, replicated, rng, written),
        }
        self.check_invariants()
        cr.execute(OPEN_LOAD)
        after = cr.fetchone()
        if after[:3] != before[:3]:
            raise SystemExit(
                f"the open load changed: open, queue, customers with open cases "
                f"{before[:3]} -> {after[:3]}"
            )
        if after[3] != self.n_cases:
            raise SystemExit(f"{after[3]:,} cases instead of {self.n_cases:,}")
        self.meta.update(
            cases=after[3],
            history_cases=todo,
            history_from=after[4].isoformat(),
            history_years=round(span.days / 365, 1),
            history_block=block,
            history_block_weeks=weeks,
            history_copies_recomputed_differing=differing,
            history_block_seconds=round(fill_seconds),
            history_seconds=round(time.time() - started),
        )
        self.env["ir.config_parameter"].set_param(
            "kunde_crm_bench.meta", json.dumps(self.meta)
        )
        log(f"done in {time.time() - started:.0f} s: {after[3]:,} cases")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--cases", type=int, default=2_000_000, help="in all")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument(
        "--block",
        type=int,
        default=0,
        help="cases generated through the ORM and then copied (0: one year's)",
    )
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.conf, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(
            cr,
            SUPERUSER_ID,
            {
                "tracking_disable": True,
                "mail_create_nolog": True,
                "mail_create_nosubscribe": True,
                "mail_notrack": True,
                "lang": "en_US",
            },
        )
        History(env, args.cases, args.seed, args.batch, args.block).run()
        cr.commit()


if __name__ == "__main__":
    main()
