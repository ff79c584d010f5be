import random
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent")]

CHANNELS = [
    ("email", "Email"),
    ("phone", "Phone"),
    ("web", "Web Form"),
    ("portal", "Customer Portal"),
    ("chat", "Chat"),
    ("letter", "Letter"),
    ("other", "Other"),
]

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


class KundeCase(models.Model):
    _name = "kunde.case"
    _description = "Customer Service Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    # The queue's order: urgent first, then oldest first (served by an index).
    _order = "priority desc, date_received, id"
    _rec_names_search = ["reference", "name"]
    _check_company_auto = True
    _mail_post_access = "read"

    def _default_stage_id(self):
        team = self.env["kunde.team"].browse(self.env.context.get("default_team_id"))
        return self.env["kunde.case.stage"].search(
            self.env["kunde.case.stage"]._for_team_domain(team)
            + [("is_closed", "=", False)],
            limit=1,
        )

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: _("New"),
        help="Unique case number, quoted by the customer in emails: SAK-000123.",
    )
    name = fields.Char(string="Subject", required=True, tracking=True)
    description = fields.Html(sanitize_style=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        ondelete="restrict",
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Commercial Customer",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    email_from = fields.Char(
        string="Email",
        compute="_compute_email_from",
        store=True,
        readonly=False,
        index="trigram",
    )
    phone = fields.Char(compute="_compute_phone", store=True, readonly=False)
    channel = fields.Selection(
        CHANNELS, required=True, default="phone", index=True, tracking=True
    )
    category_id = fields.Many2one(
        "kunde.case.category",
        index=True,
        tracking=True,
        ondelete="restrict",
        check_company=True,
    )
    tag_ids = fields.Many2many("kunde.case.tag", string="Tags")
    priority = fields.Selection(
        PRIORITIES, default="0", required=True, index=True, tracking=True
    )
    stage_id = fields.Many2one(
        "kunde.case.stage",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
        copy=False,
        default=_default_stage_id,
        group_expand="_read_group_expand_stage_id",
        domain="['|', ('team_ids', '=', False), ('team_ids', 'in', team_id)]",
    )
    team_id = fields.Many2one(
        "kunde.team",
        index=True,
        tracking=True,
        ondelete="restrict",
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Agent",
        index=True,
        tracking=True,
        copy=False,
        domain=[("share", "=", False)],
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_received = fields.Datetime(
        string="Received", required=True, index=True, default=fields.Datetime.now
    )
    date_assigned = fields.Datetime(
        string="Assigned",
        compute="_compute_date_assigned",
        store=True,
        readonly=False,
        index=True,
        copy=False,
    )
    date_first_response = fields.Datetime(
        string="First Response", index=True, copy=False, readonly=True
    )
    date_closed = fields.Datetime(
        string="Closed On",
        compute="_compute_date_closed",
        store=True,
        readonly=False,
        index=True,
        copy=False,
    )
    is_closed = fields.Boolean(
        string="Closed", related="stage_id.is_closed", store=True, index=True
    )
    active = fields.Boolean(default=True)
    age = fields.Char(compute="_compute_age", help="Time since the case was received.")
    color = fields.Integer(string="Color Index")

    _sql_constraints = [
        ("reference_uniq", "unique (reference)", "The case reference must be unique."),
    ]

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("partner_id")
    def _compute_email_from(self):
        for case in self:
            if case.partner_id.email:
                case.email_from = case.partner_id.email

    @api.depends("partner_id")
    def _compute_phone(self):
        for case in self:
            if case.partner_id.phone or case.partner_id.mobile:
                case.phone = case.partner_id.phone or case.partner_id.mobile

    @api.depends("team_id", "partner_id")
    def _compute_company_id(self):
        for case in self:
            company = case.team_id.company_id or case.partner_id.company_id
            if company:
                case.company_id = company
            elif not case.company_id:
                case.company_id = self.env.company

    @api.depends("user_id")
    def _compute_date_assigned(self):
        now = fields.Datetime.now()
        for case in self:
            case.date_assigned = now if case.user_id else False

    @api.depends("stage_id.is_closed")
    def _compute_date_closed(self):
        now = fields.Datetime.now()
        for case in self:
            if not case.stage_id.is_closed:
                case.date_closed = False
            elif not case.date_closed:
                case.date_closed = now

    @api.depends("date_received")
    @api.depends_context("uid")
    def _compute_age(self):
        now = fields.Datetime.now()
        for case in self:
            if not case.date_received:
                case.age = False
                continue
            minutes = max(int((now - case.date_received).total_seconds() // 60), 0)
            if minutes < 60:
                case.age = _("%(minutes)s min", minutes=minutes)
            elif minutes < 48 * 60:
                case.age = _("%(hours)s h", hours=minutes // 60)
            else:
                case.age = _("%(days)s d", days=minutes // (24 * 60))

    @api.depends("reference", "name")
    def _compute_display_name(self):
        for case in self:
            case.display_name = f"[{case.reference}] {case.name or ''}".strip()

    @api.model
    def _read_group_expand_stage_id(self, stages, domain):
        """Show every stage of the board's team as a column, even empty ones."""
        team = self.env["kunde.team"].browse(self.env.context.get("default_team_id"))
        return stages.search(
            stages._for_team_domain(team) if team else [], order=stages._order
        )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("name")
    def _check_name(self):
        for case in self:
            if not (case.name or "").strip():
                raise ValidationError(_("A case needs a subject."))

    @api.constrains("stage_id", "team_id")
    def _check_stage_team(self):
        for case in self:
            teams = case.stage_id.team_ids
            if teams and case.team_id and case.team_id not in teams:
                raise ValidationError(
                    _(
                        "The stage %(stage)s is not used by the team %(team)s.",
                        stage=case.stage_id.name,
                        team=case.team_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    def init(self):
        # The queue: open, unassigned cases, urgent first then oldest first.
        # take-next and "My queue" read the head of this index.
        tools.create_index(
            self.env.cr,
            "kunde_case_queue_idx",
            self._table,
            ["priority DESC", "date_received", "id"],
            where="user_id IS NULL AND active",
        )

    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if not vals.get("reference") or vals["reference"] == _("New"):
                vals["reference"] = sequence.next_by_code("kunde.case")
            if not (vals.get("name") or "").strip():
                raise ValidationError(_("A case needs a subject."))
        return super().create(vals_list)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for case, vals in zip(self, vals_list, strict=True):
            vals.setdefault("name", _("%(subject)s (copy)", subject=case.name))
        return vals_list

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_take_next(self):
        """Give the first case of the caller's queue to the caller.

        Works on no particular record: the button on My queue calls it with the
        selected rows (ignored), over RPC call it with empty ids:
        ``execute_kw(db, uid, pw, "kunde.case", "action_take_next", [[]])``.

        The head of the queue is locked in PostgreSQL with ``FOR UPDATE SKIP
        LOCKED``: two agents (or two server workers) calling at the same moment
        lock different rows, so no case is handed out twice and none is skipped.
        The query is built by the ORM, so record rules (companies, private
        teams) apply.
        """
        user = self.env.user
        teams = self.env["kunde.team"].search([("member_ids", "in", user.id)])
        if not teams:
            raise UserError(
                _(
                    "You are not a member of any customer service team, so you have "
                    "no queue. Ask a manager to add you to a team."
                )
            )
        query = self._search(self._queue_domain(teams), order=self._order, limit=1)
        # execute_query flushes the pending writes the query depends on.
        rows = self.env.execute_query(
            SQL(
                "%s FOR UPDATE OF %s SKIP LOCKED",
                query.select(),
                SQL.identifier(self._table),
            )
        )
        if not rows:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": _("Your queue is empty"),
                    "message": _(
                        "There is no open, unassigned case in your teams right now."
                    ),
                    "type": "info",
                    "sticky": False,
                },
            }
        case = self.browse(rows[0][0])
        case._assign_to(user)
        return case._action_open_form()

    def action_take(self):
        """Take these cases (from the board or the list)."""
        self._assign_to(self.env.user)
        return True

    def action_close(self):
        for team, cases in self.grouped("team_id").items():
            stage = self._closed_stage_for(team)
            if not stage:
                raise UserError(
                    _(
                        "There is no closing stage for the team %(team)s: add one "
                        "under Configuration > Stages.",
                        team=team.name or _("(no team)"),
                    )
                )
            cases.filtered(lambda case: not case.is_closed).stage_id = stage
        return True

    def action_reopen(self):
        for team, cases in self.filtered("is_closed").grouped("team_id").items():
            new_stage, progress_stage = self._open_stages_for(team)
            if not new_stage:
                raise UserError(
                    _(
                        "There is no open stage for the team %(team)s.",
                        team=team.name or _("(no team)"),
                    )
                )
            cases.filtered("user_id").stage_id = progress_stage
            cases.filtered(lambda case: not case.user_id).stage_id = new_stage
        return True

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------
    def _message_get_suggested_recipients(self):
        """Suggest the customer as recipient when an agent answers."""
        recipients = super()._message_get_suggested_recipients()
        if self.partner_id:
            self._message_add_suggested_recipient(
                recipients, partner=self.partner_id, reason=_("Customer")
            )
        elif self.email_from:
            self._message_add_suggested_recipient(
                recipients, email=self.email_from, reason=_("Customer Email")
            )
        return recipients

    def _action_open_form(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "views": [(False, "form")],
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    @api.model
    def _queue_domain(self, teams):
        return [
            ("is_closed", "=", False),
            ("user_id", "=", False),
            ("team_id", "in", teams.ids),
            ("company_id", "in", self.env.companies.ids),
        ]

    def _assign_to(self, user):
        """Assign to ``user``; a case still in its team's first stage moves on."""
        for team, cases in self.grouped("team_id").items():
            new_stage, progress_stage = self._open_stages_for(team)
            waiting = cases.filtered_domain([("stage_id", "=", new_stage.id)])
            cases.user_id = user
            if waiting and progress_stage:
                waiting.stage_id = progress_stage

    @api.model
    def _open_stages_for(self, team):
        """(first open stage, "in progress" stage) of a team."""
        Stage = self.env["kunde.case.stage"]
        stages = Stage.search(
            Stage._for_team_domain(team) + [("is_closed", "=", False)], limit=2
        )
        if not stages:
            return Stage, Stage
        return stages[0], stages[-1]

    @api.model
    def _closed_stage_for(self, team):
        Stage = self.env["kunde.case.stage"]
        return Stage.search(
            Stage._for_team_domain(team) + [("is_closed", "=", True)], limit=1
        )

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------
    @api.model
    def _demo_generate(self, count=200):
        """Customers and cases for the demo database, from a fixed seed.

        Dates are relative to the day of installation so the board, the queue
        and the reports always show "the last 90 days".
        """
        rng = random.Random(20260401)
        partners = self._demo_create_customers(rng)
        categories = self.env["kunde.case.category"].search([])
        tags = self.env["kunde.case.tag"].search([])
        teams = self.env["kunde.team"].search([])
        stages = self.env["kunde.case.stage"].search([])
        new_stage, progress_stage = self._open_stages_for(teams[:1])
        closed_stage = self._closed_stage_for(teams[:1])
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
            stage = self._demo_stage(
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
        self.with_context(tracking_disable=True, mail_notrack=True).create(vals_list)
        return True

    @api.model
    def _demo_stage(self, age_days, roll, stages):
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
    def _demo_create_customers(self, rng):
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
