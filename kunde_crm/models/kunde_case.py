"""kunde.case core: the case's own fields, stages, close and reopen, and CRUD."""

from contextlib import contextmanager

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .kunde_case_constants import CHANNELS, PRIORITIES

# Writes that can change which company a case belongs to: after them every
# company-bound field is checked again. After any other write only the written
# fields are (the others were checked when they were written).
COMPANY_SOURCES = frozenset({"company_id", "team_id", "partner_id"})


class KundeCase(models.Model):
    _name = "kunde.case"
    _description = "Customer Service Case"
    # rating.mixin (satisfaction, kunde_case_rating.py) extends mail.thread, so
    # it comes before it.
    _inherit = ["portal.mixin", "rating.mixin", "mail.thread", "mail.activity.mixin"]
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
    color = fields.Integer(string="Color Index")
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
    @api.depends_context("uid")
    def _compute_display_name(self):
        # Odoo shows a many2one's name as the superuser (origin_case_id, an
        # invoice's cases ...): the subject is the user's to see only when the
        # user may read the case; otherwise the reference alone.
        readable = self
        if self.env.su and self.env.uid != SUPERUSER_ID:
            readable = self.sudo(False)._filtered_access("read")
        for case in self:
            if case in readable:
                case.display_name = f"[{case.reference}] {case.name or ''}".strip()
            else:
                case.display_name = f"[{case.reference}]"

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

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        cases = self
        if self._is_customer_env():
            # Customers (portal, or RPC as a portal user) set only what the
            # portal form offers; the rest is decided for them, in one place.
            # Defaults sent in their context would bypass that: dropped.
            context = {
                key: value
                for key, value in self.env.context.items()
                if not key.startswith("default_")
            }
            cases = self.with_env(self.env(context=context))
            vals_list = [
                cases._customer_case_values(cases._customer_fields_only(vals), "portal")
                for vals in vals_list
            ]
        # Drawing a number is not reading sequences: customers create cases too.
        # The subject is checked before any number is drawn (the column is NOT
        # NULL, so an empty one would not reach the constraint).
        for vals in vals_list:
            self._check_subject(vals.get("name"))
        sequence = self.env["ir.sequence"].sudo()
        for vals in vals_list:
            if not vals.get("reference") or vals["reference"] == _("New"):
                vals["reference"] = sequence.next_by_code("kunde.case")
        with self._company_check_of(None):
            cases = super(KundeCase, cases).create(vals_list)
        cases._auto_link_invoices()
        return cases

    def write(self, vals):
        self._check_accountant_write(vals)
        cases = self
        if vals.get("user_id") and "stage_id" not in vals:
            # Assigning (the form, a kanban drag, RPC, Take, Take next) moves a
            # case still in its team's first open stage on, in one write per
            # team and stage (one tracking message, one company check).
            for (team, stage), group in self.grouped(
                lambda case: (case.team_id, case.stage_id)
            ).items():
                moved = self._assignment_values(team, stage.id)
                if moved:
                    group.write(dict(vals, **moved))
                    cases -= group
            if not cases:
                return True
        # The company check of the fields that can have changed.
        fnames = None if COMPANY_SOURCES & vals.keys() else list(vals)
        with self._company_check_of(fnames):
            return super(KundeCase, cases).write(vals)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for case, vals in zip(self, vals_list, strict=True):
            vals.setdefault("name", _("%(subject)s (copy)", subject=case.name))
        return vals_list

    def _check_company(self, fnames=None):
        # The fields the running write() or create() of this transaction may
        # have made inconsistent (kept on the cursor: no client can set it).
        if fnames is None:
            fnames = self._cursor_mark("kunde_case_company_check")
        return super()._check_company(fnames)

    def _company_check_of(self, fnames):
        return self._mark_cursor("kunde_case_company_check", fnames)

    @api.model
    @contextmanager
    def _mark_cursor(self, key, value):
        """Say ``value`` about the work done inside, to the code it calls.

        Kept on the database cursor (one transaction, one thread), not in the
        context: nothing a client sends can set or change it. Nested uses
        stack; ``_cursor_mark`` reads the innermost.
        """
        stack = self.env.cr.cache.setdefault(key, [])
        stack.append(value)
        try:
            yield
        finally:
            stack.pop()

    @api.model
    def _cursor_mark(self, key, default=None):
        stack = self.env.cr.cache.get(key)
        return stack[-1] if stack else default

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
    # Private helpers
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
