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

The ages, stages and assignments follow a service that keeps up with most of its
inflow: old cases are solved, the queue (open, unassigned) is the last weeks'
backlog, about 3.5% of all cases.
"""

import argparse
import bisect
import csv
import io
import json
import random
import sys
import time
from datetime import datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

SEED = 20260401
YEARS = 2
BENCH_PASSWORD = "bench"
ALIAS_DOMAIN = "bench.example.com"
PEER_ALIAS = "support"

CATEGORIES = {
    "Faktura og betaling": [
        "Feil på faktura",
        "Purring og inkasso",
        "E-faktura og AvtaleGiro",
        "Kreditnota",
    ],
    "Levering": ["Forsinket levering", "Skadet sending", "Endre leveringsadresse"],
    "Produkt": ["Produktspørsmål", "Reklamasjon", "Garanti", "Reservedeler"],
    "Avtale": ["Ny avtale", "Oppsigelse", "Prisendring"],
    "Teknisk hjelp": ["Innlogging og tilgang", "Feilmelding", "Integrasjon"],
    "Konto og profil": ["Endre kontaktinfo", "Personvern"],
    "Klage": ["Klage på kundeservice", "Klage på pris"],
    "Generelt": ["Tilbakemelding"],
}
SUBJECTS = [
    "Spørsmål om faktura",
    "Feil beløp på faktura",
    "Fått purring på betalt faktura",
    "Hvor er pakken min?",
    "Varen kom i stykker",
    "Ønsker å si opp avtalen",
    "Får ikke logget inn",
    "Appen krasjer ved innlogging",
    "Ønsker e-faktura",
    "Endre leveringsadresse",
    "Spørsmål om garanti",
    "Har dere dette på lager?",
    "Betalt to ganger",
    "Feil vare levert",
    "Ber om betalingsutsettelse",
    "Trenger tilgang for ny ansatt",
    "Tilbakemelding på service",
    "Ønsker å bli kontaktet",
]
TAGS = [
    "VIP",
    "Gjentakende",
    "Eskalert",
    "Ny kunde",
    "Bedrift",
    "Privat",
    "Haster svar",
    "Venter på leverandør",
    "Feil i system",
    "Kompensasjon",
]
# (name, share of the cases, agents whose first team it is)
TEAMS = [
    ("Kundeservice", 0.30, 16),
    ("Faktura", 0.15, 9),
    ("Teknisk support", 0.10, 7),
    ("Bedrift", 0.065, 4),
    ("Levering", 0.065, 4),
    ("Reklamasjon", 0.064, 4),
    ("Avtaler", 0.064, 4),
    ("Nettbutikk", 0.064, 4),
    ("Partnere", 0.064, 4),
    ("Eskalering", 0.064, 4),
]
FIRST_NAMES = (
    "Anne Per Kari Jon Marit Erik Silje Håkon Nora Magnus Ingrid Ole Lars Sofie "
    "Jonas Ida Emil Thea Sander Maja Henrik Emma Tobias Sara Kristian Julie Martin "
    "Hanna Andreas Ingeborg Sindre Tone Geir Hilde Bjørn Randi Trond Liv Knut Åse"
).split()
LAST_NAMES = (
    "Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen "
    "Dahl Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen "
    "Iversen Strand Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken "
    "Kristoffersen Mathisen Lie Amundsen"
).split()
COMPANY_WORDS = (
    "Nord Sør Vest Øst Fjord Fjell Kyst Elv Skog Bre Havn Lys Stein Tind Vik Dal "
    "Nes Berg Hav Sol"
).split()
COMPANY_TRADES = (
    "Bakeri Elektro Bygg Sykkel Reiseliv Trykkeri Marine Gartneri Regnskap Møbler "
    "Design Dekk Kaffe Sport Fisk Transport Data Rør Maling Eiendom"
).split()
CITIES = (
    "Oslo Bergen Trondheim Stavanger Tromsø Bodø Ålesund Kristiansand Drammen "
    "Fredrikstad Hamar Molde Lillehammer Førde Svolvær"
).split()
CHANNELS = [
    ("email", 45),
    ("phone", 25),
    ("portal", 12),
    ("web", 10),
    ("chat", 5),
    ("letter", 2),
    ("other", 1),
]
PRIORITIES = [("0", 75), ("1", 18), ("2", 7)]
# Age of the case (days) -> probabilities of (new, in progress, waiting, solved).
STAGE_BY_AGE = [
    (3, (0.60, 0.20, 0.05)),
    (30, (0.35, 0.15, 0.10)),
    (120, (0.08, 0.04, 0.04)),
    (None, (0.01, 0.005, 0.005)),
]
# kunde_crm -> helpdesk_mgmt
PEER_PRIORITY = {"0": "1", "1": "2", "2": "3"}
PEER_STAGE_XMLID = {
    "new": "helpdesk_mgmt.helpdesk_ticket_stage_new",
    "progress": "helpdesk_mgmt.helpdesk_ticket_stage_in_progress",
    "waiting": "helpdesk_mgmt.helpdesk_ticket_stage_awaiting",
    "solved": "helpdesk_mgmt.helpdesk_ticket_stage_done",
}
PEER_CHANNEL_XMLID = {
    "email": "helpdesk_mgmt.helpdesk_ticket_channel_email",
    "phone": "helpdesk_mgmt.helpdesk_ticket_channel_phone",
    "web": "helpdesk_mgmt.helpdesk_ticket_channel_web",
    "other": "helpdesk_mgmt.helpdesk_ticket_channel_other",
}


class _RollBack(Exception):
    """Undo the ORM sample of ``check_against_orm``."""


MAGIC_COLUMNS = {"id", "create_uid", "create_date", "write_uid", "write_date"}


def log(message):
    print(f"[generate] {message}", file=sys.stderr, flush=True)


def ascii_local(text):
    table = str.maketrans({"å": "a", "ø": "o", "æ": "ae", "Å": "a", "Ø": "o"})
    return text.lower().translate(table).replace(" ", "")


def weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class Generator:
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
    # Rows, as the ORM would store them
    # ------------------------------------------------------------------
    def case_orm_vals(self, vals, reference):
        """The values an integrator passes to ``kunde.case.create``."""
        orm = {
            key: vals[key]
            for key in (
                "name",
                "description",
                "partner_id",
                "channel",
                "category_id",
                "priority",
                "team_id",
                "date_received",
                "user_id",
                "date_assigned",
                "date_first_response",
                "date_closed",
            )
            if vals[key] or key in ("name",)
        }
        orm["reference"] = reference
        orm["stage_id"] = self.stages[vals["state"]].id
        orm["tag_ids"] = [(6, 0, vals["tag_ids"])]
        return orm

    def case_row(self, vals, reference):
        partner = self.partner_data[vals["partner_id"]]
        stage = self.stages[vals["state"]]
        last_change = (
            vals["date_closed"] or vals["date_assigned"] or vals["date_received"]
        )
        return {
            "reference": reference,
            "name": vals["name"],
            "description": vals["description"],
            "partner_id": vals["partner_id"],
            "commercial_partner_id": partner["commercial_partner_id"][0],
            "email_from": partner["email"] or None,
            "phone": partner["phone"] or partner["mobile"] or None,
            "channel": vals["channel"],
            "category_id": vals["category_id"],
            "priority": vals["priority"],
            "stage_id": stage.id,
            "team_id": vals["team_id"],
            "user_id": vals["user_id"] or None,
            "company_id": self.company.id,
            "date_received": vals["date_received"],
            "date_assigned": vals["date_assigned"] or None,
            "date_first_response": vals["date_first_response"] or None,
            "date_closed": vals["date_closed"] if stage.is_closed else None,
            "is_closed": stage.is_closed,
            "active": True,
            "color": None,
            "create_uid": SUPERUSER_ID,
            "create_date": vals["date_received"],
            "write_uid": vals["user_id"] or SUPERUSER_ID,
            "write_date": last_change,
        }

    def ticket_orm_vals(self, vals, number):
        partner = self.partner_data[vals["partner_id"]]
        orm = {
            "number": number,
            "name": vals["name"],
            "description": vals["description"],
            "partner_id": vals["partner_id"],
            # What the form's onchange fills in from the customer.
            "partner_name": partner["name"],
            "partner_email": partner["email"] or False,
            "channel_id": self.peer_channels[vals["channel"]].id,
            "category_id": self.peer_categories[vals["category_id"]].id,
            "priority": PEER_PRIORITY[vals["priority"]],
            "team_id": self.peer_teams[vals["team_id"]].id,
            "stage_id": self.peer_stages[vals["state"]].id,
            "tag_ids": [(6, 0, [self.peer_tags[t].id for t in vals["tag_ids"]])],
            "last_stage_update": vals["date_closed"]
            or vals["date_assigned"]
            or vals["date_received"],
        }
        # Explicit, also when unassigned: with "auto assign" on (the default),
        # default_get would assign the ticket to whoever creates it.
        orm["user_id"] = vals["user_id"] or False
        if vals["user_id"]:
            orm["assigned_date"] = vals["date_assigned"]
        if vals["date_closed"]:
            orm["closed_date"] = vals["date_closed"]
        return orm

    def ticket_row(self, vals, number):
        partner = self.partner_data[vals["partner_id"]]
        stage = self.peer_stages[vals["state"]]
        last_change = (
            vals["date_closed"] or vals["date_assigned"] or vals["date_received"]
        )
        return {
            "number": number,
            "name": vals["name"],
            "description": vals["description"],
            "notes": None,
            "partner_id": vals["partner_id"],
            "commercial_partner_id": partner["commercial_partner_id"][0],
            "partner_name": partner["name"],
            "partner_email": partner["email"] or None,
            "channel_id": self.peer_channels[vals["channel"]].id,
            "category_id": self.peer_categories[vals["category_id"]].id,
            "priority": PEER_PRIORITY[vals["priority"]],
            "team_id": self.peer_teams[vals["team_id"]].id,
            "stage_id": stage.id,
            "user_id": vals["user_id"] or None,
            "company_id": self.company.id,
            "last_stage_update": last_change,
            "assigned_date": vals["date_assigned"] or None,
            "closed_date": vals["date_closed"] or None,
            "unattended": stage.unattended,
            "kanban_state": None,
            "sequence": 10,
            "color": None,
            "active": True,
            "duplicate_id": None,
            "access_token": None,
            "email_cc": None,
            "properties": None,
            "create_uid": SUPERUSER_ID,
            "create_date": vals["date_received"],
            "write_uid": vals["user_id"] or SUPERUSER_ID,
            "write_date": last_change,
        }

    # ------------------------------------------------------------------
    # Bulk load
    # ------------------------------------------------------------------
    def load(self, model_name, rows, tags):
        """COPY ``rows`` into the model's table and ``tags`` into its tag table."""
        Model = self.env[model_name]
        table = Model._table
        self.env.flush_all()
        self.cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        base = self.cr.fetchone()[0]
        columns = ["id", *rows[0].keys()]
        self.check_columns(Model, columns)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for offset, row in enumerate(rows, start=1):
            writer.writerow(
                [base + offset] + [_csv_value(value) for value in row.values()]
            )
        buffer.seek(0)
        self.cr._obj.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN "
            "WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )
        self.cr.execute(
            f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))"
        )
        field = Model._fields["tag_ids"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for offset, tag_ids in enumerate(tags, start=1):
            for tag_id in tag_ids:
                writer.writerow([base + offset, tag_id])
        buffer.seek(0)
        self.cr._obj.copy_expert(
            f"COPY {field.relation} ({field.column1}, {field.column2}) FROM STDIN "
            "WITH (FORMAT csv)",
            buffer,
        )
        ids = list(range(base + 1, base + len(rows) + 1))
        self.complete_unknown_fields(Model, ids, set(columns), rows)
        return ids

    def check_columns(self, Model, columns):
        unknown = set(columns) - set(self._columns(Model._table))
        if unknown:
            raise SystemExit(f"{Model._name}: no such columns {sorted(unknown)}")

    def _columns(self, table):
        self.cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            (table,),
        )
        return [name for (name,) in self.cr.fetchall()]

    def complete_unknown_fields(self, Model, ids, known, rows):
        """Stored fields this generator does not know (added to kunde_crm later):
        the ORM fills them (recompute, or default), all in one pass over the
        rows; then the rows get their own write date and author back."""
        todo = [
            field
            for name, field in Model._fields.items()
            if field.store
            and field.column_type
            and name not in known
            and name not in MAGIC_COLUMNS
        ]
        computed = [field for field in todo if field.compute]
        defaults = Model.default_get([f.name for f in todo if not f.compute])
        defaults = {k: v for k, v in defaults.items() if v not in (None, False)}
        if not computed and not defaults:
            return
        names = [f.name for f in computed] + sorted(defaults)
        log(f"{Model._name}: unknown to the generator, filled by the ORM: {names}")
        records = Model.browse(ids)
        for start in range(0, len(ids), 5000):
            batch = records[start : start + 5000]
            for field in computed:
                self.env.add_to_compute(field, batch)
            if defaults:
                batch.write(defaults)
            batch.flush_recordset(names)
            self.env.invalidate_all()
        # The ORM wrote "now" into write_date: give the rows theirs back.
        self.cr.execute(
            "CREATE TEMP TABLE bench_log_access (id int, write_date timestamp, "
            "write_uid int) ON COMMIT DROP"
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for record_id, row in zip(ids, rows, strict=True):
            writer.writerow(
                [record_id, _csv_value(row["write_date"]), row["write_uid"]]
            )
        buffer.seek(0)
        self.cr._obj.copy_expert(
            "COPY bench_log_access FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )
        self.cr.execute(
            f"UPDATE {Model._table} t SET write_date = b.write_date, "
            "write_uid = b.write_uid FROM bench_log_access b WHERE t.id = b.id"
        )
        self.cr.execute("DROP TABLE bench_log_access")

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    def check_against_orm(self, model_name, samples, orm_vals, row, label_field):
        """The SQL path against the ORM, for ``samples``.

        In a savepoint that is rolled back: the samples are created through the
        ORM, and loaded again through ``load`` (the SQL path, including the ORM
        completion of unknown fields); both rows must be equal, column by column.
        """
        Model = self.env[model_name].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        tags_field = Model._fields["tag_ids"]
        differences = []

        def fetch(ids):
            self.cr.execute(
                f"SELECT id, row_to_json(t) FROM {Model._table} t WHERE id IN %s",
                (tuple(ids),),
            )
            rows = dict(self.cr.fetchall())
            self.cr.execute(
                f"SELECT {tags_field.column1}, {tags_field.column2} "
                f"FROM {tags_field.relation} WHERE {tags_field.column1} IN %s",
                (tuple(ids),),
            )
            tags = {}
            for record_id, tag_id in self.cr.fetchall():
                tags.setdefault(record_id, []).append(tag_id)
            return [(rows[i], sorted(tags.get(i, []))) for i in ids]

        try:
            with self.cr.savepoint():
                records = Model.create(
                    [orm_vals(vals, f"BENCH-ORM-{i}") for i, vals in samples]
                )
                self.env.flush_all()
                by_orm = fetch(records.ids)
                sql_rows = [row(vals, f"BENCH-SQL-{i}") for i, vals in samples]
                sql_tags = [orm_vals(vals, "")["tag_ids"][0][2] for _i, vals in samples]
                by_sql = fetch(self.load(model_name, sql_rows, sql_tags))
                raise _RollBack
        except _RollBack:
            self.env.invalidate_all()
        for (orm_row, orm_tags), (sql_row, sql_tags) in zip(
            by_orm, by_sql, strict=True
        ):
            for column, value in orm_row.items():
                if column in MAGIC_COLUMNS or column == label_field:
                    continue
                if _normalise(sql_row.get(column)) != _normalise(value):
                    differences.append((column, sql_row.get(column), value))
            if orm_tags != sql_tags:
                differences.append(("tag_ids", sql_tags, orm_tags))
        if differences:
            for column, expected, actual in differences[:20]:
                log(f"{model_name}.{column}: SQL path {expected!r} != ORM {actual!r}")
            raise SystemExit(
                f"{model_name}: the SQL rows differ from what the ORM stores "
                f"({len(differences)} differences): fix case_row/ticket_row"
            )
        log(f"{model_name}: {len(samples)} sample rows identical to the ORM's")

    def check_invariants(self):
        cr = self.cr
        checks = {
            "commercial partner differs from the customer's": """
                SELECT count(*) FROM kunde_case c
                JOIN res_partner p ON p.id = c.partner_id
                WHERE c.commercial_partner_id
                      IS DISTINCT FROM p.commercial_partner_id""",
            "is_closed differs from the stage's": """
                SELECT count(*) FROM kunde_case c
                JOIN kunde_case_stage s ON s.id = c.stage_id
                WHERE c.is_closed IS DISTINCT FROM COALESCE(s.is_closed, false)
                  AND NOT (c.is_closed IS NULL AND s.is_closed IS NULL)""",
            "closed without closing date, or open with one": """
                SELECT count(*) FROM kunde_case
                WHERE (is_closed AND date_closed IS NULL)
                   OR (NOT COALESCE(is_closed, false) AND date_closed IS NOT NULL)""",
            "assigned without date, or unassigned with one": """
                SELECT count(*) FROM kunde_case
                WHERE (user_id IS NULL) <> (date_assigned IS NULL)""",
            "unassigned outside New": """
                SELECT count(*) FROM kunde_case c
                WHERE user_id IS NULL AND stage_id <> %(new)s""",
            "duplicate references": """
                SELECT count(*) - count(DISTINCT reference) FROM kunde_case""",
            "email differs from the customer's": """
                SELECT count(*) FROM kunde_case c
                JOIN res_partner p ON p.id = c.partner_id
                WHERE c.email_from IS DISTINCT FROM NULLIF(p.email, '')""",
        }
        if self.peer:
            checks.update(
                {
                    "ticket commercial partner differs": """
                        SELECT count(*) FROM helpdesk_ticket t
                        JOIN res_partner p ON p.id = t.partner_id
                        WHERE t.commercial_partner_id
                              IS DISTINCT FROM p.commercial_partner_id""",
                    "ticket unattended differs from the stage's": """
                        SELECT count(*) FROM helpdesk_ticket t
                        JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
                        WHERE t.unattended IS DISTINCT FROM s.unattended""",
                    "ticket closed without closing date": """
                        SELECT count(*) FROM helpdesk_ticket t
                        JOIN helpdesk_ticket_stage s ON s.id = t.stage_id
                        WHERE s.closed AND t.closed_date IS NULL""",
                }
            )
        failures = {}
        for label, query in checks.items():
            cr.execute(query, {"new": self.stages["new"].id})
            count = cr.fetchone()[0]
            if count:
                failures[label] = count
        # The sequence goes on after the last generated reference.
        seq = self.env["ir.sequence"].search([("code", "=", "kunde.case")], limit=1)
        if seq.number_next_actual != self.n_cases + 1:
            failures["sequence number_next"] = seq.number_next_actual
        if failures:
            raise SystemExit(f"data invariants broken: {failures}")
        log("invariants hold over all rows")

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

    def set_sequence(self, code, number_next):
        seq = self.env["ir.sequence"].search([("code", "=", code)], limit=1)
        seq.write({"number_next": number_next})
        self.env.flush_all()

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


def _csv_value(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _json_default(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    raise TypeError(value)


def _normalise(value):
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        return value[:19]
    if isinstance(value, dict):  # translated / json columns
        return json.dumps(value, sort_keys=True)
    return value


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
