"""Bench data: customers, teams, agents and cases at scale, for kunde_crm and its peer.

Run inside Odoo (``$VENV/bin/python bench/generate.py --conf ... --db ...``) on a
database that has kunde_crm (and, for the side-by-side figures, OCA's
helpdesk_mgmt) installed.

What goes through the ORM (batched creates, tracking and mail disabled):
customers (``res.partner``), agents (``res.users``), teams, stages, categories,
tags, channels, the alias domain.  What goes through SQL (``COPY``): the 200,000
cases and the 200,000 tickets, because the ORM needs about an hour for them on
two cores.  The SQL rows are built by ``case_row``/``ticket_row``, which compute
every stored field the way the ORM does (reference from the sequence,
commercial partner, email and phone from the customer, company, ``is_closed``
from the stage, ``date_closed`` only on closed cases...).  Two checks keep them
honest, and the generation fails when either finds a difference:

* ``check_against_orm``: sample values are created through the ORM (in a
  savepoint that is rolled back) and the ORM's row is compared, column by
  column, with the row the SQL path writes for the same values;
* ``check_invariants``: SQL counts over all rows (commercial partner, stage and
  closing date, assignment, unique references, the sequence's next number).

Stored fields that a newer kunde_crm adds and ``case_row`` does not know are
filled by the ORM itself (recompute or default) before the checks run.

This file: the configuration and customers through the ORM, the case values,
the run. The SQL path (rows, COPY, the checks): generate_rows.py; what the
data is made of (names, subjects, teams, mixes): generate_words.py.

The ages, stages and assignments follow a service that keeps up with most of its
inflow: old cases are solved, the queue (open, unassigned) is the last weeks'
backlog, about 3.5% of all cases.
"""

import argparse
import bisect
import json
import random
import time
from datetime import datetime, timedelta

from generate_rows import RowPath, log
from generate_words import (
    ALIAS_DOMAIN,
    BENCH_PASSWORD,
    CATEGORIES,
    CHANNELS,
    CITIES,
    COMPANY_TRADES,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    PEER_ALIAS,
    PEER_CHANNEL_XMLID,
    PEER_STAGE_XMLID,
    PRIORITIES,
    SEED,
    STAGE_BY_AGE,
    SUBJECTS,
    TAGS,
    TEAMS,
    YEARS,
)

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry


def ascii_local(text):
    table = str.maketrans({"å": "a", "ø": "o", "æ": "ae", "Å": "a", "Ø": "o"})
    return text.lower().translate(table).replace(" ", "")


def weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class Generator(RowPath):
    def __init__(self, env, cases, customers, seed):
        self.env = env
        self.cr = env.cr
        self.n_cases = cases
        self.n_customers = customers
        self.rng = random.Random(seed)
        self.now = datetime.utcnow().replace(microsecond=0)
        self.peer = "helpdesk.ticket" in env
        self.stats = {"cases": cases, "customers": customers, "seed": seed}

    # ------------------------------------------------------------------
    # Configuration through the ORM
    # ------------------------------------------------------------------
    def make_config(self):
        env = self.env
        self.company = env.ref("base.main_company")
        self.stages = {
            "new": env.ref("kunde_crm.stage_new"),
            "progress": env.ref("kunde_crm.stage_in_progress"),
            "waiting": env.ref("kunde_crm.stage_waiting"),
            "solved": env.ref("kunde_crm.stage_solved"),
        }
        Category = env["kunde.case.category"]
        self.categories = Category
        for parent_name, children in CATEGORIES.items():
            parent = Category.create({"name": parent_name})
            self.categories |= parent | Category.create(
                [{"name": name, "parent_id": parent.id} for name in children]
            )
        self.tags = env["kunde.case.tag"].create(
            [{"name": name, "color": i % 11 + 1} for i, name in enumerate(TAGS)]
        )
        self.make_agents()
        Team = env["kunde.team"]
        self.teams = Team
        for index, (name, _share, _agents) in enumerate(TEAMS):
            members = self.team_members[index]
            self.teams |= Team.create(
                {
                    "name": name,
                    "sequence": index + 1,
                    "user_id": members[0].id,
                    "member_ids": [(6, 0, members.ids)],
                }
            )
        self.team_weights = [share for _name, share, _agents in TEAMS]
        # The domain of the team aliases (email intake figure).
        domain = env["mail.alias.domain"].search([("name", "=", ALIAS_DOMAIN)])
        if not domain:
            domain = env["mail.alias.domain"].create({"name": ALIAS_DOMAIN})
        self.company.alias_domain_id = domain
        self.stats.update(
            categories=len(self.categories),
            tags=len(self.tags),
            teams=len(self.teams),
            agents=len(self.agents),
        )
        if self.peer:
            self.make_peer_config()

    def make_agents(self):
        env = self.env
        groups = env.ref("kunde_crm.kunde_crm_group_agent")
        if self.peer:
            groups |= env.ref("helpdesk_mgmt.group_helpdesk_user")
        total = sum(agents for _name, _share, agents in TEAMS)
        names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
        self.rng.shuffle(names)
        Users = env["res.users"].with_context(no_reset_password=True)
        self.agents = Users.create(
            [
                {
                    "name": names[i],
                    "login": f"agent{i + 1:02d}",
                    "email": f"agent{i + 1:02d}@kundeservice.example.no",
                    "lang": "nb_NO",
                    "tz": "Europe/Oslo",
                    "groups_id": [(6, 0, groups.ids)],
                }
                for i in range(total)
            ]
        )
        # One hash for all: hashing 60 passwords costs half a minute (600k rounds).
        hashed = env["res.users"]._crypt_context().hash(BENCH_PASSWORD)
        self.cr.execute(
            "UPDATE res_users SET password = %s WHERE id IN %s",
            (hashed, tuple(self.agents.ids)),
        )
        # First team in order; agents 1-4 (Kundeservice) also work Faktura, the
        # first two of Faktura also help Teknisk support.
        self.team_members = []
        start = 0
        for _name, _share, count in TEAMS:
            self.team_members.append(self.agents[start : start + count])
            start += count
        self.team_members[1] |= self.team_members[0][:4]
        self.team_members[2] |= self.team_members[1][:2]

    def make_peer_config(self):
        env = self.env
        PCategory = env["helpdesk.ticket.category"]
        self.peer_categories = {}
        for category in self.categories:
            self.peer_categories[category.id] = PCategory.create(
                {
                    "name": category.name,
                    "parent_id": self.peer_categories[category.parent_id.id].id
                    if category.parent_id
                    else False,
                }
            )
        self.peer_tags = {
            tag.id: env["helpdesk.ticket.tag"].create(
                {"name": tag.name, "color": tag.color}
            )
            for tag in self.tags
        }
        self.peer_channels = {
            code: env.ref(xmlid) for code, xmlid in PEER_CHANNEL_XMLID.items()
        }
        for code, name in (("portal", "Portal"), ("chat", "Chat"), ("letter", "Brev")):
            self.peer_channels[code] = env["helpdesk.ticket.channel"].create(
                {"name": name}
            )
        self.peer_stages = {
            key: env.ref(xmlid) for key, xmlid in PEER_STAGE_XMLID.items()
        }
        self.peer_teams = {}
        for index, team in enumerate(self.teams):
            self.peer_teams[team.id] = env["helpdesk.ticket.team"].create(
                {
                    "name": team.name,
                    "sequence": index + 1,
                    "user_id": team.user_id.id,
                    "user_ids": [(6, 0, team.member_ids.ids)],
                    "alias_name": PEER_ALIAS if index == 0 else False,
                }
            )

    # ------------------------------------------------------------------
    # Customers through the ORM
    # ------------------------------------------------------------------
    def make_customers(self):
        rng, env = self.rng, self.env
        Partner = env["res.partner"]
        norway = env.ref("base.no")
        n_companies = max(1, self.n_customers // 5)
        n_persons = max(1, self.n_customers // 5)
        n_contacts = max(0, self.n_customers - n_companies - n_persons)
        used_domains = set()

        def phone():
            return f"+47 {rng.choice('49')}{rng.randint(1000000, 9999999)}"

        company_vals = []
        for i in range(n_companies):
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)}"
            city = rng.choice(CITIES)
            domain = f"{ascii_local(name)}{i}.example.no"
            used_domains.add(domain)
            company_vals.append(
                {
                    "name": f"{name} {city} AS",
                    "is_company": True,
                    "email": f"post@{domain}",
                    "phone": phone(),
                    "city": city,
                    "country_id": norway.id,
                    "lang": "nb_NO",
                }
            )
        started = time.time()
        companies = self.create_batched(Partner, company_vals)
        # Contacts: each company has 1-5, bigger ones more.
        contact_vals = []
        for i in range(n_contacts):
            # every company gets one contact, the others go to random companies
            company = companies[i if i < n_companies else rng.randrange(n_companies)]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            domain = company.email.split("@")[1]
            contact_vals.append(
                {
                    "name": f"{first} {last}",
                    "parent_id": company.id,
                    "type": "contact",
                    "email": f"{ascii_local(first)}.{ascii_local(last)}{i}@{domain}",
                    "phone": phone() if rng.random() < 0.8 else False,
                    "lang": "nb_NO",
                }
            )
        contacts = self.create_batched(Partner, contact_vals)
        person_vals = []
        for i in range(n_persons):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            person_vals.append(
                {
                    "name": f"{first} {last}",
                    "email": (
                        f"{ascii_local(first)}.{ascii_local(last)}{i}"
                        "@epost.example.no"
                    )
                    if rng.random() < 0.97
                    else False,
                    "phone": phone(),
                    "city": rng.choice(CITIES),
                    "country_id": norway.id,
                    "lang": "nb_NO" if rng.random() < 0.85 else "en_US",
                }
            )
        persons = self.create_batched(Partner, person_vals)
        log(
            f"{len(companies)} companies, {len(contacts)} contacts, {len(persons)} "
            f"persons in {time.time() - started:.0f} s"
        )
        # Who writes: contacts and private persons mostly, some companies directly.
        # A few customers write a lot (Pareto weights).
        self.customers = companies | contacts | persons
        writers = list(contacts | persons)
        weights = [rng.paretovariate(1.2) for _ in writers]
        company_list = list(companies)
        company_weights = [rng.paretovariate(1.2) for _ in company_list]
        self.writer_pool = (writers, weights, company_list, company_weights)
        self.partner_data = {
            p["id"]: p
            for p in self.customers.read(
                ["commercial_partner_id", "email", "phone", "mobile", "name"]
            )
        }
        self.stats.update(
            customer_companies=len(companies),
            customer_contacts=len(contacts),
            customer_persons=len(persons),
        )

    def create_batched(self, Model, vals_list, size=2000):
        records = Model.browse()
        for start in range(0, len(vals_list), size):
            records |= Model.create(vals_list[start : start + size])
            self.env.flush_all()
            self.env.invalidate_all()
        return records

    # ------------------------------------------------------------------
    # Case values (one list of plain dicts, shared by both models)
    # ------------------------------------------------------------------
    def make_case_values(self):
        rng = self.rng
        span = YEARS * 365 * 86400
        received = sorted(
            self.now - timedelta(seconds=rng.randint(60, span))
            for _ in range(self.n_cases)
        )
        writers, weights, companies, company_weights = self.writer_pool
        cum_writers = _cumulative(weights)
        cum_companies = _cumulative(company_weights)
        categories = list(self.categories)
        tag_ids = self.tags.ids
        team_list = list(self.teams)
        members = {team.id: team.member_ids.ids for team in self.teams}
        values = []
        for date_received in received:
            if rng.random() < 0.1:
                partner = companies[_pick(rng, cum_companies)]
            else:
                partner = writers[_pick(rng, cum_writers)]
            team = rng.choices(team_list, weights=self.team_weights)[0]
            category = rng.choice(categories)
            age_days = (self.now - date_received).total_seconds() / 86400
            state = self._state(age_days)
            vals = {
                "name": rng.choice(SUBJECTS),
                "partner_id": partner.id,
                "channel": weighted(rng, CHANNELS),
                "category_id": category.id,
                "priority": weighted(rng, PRIORITIES),
                "team_id": team.id,
                "state": state,
                "date_received": date_received,
                "tag_ids": rng.sample(tag_ids, k=rng.choice([0, 0, 0, 0, 1, 1, 2])),
                "user_id": False,
                "date_assigned": False,
                "date_first_response": False,
                "date_closed": False,
            }
            vals["description"] = (
                f"<p>Hei,</p><p>{vals['name']}. Kan dere hjelpe meg med dette?</p>"
                f"<p>Mvh {partner.name}</p>"
            )
            if state != "new":
                assigned = min(
                    date_received + timedelta(minutes=rng.randint(5, 240)), self.now
                )
                vals["user_id"] = rng.choice(members[team.id])
                vals["date_assigned"] = assigned
                if state != "progress" or rng.random() < 0.5:
                    vals["date_first_response"] = min(
                        assigned + timedelta(minutes=rng.randint(5, 600)), self.now
                    )
                if state == "solved":
                    vals["date_closed"] = min(
                        (vals["date_first_response"] or assigned)
                        + timedelta(hours=rng.randint(1, 96)),
                        self.now,
                    )
            values.append(vals)
        return values

    def _state(self, age_days):
        roll = self.rng.random()
        for limit, (new, progress, waiting) in STAGE_BY_AGE:
            if limit is None or age_days < limit:
                if roll < new:
                    return "new"
                if roll < new + progress:
                    return "progress"
                if roll < new + progress + waiting:
                    return "waiting"
                return "solved"
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------
    def run(self):
        started = time.time()
        self.make_config()
        self.make_customers()
        t0 = time.time()
        values = self.make_case_values()
        log(f"{len(values)} case values in {time.time() - t0:.0f} s")
        # 10 cases of each state (unassigned, in progress, waiting, solved), 20 more
        picked = set(self.rng.sample(range(len(values)), min(20, len(values))))
        for state in ("new", "progress", "waiting", "solved"):
            of_state = [i for i, v in enumerate(values) if v["state"] == state]
            picked |= set(self.rng.sample(of_state, min(10, len(of_state))))
        sample = [(i, values[i]) for i in sorted(picked)]
        self.check_against_orm(
            "kunde.case", sample, self.case_orm_vals, self.case_row, "reference"
        )
        if self.peer:
            self.check_against_orm(
                "helpdesk.ticket",
                sample,
                self.ticket_orm_vals,
                self.ticket_row,
                "number",
            )
        t0 = time.time()
        self.load(
            "kunde.case",
            [self.case_row(v, f"SAK-{i:06d}") for i, v in enumerate(values, 1)],
            [v["tag_ids"] for v in values],
        )
        self.set_sequence("kunde.case", len(values) + 1)
        log(f"cases loaded in {time.time() - t0:.0f} s")
        if self.peer:
            t0 = time.time()
            self.load(
                "helpdesk.ticket",
                [self.ticket_row(v, f"HT{i:05d}") for i, v in enumerate(values, 1)],
                [[self.peer_tags[t].id for t in v["tag_ids"]] for v in values],
            )
            self.set_sequence("helpdesk.ticket.sequence", len(values) + 1)
            log(f"tickets loaded in {time.time() - t0:.0f} s")
        self.env.invalidate_all()
        self.check_invariants()
        self.stats.update(self.describe(values))
        self.stats["generated_at"] = self.now.isoformat()
        self.stats["generation_seconds"] = round(time.time() - started)
        self.stats["peer"] = self.peer
        self.env["ir.config_parameter"].set_param(
            "kunde_crm_bench.meta", json.dumps(self.stats)
        )
        log(f"done in {time.time() - started:.0f} s: {json.dumps(self.stats)}")

    def describe(self, values):
        states = {}
        for vals in values:
            states[vals["state"]] = states.get(vals["state"], 0) + 1
        return {
            "by_state": states,
            "queue": states.get("new", 0),
            "date_from": values[0]["date_received"].isoformat() if values else None,
        }


def _cumulative(weights):
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _pick(rng, cumulative):
    return min(
        bisect.bisect_left(cumulative, rng.random() * cumulative[-1]),
        len(cumulative) - 1,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=SEED)
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
                "no_reset_password": True,
                "lang": "en_US",
            },
        )
        Generator(env, args.cases, args.customers, args.seed).run()
        cr.commit()


if __name__ == "__main__":
    main()
