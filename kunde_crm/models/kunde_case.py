import logging
import random
import re
from datetime import timedelta
from email.utils import getaddresses

from markupsafe import Markup

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, email_normalize, html2plaintext, sql

_logger = logging.getLogger(__name__)

# "[SAK-000123]" in a subject: how a reply without threading headers finds its case.
REFERENCE_IN_SUBJECT = re.compile(r"\[\s*([A-Z]{2,10}-\d{3,})\s*\]", re.IGNORECASE)
# At most this many acknowledgements per sender and hour (mail loop protection).
ACKNOWLEDGEMENT_LIMIT = 5
AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")
# Invoice references a customer writes: the number in the journal's format
# (INV/2026/00012, FAKT/2026/00012), "faktura 12345" / "fakturanr. 12345", and
# payment references such as Norwegian KID numbers.
INVOICE_NUMBER = re.compile(r"\b[A-Z]{2,10}/\d{4}/\d{2,}\b", re.IGNORECASE)
INVOICE_PHRASE = re.compile(
    r"\b(?:faktura|fakturanr|fakturanummer|invoice|invoice no)\.?\s*(?:nr\.?|no\.?)?"
    r"\s*[:#]?\s*(\d{3,12})\b",
    re.IGNORECASE,
)
KID_NUMBER = re.compile(r"(?<![\d/])\d{6,25}(?![\d/])")

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
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    # The queue's order: urgent first, then oldest first (served by an index).
    _order = "priority desc, date_received, id"
    _rec_names_search = ["reference", "name"]
    _check_company_auto = True
    _mail_post_access = "read"

    def _default_team_id(self):
        team_id = self.env.context.get("default_team_id")
        if team_id:
            return self.env["kunde.team"].browse(team_id)
        if self.env.user.share:  # customers belong to no team
            return self.env["kunde.team"]
        return self.env["kunde.team"].search(
            [
                ("member_ids", "in", self.env.uid),
                ("company_id", "in", self.env.companies.ids),
            ],
            limit=1,
        )

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
        # Indexed by its unique constraint (reference_uniq); a second index
        # would only cost every insert.
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
        default=_default_team_id,
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
    ack_pending = fields.Boolean(
        string="Acknowledgement Pending",
        copy=False,
        readonly=True,
        help="A new case from email or the portal waits for its acknowledgement, "
        "which a scheduled action sends seconds later.",
    )
    in_my_queue = fields.Boolean(
        compute="_compute_in_my_queue",
        search="_search_in_my_queue",
        help="Open and unassigned, in one of my teams.",
    )
    color = fields.Integer(string="Color Index")
    invoice_ids = fields.Many2many(
        "account.move",
        "kunde_case_account_move_rel",
        "case_id",
        "move_id",
        string="Invoices",
        copy=False,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund')),"
        " ('commercial_partner_id', '=', commercial_partner_id)]",
        help="Customer invoices and credit notes this case is about.",
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    partner_total_due = fields.Monetary(
        string="Customer Total Due",
        currency_field="company_currency_id",
        compute="_compute_partner_receivable",
        help="Open balance of the customer's posted invoices and credit notes.",
    )
    partner_overdue_amount = fields.Monetary(
        string="Customer Overdue Amount",
        currency_field="company_currency_id",
        compute="_compute_partner_receivable",
    )
    partner_overdue_count = fields.Integer(
        string="Customer Overdue Invoices", compute="_compute_partner_receivable"
    )
    hours_to_first_response = fields.Float(
        compute="_compute_hours",
        store=True,
        aggregator="avg",
        help="Hours from received to the first answer to the customer.",
    )
    hours_to_close = fields.Float(
        compute="_compute_hours",
        store=True,
        aggregator="avg",
        help="Hours from received to closed.",
    )
    origin_case_id = fields.Many2one(
        "kunde.case",
        string="Follows Up On",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The closed case the customer wrote about again: a reply after the "
        "team's reopen window opens a new case linked to the old one.",
    )

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
            # The team's company decides; customers (portal) cannot read teams.
            company = case.team_id.sudo().company_id or case.partner_id.company_id
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
        # Translated once per batch, not once per row (a list shows 80).
        in_minutes = _("%(minutes)s min")
        in_hours = _("%(hours)s h")
        in_days = _("%(days)s d")
        for case in self:
            if not case.date_received:
                case.age = False
                continue
            minutes = max(int((now - case.date_received).total_seconds() // 60), 0)
            if minutes < 60:
                case.age = in_minutes % {"minutes": minutes}
            elif minutes < 48 * 60:
                case.age = in_hours % {"hours": minutes // 60}
            else:
                case.age = in_days % {"days": minutes // (24 * 60)}

    @api.depends("is_closed", "user_id", "team_id")
    @api.depends_context("uid")
    def _compute_in_my_queue(self):
        teams = self.env.user.kunde_member_team_ids
        for case in self:
            case.in_my_queue = (
                not case.is_closed and not case.user_id and case.team_id in teams
            )

    def _search_in_my_queue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                _('"In My Queue" can only be filtered with "is set" or "is not set".')
            )
        # The team ids as a list, not a subquery: the queue index serves it.
        domain = self._queue_domain(self.env.user.kunde_member_team_ids)
        return (
            domain if (operator == "=") == value else ["!", *expression.AND([domain])]
        )

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for case in self:
            case.invoice_count = len(case.invoice_ids)

    @api.depends("commercial_partner_id", "company_id")
    @api.depends_context("uid")
    def _compute_partner_receivable(self):
        """The customer's receivable position, for a whole recordset.

        Two grouped queries whatever the number of cases. Agents may not read
        every invoice; they see the totals of the customer of a case they read.
        """
        self.partner_total_due = self.partner_overdue_amount = 0
        self.partner_overdue_count = 0
        partners = self.commercial_partner_id
        if not partners:
            return
        Move = self.env["account.move"].sudo()
        domain = Move._kunde_customer_documents_domain() + [
            ("commercial_partner_id", "in", partners.ids),
            ("company_id", "in", self.company_id.ids),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        groupby = ["commercial_partner_id", "company_id"]
        due = {
            (partner, company): amount
            for partner, company, amount in Move._read_group(
                domain, groupby, ["amount_residual_signed:sum"]
            )
        }
        overdue = {
            (partner, company): (amount, count)
            for partner, company, amount, count in Move._read_group(
                domain + [("invoice_date_due", "<", fields.Date.context_today(self))],
                groupby,
                ["amount_residual_signed:sum", "__count"],
            )
        }
        for case in self:
            key = (case.commercial_partner_id, case.company_id)
            case.partner_total_due = due.get(key, 0.0)
            amount, count = overdue.get(key, (0.0, 0))
            case.partner_overdue_amount = amount
            case.partner_overdue_count = count

    @api.depends("date_received", "date_first_response", "date_closed")
    def _compute_hours(self):
        for case in self:
            start = case.date_received
            case.hours_to_first_response = (
                (case.date_first_response - start).total_seconds() / 3600
                if start and case.date_first_response
                else False
            )
            case.hours_to_close = (
                (case.date_closed - start).total_seconds() / 3600
                if start and case.date_closed
                else False
            )

    def _compute_access_url(self):  # portal.mixin's only sets "#"
        for case in self:
            case.access_url = f"/my/cases/{case.id}"

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
    @api.model
    def _check_subject(self, name):
        if not (name or "").strip():
            raise ValidationError(_("A case needs a subject."))

    @api.constrains("name")
    def _check_name(self):
        for case in self:
            self._check_subject(case.name)

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

    @api.constrains("invoice_ids", "partner_id")
    def _check_invoice_ids(self):
        for case in self:
            wrong = case.sudo().invoice_ids.filtered(
                lambda m, case=case: m.move_type not in ("out_invoice", "out_refund")
                or m.commercial_partner_id != case.commercial_partner_id
            )
            if wrong:
                raise ValidationError(
                    _(
                        "Case %(reference)s can only be linked to customer invoices "
                        "and credit notes of its own customer. %(count)s of the "
                        "selected documents are not.",
                        reference=case.reference,
                        count=len(wrong),
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    def init(self):
        # The queue: open, unassigned cases of a team, urgent first then oldest
        # first. The predicate is the one the ORM writes for the queue domain, and
        # the included columns are those the record rules test, so "My queue",
        # its count and take-next read the index alone (constant SQL, no input).
        for old_index in ("kunde_case_queue_idx", "kunde_case_open_queue_idx"):
            sql.drop_index(self.env.cr, old_index, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS kunde_case_queue_head_idx ON %s"
                " (team_id, priority DESC, date_received, id)"
                " INCLUDE (company_id, user_id)"
                " WHERE user_id IS NULL AND active"
                " AND (is_closed IS NULL OR is_closed = FALSE)",
                SQL.identifier(self._table),
            )
        )
        # The same queue in queue order across teams, for agents of several
        # teams: PostgreSQL reads it in order and stops after the page (or the
        # head, for take-next) instead of sorting every case of their teams.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS kunde_case_queue_order_idx ON %s"
                " (priority DESC, date_received, id)"
                " INCLUDE (team_id, company_id, user_id)"
                " WHERE user_id IS NULL AND active"
                " AND (is_closed IS NULL OR is_closed = FALSE)",
                SQL.identifier(self._table),
            )
        )
        # Unassigned cases are nearly all open: without this PostgreSQL takes
        # the two conditions as independent, expects a queue 20 times smaller
        # than it is, and prefers to sort it whole.
        self.env.cr.execute(
            "SELECT 1 FROM pg_statistic_ext WHERE stxname = 'kunde_case_queue_stats'"
        )
        if not self.env.cr.fetchone():
            self.env.cr.execute(
                SQL(
                    "CREATE STATISTICS kunde_case_queue_stats (mcv)"
                    " ON user_id, is_closed FROM %s",
                    SQL.identifier(self._table),
                )
            )
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(self._table)))
        # The few cases waiting for their acknowledgement (constant SQL).
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS kunde_case_ack_pending_idx ON %s (id)"
                " WHERE ack_pending",
                SQL.identifier(self._table),
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        # Drawing a number is not reading sequences: customers create cases too.
        # The subject is checked before any number is drawn (the column is NOT
        # NULL, so an empty one would not reach the constraint).
        for vals in vals_list:
            self._check_subject(vals.get("name"))
        sequence = self.env["ir.sequence"].sudo()
        for vals in vals_list:
            if not vals.get("reference") or vals["reference"] == _("New"):
                vals["reference"] = sequence.next_by_code("kunde.case")
        cases = super().create(vals_list)
        cases._auto_link_invoices()
        return cases

    def write(self, vals):
        self._check_accountant_write(vals)
        return super().write(vals)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for case, vals in zip(self, vals_list, strict=True):
            vals.setdefault("name", _("%(subject)s (copy)", subject=case.name))
        return vals_list

    def _check_accountant_write(self, vals):
        """Accountants without a Kundeservice group link and unlink invoices only."""
        if (
            self.env.su
            or self.env.user.has_group("kunde_crm.kunde_crm_group_agent")
            or not self.env.user.has_group("account.group_account_invoice")
        ):
            return
        # Fields Odoo itself writes while an accountant links an invoice.
        allowed = {"invoice_ids", "message_main_attachment_id"}
        forbidden = set(vals) - allowed
        if forbidden:
            raise AccessError(
                _(
                    "As an accountant you can only link and unlink invoices on "
                    "cases. Ask customer service to change %(fields)s.",
                    fields=", ".join(sorted(forbidden)),
                )
            )

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
        case_id = self._take_queue_head(teams)
        if not case_id:
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
        case = self.browse(case_id)
        case.invalidate_recordset()
        return case._action_open_form()

    @api.model
    def _take_queue_head(self, teams):
        """Lock and assign the head of the queue; return its id (or None).

        On a server this runs in a short transaction of its own at READ
        COMMITTED: there ``FOR UPDATE SKIP LOCKED`` re-checks a row that another
        worker has just taken instead of failing the whole request with a
        serialisation error (Odoo's requests run at REPEATABLE READ), so agents
        pressing at the same moment do not wait for retries. The assignment is
        committed with it. Under tests (their data is not committed, so another
        connection would not see it) it runs inline, in the caller's transaction.
        """
        if self.pool.in_test_mode() or tools.config["test_enable"]:
            return self._lock_and_assign(teams)
        with self.pool.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            env = self.env(cr=cr)
            return self.with_env(env)._lock_and_assign(teams.with_env(env))

    @api.model
    def _lock_and_assign(self, teams):
        query = self._search(self._queue_domain(teams), order=self._order, limit=1)
        # The lock returns the team and stage too, so that the assignment needs
        # no second read of the row. execute_query flushes the pending writes
        # the query depends on.
        rows = self.env.execute_query(
            SQL(
                "%s FOR UPDATE OF %s SKIP LOCKED",
                query.select(
                    self._field_to_sql(self._table, "id"),
                    self._field_to_sql(self._table, "team_id"),
                    self._field_to_sql(self._table, "stage_id"),
                ),
                SQL.identifier(self._table),
            )
        )
        if not rows:
            return None
        case_id, team_id, stage_id = rows[0]
        vals = self._assignment_values(
            self.env["kunde.team"].browse(team_id), stage_id, self.env.user
        )
        # Only these fields change, so only they need the company check (Odoo
        # checks every company-bound field of the record after any such write).
        self.browse(case_id).with_context(kunde_company_check_fields=list(vals)).write(
            vals
        )
        self.env.flush_all()
        return case_id

    def _check_company(self, fnames=None):
        if fnames is None:
            fnames = self.env.context.get("kunde_company_check_fields")
        return super()._check_company(fnames)

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
    # Invoices
    # ------------------------------------------------------------------
    @api.model
    def _invoice_references(self, text):
        """Invoice numbers, KID numbers and "faktura 123" phrasings in a text."""
        text = html2plaintext(text or "") if "<" in (text or "") else (text or "")
        names = {m.upper() for m in INVOICE_NUMBER.findall(text)}
        numbers = set(INVOICE_PHRASE.findall(text))
        kids = set(KID_NUMBER.findall(text)) - numbers
        return names, numbers, kids

    def _auto_link_invoices(self):
        """Link the invoices the customer mentions, but only their own.

        One search for the whole batch. An invoice of another customer is never
        linked and never named; the agent gets an internal note instead.
        """
        wanted = {}
        all_names, all_numbers, all_kids = set(), set(), set()
        for case in self:
            names, numbers, kids = self._invoice_references(
                f"{case.name or ''}\n{case.description or ''}"
            )
            if names or numbers or kids:
                wanted[case] = (names, numbers, kids)
                all_names |= names
                all_numbers |= numbers
                all_kids |= kids
        if not wanted:
            return
        # Matching must see every invoice to tell "not this customer's" apart;
        # only the case's own commercial partner's invoices are ever linked.
        Move = self.env["account.move"].sudo()
        conditions = []
        if all_names:
            conditions.append([("name", "in", sorted(all_names))])
        if all_numbers:
            conditions.append(
                [("sequence_number", "in", sorted({int(n) for n in all_numbers}))]
            )
        if all_kids | all_numbers:
            conditions.append(
                [("payment_reference", "in", sorted(all_kids | all_numbers))]
            )
        moves = Move.search(
            Move._kunde_customer_documents_domain()
            + [("company_id", "in", self.company_id.ids)]
            + expression.OR(conditions)
        )
        for case, (names, numbers, kids) in wanted.items():
            matches = moves.filtered(
                lambda m, names=names, numbers=numbers, kids=kids: m.name in names
                or str(m.sequence_number) in {str(int(n)) for n in numbers}
                or m.payment_reference in (kids | numbers)
            ).filtered(lambda m, case=case: m.company_id == case.company_id)
            own = matches.filtered(
                lambda m, case=case: case.commercial_partner_id
                and m.commercial_partner_id == case.commercial_partner_id
            )
            if own - case.sudo().invoice_ids:
                case.sudo().write({"invoice_ids": [(4, move.id) for move in own]})
            if matches - own:
                case.sudo().message_post(
                    body=_(
                        "The customer mentions an invoice number that does not "
                        "belong to them. It was not linked; check the case before "
                        "you answer."
                    ),
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                )

    def action_create_credit_note(self):
        """Odoo's reversal wizard for the case's posted invoices."""
        self.ensure_one()
        invoices = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        if not invoices:
            raise UserError(_("Link a posted customer invoice to the case first."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Credit Note"),
            "res_model": "account.move.reversal",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": "account.move",
                "active_ids": invoices.ids,
                "default_reason": _("Case %(reference)s", reference=self.reference),
                "kunde_case_id": self.id,
            },
        }

    # ------------------------------------------------------------------
    # Mail: intake, replies, acknowledgement, first response
    # ------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A message to a team's alias becomes a case of that team."""
        values = dict(custom_values or {})
        email_from = msg_dict.get("email_from") or ""
        partner = self._partner_from_email(email_from, values.get("team_id"))
        subject = (msg_dict.get("subject") or "").strip()
        values.update(
            name=values.get("name") or subject or _("(no subject)"),
            description=msg_dict.get("body") or False,
            channel="email",
            email_from=email_from or False,
        )
        if partner:
            values["partner_id"] = partner.id
        if not self.env.context.get("kunde_automatic_email"):
            # Acknowledged by the scheduled action, not inside the intake.
            values["ack_pending"] = True
        return super().message_new(msg_dict, custom_values=values)

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if message.message_type not in ("comment", "email"):
            return result
        author_is_agent = any(not user.share for user in message.author_id.user_ids)
        if author_is_agent:
            if message.message_type == "comment" and message.subtype_id == self.env.ref(
                "mail.mt_comment"
            ):
                # The first answer sent to the customer (notes and the automatic
                # acknowledgement have another subtype or type). The poster's
                # right to post was checked by message_post; the stamp is ours.
                self.filtered(lambda c: not c.date_first_response).sudo().write(
                    {"date_first_response": message.date}
                )
        elif not self.env.context.get("kunde_automatic_email"):
            # The customer wrote again (email or portal): a closed case comes
            # back to the queue.
            self.filtered("is_closed").sudo().action_reopen()
        return result

    def _notify_get_reply_to(self, default=None):
        """Replies go to the team's alias, so they come back to the case."""
        aliases = self.sudo().team_id._notify_get_reply_to(default=default)
        result = {case.id: aliases.get(case.team_id.id) for case in self}
        leftover = self.filtered(lambda case: not result.get(case.id))
        if leftover:
            result.update(
                super(KundeCase, leftover)._notify_get_reply_to(default=default)
            )
        return result

    def _notify_by_email_get_headers(self, headers=None):
        headers = super()._notify_by_email_get_headers(headers=headers)
        if self.env.context.get("kunde_auto_submitted"):
            headers["Auto-Submitted"] = "auto-replied"
            headers["X-Auto-Response-Suppress"] = "All"
        return headers

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

    @api.model
    def _partner_from_email(self, email_from, team_id=False):
        """The contact behind a sender address, created when unknown.

        An existing contact with the address (case-insensitive) wins. A new
        contact gets as parent the company whose website or email uses the
        address's domain, but only when exactly one company does.
        """
        normalized = email_normalize(email_from or "")
        if not normalized:
            return self.env["res.partner"]
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        partner = Partner.search(
            [("email_normalized", "=", normalized)], order="active desc, id", limit=1
        )
        if partner:
            return partner
        name = next((n for n, _a in getaddresses([email_from]) if n), "") or normalized
        values = {"name": name, "email": normalized}
        company = self._company_for_domain(normalized.split("@", 1)[1])
        if company:
            values["parent_id"] = company.id
        team = self.env["kunde.team"].sudo().browse(team_id)
        lang = (team.company_id or self.env.company).partner_id.lang
        if lang:
            values["lang"] = lang
        return Partner.create(values)

    @api.model
    def _company_for_domain(self, domain):
        domain = domain.lower()
        candidates = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("is_company", "=", True),
                    "|",
                    ("email_normalized", "=like", f"%@{domain}"),
                    ("website", "ilike", domain),
                ],
                limit=10,
            )
        )

        def uses_domain(company):
            email_domain = (company.email_normalized or "").rpartition("@")[2]
            website = re.sub(r"^[a-z]+://", "", (company.website or "").lower())
            host = website.split("/", 1)[0].removeprefix("www.")
            return domain in (email_domain, host)

        matches = candidates.filtered(uses_domain)
        return matches if len(matches) == 1 else self.env["res.partner"]

    @api.model
    def _is_automatic_email(self, message):
        """Auto-replies, bulk mail and bounces: never acknowledged, never reopen."""
        auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
        precedence = (message.get("Precedence") or "").strip().lower()
        sender = email_normalize(message.get("From") or "") or ""
        return_path = message.get("Return-Path")
        return bool(
            auto_submitted != "no"
            or precedence in ("bulk", "junk", "list")
            or message.get("X-Autoreply")
            or message.get("X-Autorespond")
            or sender.split("@")[0] in AUTOMATIC_SENDERS
            or (return_path is not None and return_path.strip() in ("", "<>"))
        )

    @api.model
    def _adjust_mail_routes(self, routes, message_dict):
        """Routes of an incoming message, corrected for cases.

        - A message without threading headers whose subject quotes a case
          reference joins that case, but only when the sender is the case's
          customer or a follower (Outlook strips the headers).
        - A reply to a case closed longer than its team's reopen window opens a
          new case linked to the old one instead.
        """
        adjusted = []
        for model, thread_id, custom_values, user_id, alias in routes:
            if model == self._name:
                case = self.sudo().browse(thread_id).exists() if thread_id else False
                if not case:
                    case = self._case_from_subject(message_dict)
                if case and case._reply_opens_new_case():
                    custom_values = case._follow_up_values(custom_values)
                    case = False
                thread_id = case.id if case else False
            adjusted.append((model, thread_id, custom_values, user_id, alias))
        return adjusted

    @api.model
    def _case_from_subject(self, message_dict):
        match = REFERENCE_IN_SUBJECT.search(message_dict.get("subject") or "")
        sender = email_normalize(message_dict.get("email_from") or "")
        if not match or not sender:
            return self.browse()
        case = (
            self.sudo()
            .with_context(active_test=False)
            .search([("reference", "=", match.group(1).upper())], limit=1)
        )
        allowed = {
            email_normalize(email)
            for email in [case.email_from, case.partner_id.email]
            + case.message_partner_ids.mapped("email")
            if email
        }
        if case and sender in allowed:
            return case
        if case:
            _logger.info(
                "Mail from %s quotes case %s but is not from its customer or a "
                "follower: handled as a new inquiry",
                sender,
                case.reference,
            )
        return self.browse()

    def _reply_opens_new_case(self):
        self.ensure_one()
        if not self.is_closed or not self.date_closed:
            return False
        window = self.team_id.reopen_days if self.team_id else 14
        return fields.Datetime.now() - self.date_closed > timedelta(days=window)

    def _follow_up_values(self, custom_values):
        self.ensure_one()
        values = dict(custom_values or {})
        values.update(
            origin_case_id=self.id,
            team_id=values.get("team_id") or self.team_id.id,
            category_id=values.get("category_id") or self.category_id.id,
            company_id=self.company_id.id,
        )
        return values

    @api.model
    def _request_acknowledgement(self):
        """Wake the acknowledgement job: it runs right after this transaction
        commits, on a scheduler worker, so the intake never waits for it."""
        self.env.ref("kunde_crm.ir_cron_kunde_acknowledgements").sudo()._trigger()

    @api.model
    def _cron_send_acknowledgements(self, batch_size=200):
        """Acknowledge the cases waiting for it, oldest first, in batches.

        The flag is cleared in the transaction that posts the message, so a
        case is acknowledged once; Odoo runs one instance of a scheduled action
        at a time. What is left for later wakes the job again.
        """
        Case = self.sudo().with_context(active_test=False)
        cases = Case.search([("ack_pending", "=", True)], order="id", limit=batch_size)
        if not cases:
            return
        cases._send_acknowledgement()
        cases.ack_pending = False
        if len(cases) == batch_size:
            self._request_acknowledgement()

    def _send_acknowledgement(self):
        """Acknowledge new cases by email, with their reference.

        Skipped when the team does not want it, the case has no customer
        address, or the sender already got 5 acknowledgements within the hour.
        """
        # Our own template, rendered by the system: customers (portal) who
        # trigger it cannot read mail templates.
        template = self.env.ref("kunde_crm.mail_template_case_acknowledgement").sudo()
        subtype = self.env.ref("kunde_crm.mt_case_acknowledgement")
        to_acknowledge = self.browse()
        candidates = self.sudo().filtered(
            lambda case: (not case.team_id or case.team_id.send_acknowledgement)
            and case.partner_id.email_normalized
        )
        # Acknowledgements per address in the last hour, this batch's included.
        sent = self._acknowledgements_sent(
            subtype, set(candidates.partner_id.mapped("email_normalized"))
        )
        for case in candidates:
            address = case.partner_id.email_normalized
            if sent.get(address, 0) >= ACKNOWLEDGEMENT_LIMIT:
                _logger.info(
                    "No acknowledgement for %s: %s got %s within the last hour",
                    case.reference,
                    address,
                    ACKNOWLEDGEMENT_LIMIT,
                )
                continue
            sent[address] = sent.get(address, 0) + 1
            to_acknowledge |= case
        if not to_acknowledge:
            return
        # Rendered straight from the template, in each customer's language, and
        # posted once: the full composer costs a third of an email intake.
        rendered = template._generate_template(
            to_acknowledge.ids, ("subject", "body_html", "email_from")
        )
        for case in to_acknowledge:
            values = rendered[case.id]
            # The sender is the company (the template's From), or the user
            # when the company has no address: named here rather than looked
            # up again by address.
            author = (
                case.company_id.partner_id
                if case.company_id.email
                else self.env.user.partner_id
            )
            # Queued, not sent inside the intake: the mail queue sends it
            # right after (woken below), and a slow or absent SMTP server does
            # not hold up the next incoming message.
            case.with_context(
                kunde_auto_submitted=True, mail_notify_force_send=False
            ).message_post(
                body=values["body_html"],
                subject=values["subject"],
                author_id=author.id,
                email_from=values["email_from"] or None,
                partner_ids=case.partner_id.ids,
                subtype_id=subtype.id,
                message_type="auto_comment",
                email_layout_xmlid="mail.mail_notification_light",
                mail_auto_delete=template.auto_delete,
            )
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    @api.model
    def _acknowledgements_sent(self, subtype, addresses):
        """{address: acknowledgements sent to it within the last hour}, whichever
        of its contacts they went to: one query for the whole batch."""
        if not addresses:
            return {}
        self.env["mail.message"].flush_model()
        self.env["res.partner"].flush_model(["email_normalized"])
        self.env.cr.execute(
            SQL(
                """SELECT partner.email_normalized, COUNT(DISTINCT message.id)
                     FROM mail_message message
                     JOIN mail_message_res_partner_rel rel
                       ON rel.mail_message_id = message.id
                     JOIN res_partner partner ON partner.id = rel.res_partner_id
                    WHERE message.model = %s
                      AND message.subtype_id = %s
                      AND message.date >= %s
                      AND partner.email_normalized = ANY(%s)
                 GROUP BY partner.email_normalized""",
                self._name,
                subtype.id,
                fields.Datetime.now() - timedelta(hours=1),
                sorted(addresses),
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    @api.model
    def _usage_counts(self, field_name, records):
        """{record: number of cases}, archived cases included.

        For the "cannot delete while cases use it" checks of stages, teams and
        policies: unlink access was checked before those run, and sudo only
        counts the cases the user may not see (another company), so that none
        is left behind.
        """
        return dict(
            self.with_context(active_test=False)
            .sudo()
            ._read_group([(field_name, "in", records.ids)], [field_name], ["__count"])
        )

    @api.model
    def _queue_domain(self, teams):
        return [
            ("is_closed", "=", False),
            ("user_id", "=", False),
            ("team_id", "in", teams.ids),
            ("company_id", "in", self.env.companies.ids),
        ]

    def _assign_to(self, user):
        """Assign to ``user``, in one write per team and stage (one tracking
        message, one company check)."""
        for team, cases in self.grouped("team_id").items():
            for stage, group in cases.grouped("stage_id").items():
                group.write(self._assignment_values(team, stage.id, user))

    @api.model
    def _assignment_values(self, team, stage_id, user):
        """What assigning a case of ``team`` in stage ``stage_id`` to ``user``
        writes: a case still in its team's first open stage moves on."""
        new_stage, progress_stage = self._open_stages_for(team)
        vals = {"user_id": user.id}
        if progress_stage != new_stage and stage_id == new_stage.id:
            vals["stage_id"] = progress_stage.id
        return vals

    @api.model
    def _open_stages_for(self, team):
        """(first open stage, "in progress" stage) of a team."""
        Stage = self.env["kunde.case.stage"]
        # Fetched with what the assignment reads next (closed flag, name for
        # the chatter), so that no second query reads the stage row.
        stages = Stage.search_fetch(
            Stage._for_team_domain(team) + [("is_closed", "=", False)],
            ["name", "is_closed", "fold", "sequence"],
            limit=2,
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
    # Service levels (SLA)
    # ------------------------------------------------------------------
    # A pending target is "at risk" when less than this share of its allowed
    # working time is left.
    _sla_at_risk_share = 0.2

    sla_policy_id = fields.Many2one(
        "kunde.sla.policy",
        string="SLA Policy",
        compute="_compute_sla_policy_id",
        store=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The most specific active policy for the case's team, category and "
        "priority.",
    )
    sla_first_response_deadline = fields.Datetime(
        string="First Response Deadline",
        compute="_compute_sla_deadlines",
        store=True,
        help="The customer must get a first answer by then (working hours of the "
        "policy's calendar, paused time added).",
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolution Deadline",
        compute="_compute_sla_deadlines",
        store=True,
        help="The case must be closed by then (working hours of the policy's "
        "calendar, paused time added).",
    )
    sla_deadline = fields.Datetime(
        string="Next SLA Deadline",
        compute="_compute_sla_deadlines",
        store=True,
        index=True,
        help="The earliest deadline the case has not met yet.",
    )
    sla_at_risk_date = fields.Datetime(
        string="SLA At Risk From",
        compute="_compute_sla_deadlines",
        store=True,
        index=True,
        help="From then on less than 20% of the allowed time is left.",
    )
    sla_status = fields.Selection(
        [
            ("on_track", "On Track"),
            ("at_risk", "At Risk"),
            ("breached", "Breached"),
            ("met", "Met"),
        ],
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index=True,
    )
    sla_reached_date = fields.Datetime(
        string="SLA Met On",
        compute="_compute_sla_kept",
        store=True,
        help="When the case was closed within its deadlines.",
    )
    sla_kept = fields.Float(
        string="SLA Kept (%)",
        compute="_compute_sla_kept",
        store=True,
        aggregator="avg",
        help="100 when the SLA was met, 0 when it was breached. Its average in "
        "reports is the share of cases that kept their SLA, among those whose "
        "outcome is known.",
    )
    sla_pause_start = fields.Datetime(
        string="SLA Paused Since",
        compute="_compute_sla_pause",
        store=True,
        help="The case waits in a pause stage (or is closed): the clock stopped "
        "then.",
    )
    sla_paused_hours = fields.Float(
        string="SLA Paused Hours",
        compute="_compute_sla_pause",
        store=True,
        help="Working hours spent in pause stages, added to the resolution "
        "deadline.",
    )
    sla_response_paused_hours = fields.Float(
        string="SLA Paused Hours Before First Response",
        compute="_compute_sla_pause",
        store=True,
        help="Working hours spent in pause stages before the first response, "
        "added to the first response deadline.",
    )

    @api.depends("team_id", "category_id", "priority", "company_id")
    def _compute_sla_policy_id(self):
        policies = self.env["kunde.sla.policy"].search(
            [("company_id", "in", [False, *self.company_id.ids])]
        )
        for case in self:
            case.sla_policy_id = policies._best_for(case)

    @api.depends("stage_id", "is_closed", "date_closed", "sla_policy_id")
    def _compute_sla_pause(self):
        """Stop the clock in the policy's pause stages and while closed.

        When the pause ends, its working hours are added to the paused hours
        (and to those before the first response, for the part before it). The
        previous values are read from the database (``_origin``), as for the
        closing date.
        """
        now = fields.Datetime.now()
        for case in self:
            before = case._origin
            start = before.sla_pause_start
            paused_hours = before.sla_paused_hours
            response_hours = before.sla_response_paused_hours
            policy = case.sla_policy_id
            paused = bool(policy) and (
                case.is_closed or case.stage_id in policy.pause_stage_ids
            )
            if paused and not start:
                start = (case.is_closed and case.date_closed) or now
            elif start and not paused:
                calendar = policy.calendar_id or case.company_id.resource_calendar_id
                end = max(now, start)
                if calendar and end > start:
                    paused_hours += calendar.get_work_hours_count(start, end)
                    first = case.date_first_response
                    response_end = min(end, first) if first else end
                    if response_end > start:
                        response_hours += calendar.get_work_hours_count(
                            start, response_end
                        )
                start = False
            case.sla_pause_start = start
            case.sla_paused_hours = paused_hours
            case.sla_response_paused_hours = response_hours

    @api.depends(
        "sla_policy_id",
        "date_received",
        "sla_paused_hours",
        "sla_response_paused_hours",
        "date_first_response",
        "date_closed",
        "is_closed",
    )
    def _compute_sla_deadlines(self):
        """Deadlines in working hours of the policy's calendar (its leaves and
        public holidays excluded), pushed by the paused working hours."""
        used = 1 - self._sla_at_risk_share
        for case in self:
            policy = case.sla_policy_id
            calendar = policy.calendar_id or case.company_id.resource_calendar_id
            if not (policy and calendar and case.date_received):
                case.sla_first_response_deadline = False
                case.sla_resolution_deadline = False
                case.sla_deadline = case.sla_at_risk_date = False
                continue
            response = policy.first_response_hours
            resolution = policy.resolution_hours
            response_pause = case.sla_response_paused_hours
            pause = case.sla_paused_hours
            first, first_risk, last, last_risk = calendar._kunde_plan_hours(
                case.date_received,
                [
                    response + response_pause,
                    response * used + response_pause,
                    resolution + pause,
                    resolution * used + pause,
                ],
            )
            case.sla_first_response_deadline = first
            case.sla_resolution_deadline = last
            pending = []
            if not case._sla_first_reached():
                pending.append((first, first_risk))
            if not case.is_closed:
                pending.append((last, last_risk))
            case.sla_deadline = min((d for d, _r in pending if d), default=False)
            case.sla_at_risk_date = min((r for _d, r in pending if r), default=False)

    @api.depends(
        "sla_policy_id",
        "sla_first_response_deadline",
        "sla_resolution_deadline",
        "sla_deadline",
        "sla_at_risk_date",
        "sla_pause_start",
        "date_first_response",
        "date_closed",
        "is_closed",
    )
    def _compute_sla_status(self):
        """Status now; the scheduled action moves running cases on in time."""
        now = fields.Datetime.now()
        for case in self:
            first_deadline = case.sla_first_response_deadline
            last_deadline = case.sla_resolution_deadline
            if not (case.sla_policy_id and first_deadline and last_deadline):
                case.sla_status = False
                continue
            first = case._sla_first_reached()
            closed = case.is_closed and case.date_closed
            if (first and first > first_deadline) or (
                closed and closed > last_deadline
            ):
                case.sla_status = "breached"
            elif first and closed:
                case.sla_status = "met"
            else:
                # The clock stands still during a pause.
                clock = case.sla_pause_start or now
                if case.sla_deadline and clock > case.sla_deadline:
                    case.sla_status = "breached"
                elif case.sla_at_risk_date and clock >= case.sla_at_risk_date:
                    case.sla_status = "at_risk"
                else:
                    case.sla_status = "on_track"

    @api.depends("sla_status", "date_closed")
    def _compute_sla_kept(self):
        for case in self:
            met = case.sla_status == "met"
            case.sla_kept = 100.0 if met else 0.0
            case.sla_reached_date = case.date_closed if met else False

    def _sla_first_reached(self):
        """When the customer got a first answer; closing the case counts."""
        self.ensure_one()
        return self.date_first_response or (self.is_closed and self.date_closed)

    def _read_group_select(self, aggregate_spec, query):
        # "SLA Kept (%)" averages the cases whose outcome is known (met or
        # breached): cases still running do not count as 0.
        if aggregate_spec == "sla_kept:avg":
            return SQL(
                "AVG(CASE WHEN %s IN %s THEN %s END)",
                self._field_to_sql(self._table, "sla_status", query),
                ("met", "breached"),
                self._field_to_sql(self._table, "sla_kept", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    def _sla_recompute(self):
        """Apply the SLA policies to these cases again (a policy changed)."""
        for fname in (
            "sla_policy_id",
            "sla_pause_start",
            "sla_first_response_deadline",
            "sla_status",
            "sla_kept",
        ):
            # every field the method computes, e.g. both deadlines
            for field in self.pool.field_computed[self._fields[fname]]:
                self.env.add_to_compute(field, self)

    @api.model
    def _cron_sla_update(self, batch_size=1000):
        """Every 5 minutes: running cases become "at risk" or "breached".

        A constant number of queries whatever the number of cases: two
        searches on the indexed deadlines, one write per new status, one batch
        of activities for the team leaders. The status is written before the
        activities, in the same transaction, so a case is never reported twice;
        Odoo runs one instance of a scheduled action at a time.
        """
        now = fields.Datetime.now()
        running = [("sla_pause_start", "=", False), ("is_closed", "=", False)]
        breach_domain = running + [
            ("sla_status", "in", ["on_track", "at_risk"]),
            ("sla_deadline", "<", now),
        ]
        risk_domain = running + [
            ("sla_status", "=", "on_track"),
            ("sla_at_risk_date", "<=", now),
            ("sla_deadline", ">=", now),
        ]
        to_breach = self.search(
            breach_domain, order="sla_deadline, id", limit=batch_size
        )
        to_risk = self.search(risk_domain, order="sla_deadline, id", limit=batch_size)
        cases = self.with_context(mail_notrack=True)
        if to_breach:
            cases.browse(to_breach.ids).write({"sla_status": "breached"})
        if to_risk:
            cases.browse(to_risk.ids).write({"sla_status": "at_risk"})
        to_breach._sla_notify_breach()
        remaining = 0
        if len(to_breach) == batch_size or len(to_risk) == batch_size:
            remaining = self.search_count(breach_domain) + self.search_count(
                risk_domain
            )
        self.env["ir.cron"]._notify_progress(
            done=len(to_breach) + len(to_risk), remaining=remaining
        )

    def _sla_notify_breach(self):
        """A to-do for the team leader on each breached case, in one batch."""
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for leader, cases in (
            self.filtered("team_id.user_id")
            .grouped(lambda case: case.team_id.user_id)
            .items()
        ):
            leader_env = self.with_context(lang=leader.lang, tz=leader.tz).env
            summary = leader_env._("SLA breached")
            today = fields.Date.context_today(self.with_env(leader_env))
            for case in cases:
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": case.id,
                        "activity_type_id": activity_type.id
                        if activity_type
                        else False,
                        "user_id": leader.id,
                        "summary": summary,
                        "note": leader_env._(
                            "%(case)s missed its service level deadline.",
                            case=case.display_name,
                        ),
                        "date_deadline": today,
                        "automated": True,
                    }
                )
        if vals_list:
            # No email per activity: the leader sees them in the activity menu.
            self.env["mail.activity"].sudo().with_context(
                mail_activity_quick_update=True
            ).create(vals_list)

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
        cases = self.with_context(tracking_disable=True, mail_notrack=True).create(
            vals_list
        )
        self._demo_conversations(cases.sorted("date_received", reverse=True)[:25])
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
        return True

    @api.model
    def _demo_conversations(self, cases):
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
