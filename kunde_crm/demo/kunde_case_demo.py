"""Demo data of kunde_crm: customers and 200 cases over the last 90 days.

Called by demo/kunde_crm_demo.xml (demo databases only) and by the demo test.
"""

import random
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

DEMO_COMPANIES = [
    ("Bergen Bakeri AS", "bergenbakeri.example.no", "Bergen"),
    ("Nordlys Elektro AS", "nordlyselektro.example.no", "Tromsø"),
    ("Vestland Bygg AS", "vestlandbygg.example.no", "Førde"),
    ("Oslo Sykkelverksted AS", "oslosykkel.example.no", "Oslo"),
    ("Lofoten Reiseliv AS", "lofotenreiseliv.example.no", "Svolvær"),
    ("Trondheim Trykkeri AS", "trondheimtrykkeri.example.no", "Trondheim"),
    ("Stavanger Marine AS", "stavangermarine.example.no", "Stavanger"),
    ("Hamar Gartneri AS", "hamargartneri.example.no", "Hamar"),
    ("Bodø Regnskap AS", "bodoregnskap.example.no", "Bodø"),
    ("Kristiansand Møbler AS", "krsmobler.example.no", "Kristiansand"),
    ("Ålesund Design AS", "aalesunddesign.example.no", "Ålesund"),
    ("Drammen Dekk AS", "drammendekk.example.no", "Drammen"),
    ("Molde Kaffebrenneri AS", "moldekaffe.example.no", "Molde"),
    ("Lillehammer Sport AS", "lillehammersport.example.no", "Lillehammer"),
    ("Fredrikstad Fisk AS", "fredrikstadfisk.example.no", "Fredrikstad"),
]
DEMO_PEOPLE = [
    (first, last)
    for first in (
        "Anne",
        "Per",
        "Kari",
        "Jon",
        "Marit",
        "Erik",
        "Silje",
        "Håkon",
        "Nora",
        "Magnus",
    )
    for last in ("Johansen", "Olsen", "Larsen", "Andersen", "Pedersen")
]
# What customers write with their rating (5, 3, 1) in the survey.
DEMO_FEEDBACK = {
    5: ["Rask og hyggelig hjelp, takk!", "Veldig fornøyd.", "Enkelt og greit."],
    3: ["Det tok litt tid, men ble løst.", "Greit nok."],
    1: ["Måtte purre to ganger.", "Fikk ikke svar på spørsmålet mitt."],
}

DEMO_SUBJECTS = {
    "Faktura og betaling": [
        "Spørsmål om faktura",
        "Når forfaller fakturaen?",
        "Ønsker e-faktura",
        "Betalt to ganger",
    ],
    "Feil på faktura": [
        "Feil beløp på faktura",
        "Fakturaen har feil adresse",
        "Mangler rabatt på faktura",
    ],
    "Purring og inkasso": [
        "Fått purring på betalt faktura",
        "Ber om betalingsutsettelse",
    ],
    "Levering": ["Hvor er pakken min?", "Endre leveringsadresse"],
    "Forsinket levering": ["Varen er ikke kommet", "Levering forsinket en uke"],
    "Produktspørsmål": [
        "Passer delen til min modell?",
        "Spørsmål om garanti",
        "Har dere dette på lager?",
    ],
    "Reklamasjon": [
        "Varen kom i stykker",
        "Reklamasjon på produkt",
        "Feil vare levert",
    ],
    "Avtale og oppsigelse": ["Ønsker å si opp avtalen", "Endring av avtale"],
    "Teknisk hjelp": ["Appen krasjer", "Får ikke koblet til"],
    "Innlogging og tilgang": [
        "Får ikke logget inn",
        "Glemt passord",
        "Trenger tilgang for ny ansatt",
    ],
    None: ["Generell henvendelse", "Ønsker å bli kontaktet", "Tilbakemelding"],
}


def _demo_person(name, domain, rng, company=None):
    first, last = name
    local = f"{first}.{last}".lower().translate(
        str.maketrans({"å": "a", "ø": "o", "æ": "ae"})
    )
    return {
        "name": f"{first} {last}",
        "parent_id": company.id if company else False,
        "email": f"{local}@{domain}",
        "phone": f"+47 9{rng.randint(1000000, 9999999)}",
    }


class KundeCaseDemo(models.AbstractModel):
    _name = "kunde.case.demo"
    _description = "Customer Service Demo Data"

    @api.model
    def _generate(self, count=200):
        """Customers and cases for the demo database, from a fixed seed.

        Dates are relative to the day of installation so the board, the queue
        and the reports always show "the last 90 days".
        """
        Case = self.env["kunde.case"]
        rng = random.Random(20260401)
        partners = self._create_customers(rng)
        categories = self.env["kunde.case.category"].search([])
        tags = self.env["kunde.case.tag"].search([])
        teams = self.env["kunde.team"].search([])
        stages = self.env["kunde.case.stage"].search([])
        new_stage, progress_stage = Case._open_stages_for(teams[:1])
        closed_stage = Case._closed_stage_for(teams[:1])
        waiting_stage = stages.filtered(
            lambda s: not s.is_closed and s not in (new_stage, progress_stage)
        )[:1]
        now = fields.Datetime.now()
        channels = ["email"] * 5 + ["phone"] * 3 + ["portal"] * 2 + ["web", "chat"]
        vals_list = []
        for _i in range(count):
            category = rng.choice(categories)
            subject = rng.choice(DEMO_SUBJECTS.get(category.name, DEMO_SUBJECTS[None]))
            partner = rng.choice(partners)
            team = rng.choice(teams)
            # A sixth of the cases arrived in the last three days: the live queue.
            recent = rng.random() < 0.17
            max_minutes = (3 if recent else 90) * 24 * 60
            received = now - timedelta(minutes=rng.randint(10, max_minutes))
            stage = self._stage(
                (now - received).days,
                rng.random(),
                (
                    new_stage,
                    progress_stage,
                    waiting_stage or progress_stage,
                    closed_stage,
                ),
            )
            vals = {
                "name": subject,
                "description": f"<p>{subject}. Mvh {partner.name}</p>",
                "partner_id": partner.id,
                "channel": rng.choice(channels),
                "category_id": category.id,
                "priority": rng.choices(["0", "1", "2"], weights=[75, 18, 7])[0],
                "team_id": team.id,
                "stage_id": stage.id,
                "date_received": received,
                "tag_ids": [
                    (
                        6,
                        0,
                        rng.sample(
                            tags.ids, k=min(len(tags), rng.choice([0, 0, 0, 1]))
                        ),
                    )
                ],
            }
            if stage != new_stage:
                assigned = received + timedelta(minutes=rng.randint(5, 240))
                vals.update(
                    user_id=rng.choice(team.member_ids.ids),
                    date_assigned=assigned,
                    date_first_response=assigned
                    + timedelta(minutes=rng.randint(5, 600)),
                )
                if stage.is_closed:
                    vals["date_closed"] = min(
                        vals["date_first_response"]
                        + timedelta(hours=rng.randint(1, 96)),
                        now,
                    )
            vals_list.append(vals)
        cases = Case.with_context(tracking_disable=True, mail_notrack=True).create(
            vals_list
        )
        self._conversations(cases.sorted("date_received", reverse=True)[:25])
        self._ratings(cases.filtered("is_closed"), rng)
        # Customer health as the nightly job would decide it.
        partners.commercial_partner_id._kunde_health_refresh()
        # One customer who logs in to the portal: kunde.portal / kunde.portal
        portal_partner = partners.filtered("parent_id")[:1]
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": portal_partner.name,
                "login": "kunde.portal",
                "password": "kunde.portal",
                "partner_id": portal_partner.id,
                "lang": "nb_NO"
                if self.env["res.lang"]._get_data(code="nb_NO")
                else "en_US",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        # A private person asked to be forgotten: the board shows their cases
        # anonymised, and the erasure log has its first line.
        forgotten = partners.filtered(
            lambda p: not p.is_company and not p.parent_id and p.kunde_case_ids
        )[:1]
        forgotten.with_user(
            self.env.ref("base.user_admin")
        )._kunde_erase_personal_data()
        return True

    @api.model
    def _conversations(self, cases):
        """The customer's message and, once taken, the agent's answer.

        No recipients: demo data sends no email; the portal shows the answers.
        """
        ctx = {"mail_notify_force_send": False, "mail_create_nosubscribe": True}
        for case in cases.with_context(**ctx):
            if case.partner_id:
                case.message_post(
                    body=Markup("<p>%s</p><p>Mvh %s</p>")
                    % (case.name, case.partner_id.name),
                    author_id=case.partner_id.id,
                    message_type="email" if case.channel == "email" else "comment",
                    subtype_xmlid="mail.mt_comment",
                )
            if case.user_id:
                case.with_user(case.user_id).message_post(
                    body=Markup("<p>Hei %s,</p><p>%s</p>")
                    % (
                        (case.partner_id.name or "").split(" ")[0],
                        "takk for henvendelsen. Vi har sett på saken og ordner det i "
                        "dag. Si fra om noe er uklart.",
                    ),
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )

    @api.model
    def _ratings(self, cases, rng):
        """Two thirds of the closed cases' customers answered the survey, most
        of them satisfied; some wrote a comment."""
        now = fields.Datetime.now()
        for case in cases.sudo():
            roll = rng.random()
            if roll < 0.35:
                continue
            rate = 5 if roll < 0.8 else 3 if roll < 0.92 else 1
            feedback = rng.choice(DEMO_FEEDBACK[rate]) if rng.random() < 0.5 else None
            case.rating_apply(
                rate, token=case._rating_get_access_token(), feedback=feedback
            )
            rated_on = min(case.date_closed + timedelta(hours=rng.randint(1, 48)), now)
            case.write(
                {"rating_requested_on": case.date_closed, "csat_rated_on": rated_on}
            )

    @api.model
    def _stage(self, age_days, roll, stages):
        """Old cases are solved; the queue holds the last few days' cases."""
        new, progress, waiting, closed = stages
        if age_days < 3:
            table = [(0.45, new), (0.70, progress), (0.80, waiting), (1.0, closed)]
        elif age_days < 14:
            table = [(0.05, new), (0.25, progress), (0.40, waiting), (1.0, closed)]
        else:
            table = [(0.03, waiting), (1.0, closed)]
        return next(stage for limit, stage in table if roll < limit)

    @api.model
    def _create_customers(self, rng):
        Partner = self.env["res.partner"]
        companies = Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "email": f"post@{domain}",
                    "website": f"https://www.{domain}",
                    "city": city,
                    "country_id": self.env.ref("base.no").id,
                }
                for name, domain, city in DEMO_COMPANIES
            ]
        )
        names = list(DEMO_PEOPLE)
        rng.shuffle(names)
        contacts = []
        # 15 companies, 20 contacts (two for the first five), 5 private persons.
        for index, company in enumerate(companies):
            domain = company.email.split("@")[1]
            for _i in range(2 if index < 5 else 1):
                contacts.append(_demo_person(names.pop(), domain, rng, company))
        for _i in range(5):
            contacts.append(_demo_person(names.pop(), "epost.example.no", rng))
        return companies | Partner.create(contacts)
