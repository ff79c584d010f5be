"""kunde.case → sales: Send to Sales (the one path), what a case shows of its leads."""

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context, format_amount, html2plaintext, is_html_empty

SALES_GROUP = "sales_team.group_sale_salesman"


class KundeCase(models.Model):
    _inherit = "kunde.case"

    lead_ids = fields.One2many(
        "crm.lead",
        "kunde_case_id",
        string="Leads",
        readonly=True,
        context={"active_test": False},
        groups=SALES_GROUP,
    )
    # What every reader of the case sees of its leads, salespeople or not:
    # computed with sudo after the case's own read access is checked.
    kunde_lead_count = fields.Integer(
        string="Sent to Sales", compute="_compute_kunde_sales"
    )
    kunde_sales_overview = fields.Html(
        string="Sales", compute="_compute_kunde_sales", sanitize=False
    )

    @api.depends_context("uid")
    def _compute_kunde_sales(self):
        leads_by_case = self._kunde_sales_leads()
        render = self.env["ir.qweb"]._render
        for case in self:
            leads = leads_by_case.get(case._origin.id, [])
            case.kunde_lead_count = len(leads)
            case.kunde_sales_overview = (
                render(
                    "kunde_crm_crm.kunde_case_sales_overview",
                    {"lines": [self._kunde_sales_line(lead) for lead in leads]},
                )
                if leads
                else False
            )

    def _kunde_sales_leads(self):
        """{case id: crm.lead records (sudo)} of the cases the user may read.

        Salespeople see leads by their own record rules (own leads only, for
        some); customer service sees every lead of a case it may read, with
        a few fields. The check comes first; sudo only reads the leads.
        """
        readable = self.filtered(lambda case: case._origin.id)._origin
        readable = readable._filtered_access("read")
        if not readable:
            return {}
        leads = (
            self.env["crm.lead"]
            .sudo()
            .with_context(active_test=False)
            .search([("kunde_case_id", "in", readable.ids)], order="id desc")
        )
        result = {}
        for lead in leads:
            result.setdefault(lead.kunde_case_id.id, []).append(lead)
        return result

    def _kunde_sales_line(self, lead):
        """What a case shows of one of its leads (read with sudo)."""
        if lead.stage_id.is_won:
            status = _("Won")
        elif not lead.active:
            status = _("Lost")
        else:
            status = _("Open")
        types = dict(lead._fields["type"]._description_selection(self.env))
        return {
            "name": lead.name,
            "type": types.get(lead.type, lead.type),
            "stage": lead.stage_id.name or "",
            "salesperson": lead.user_id.name or "",
            "team": lead.team_id.name or "",
            "revenue": format_amount(
                self.env, lead.expected_revenue, lead.company_currency
            )
            if lead.company_currency
            else "",
            "status": status,
            "date": lead.create_date,
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_send_to_sales(self):
        self.ensure_one()
        self._check_may_send_to_sales()
        return {
            "type": "ir.actions.act_window",
            "name": _("Send to Sales"),
            "res_model": "kunde.case.sales.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def action_open_leads(self):
        """The case's leads, for salespeople (their own record rules apply)."""
        self.ensure_one()
        self.check_access("read")
        if not self.env.user.has_group(SALES_GROUP):
            return self.action_open_sales_overview()
        return {
            "type": "ir.actions.act_window",
            "name": _("Leads from %(reference)s", reference=self.reference),
            "res_model": "crm.lead",
            "view_mode": "list,kanban,form",
            "views": [(False, "list"), (False, "kanban"), (False, "form")],
            "domain": [("kunde_case_id", "=", self.id)],
            "context": {"active_test": False, "create": False},
        }

    def action_open_sales_overview(self):
        """A read-only view of the case's leads, for users without sales rights."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": _("Sent to Sales"),
            "res_model": "kunde.case",
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("kunde_crm_crm.kunde_case_view_form_sales").id, "form")
            ],
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Send to Sales: the one path
    # ------------------------------------------------------------------
    def _check_may_send_to_sales(self):
        """Customer-service agents who may read the case, nobody else."""
        if not self.env.user.has_group("kunde_crm.kunde_crm_group_agent"):
            raise AccessError(
                _("Only customer service agents can send a case to sales.")
            )
        self.check_access("read")

    def _default_sales_summary(self):
        """The summary the wizard starts with: who, what, and the description."""
        self.ensure_one()
        self._check_may_send_to_sales()
        lines = [
            _("Customer: %(customer)s", customer=self.partner_id.display_name or "-"),
            _("Email: %(email)s", email=self.email_from or "-"),
            _("Phone: %(phone)s", phone=self.phone or "-"),
            _(
                "From case %(reference)s: %(subject)s",
                reference=self.reference,
                subject=self.name,
            ),
        ]
        body = Markup("").join(Markup("<p>%s</p>") % line for line in lines)
        if not is_html_empty(self.description):
            body += Markup("<p>%s</p>") % html2plaintext(self.description)
        return body

    def _send_to_sales(self, team, salesperson, summary, lead_type):
        """Create a lead (or an opportunity) for the case's customer.

        The case stays in customer service: its messages stay on it, and the
        customer's replies keep landing on it. The user must be an agent who
        may read the case; the lead is then created with sudo (agents need no
        sales rights), from these values only, and both records say who sent it.
        """
        self.ensure_one()
        self._check_may_send_to_sales()
        # No default_* key of the caller's reaches the notes either.
        self = self.with_context(clean_context(self.env.context))
        team, salesperson = team.sudo(), salesperson.sudo()
        self._check_sales_values(team, salesperson, lead_type)
        notify = salesperson or team.user_id
        # A clean environment: nothing in the caller's context (default_*
        # values, mail switches) reaches the lead.
        sales_env = self.env(
            su=True,
            context={
                "lang": self.env.lang,
                "tz": self.env.context.get("tz"),
                "allowed_company_ids": self.company_id.ids,
                "mail_create_nosubscribe": True,
            },
        )
        case = self.with_env(sales_env)
        lead = sales_env["crm.lead"].create(
            {
                "name": case.name,
                "type": lead_type,
                "team_id": team.id,
                "user_id": salesperson.id,
                "partner_id": case.partner_id.id,
                "description": summary or False,
                "source_id": self.env.ref("kunde_crm_crm.utm_source_kundeservice").id,
                "company_id": case.company_id.id,
                "kunde_case_id": case.id,
            }
        )
        agent = self.env.user
        lead.message_post(
            body=_(
                "Sent from customer service by %(agent)s, from case %(reference)s.",
                agent=agent.name,
                reference=case.reference,
            ),
            author_id=agent.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        lead.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=notify.id,
            summary=_(
                "Follow up on %(customer)s from customer service",
                customer=case.partner_id.display_name or case.name,
            ),
            note=summary or False,
        )
        # On the case, as the user: a note for the team, never to the customer.
        self.message_post(
            body=_(
                "%(agent)s sent this case to sales: %(type)s %(lead)s, team "
                "%(team)s, %(person)s.",
                agent=agent.name,
                type=dict(lead._fields["type"]._description_selection(self.env)).get(
                    lead_type
                ),
                lead=Markup("<b>%s</b>") % lead.name,
                team=team.name,
                person=notify.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return lead

    def _check_sales_values(self, team, salesperson, lead_type):
        company = self.company_id
        if not team or not team.active:
            raise UserError(_("Choose an active sales team."))
        if team.company_id and team.company_id != company:
            raise UserError(
                _(
                    "The sales team %(team)s belongs to another company than "
                    "the case (%(company)s).",
                    team=team.name,
                    company=company.name,
                )
            )
        if salesperson:
            if (
                salesperson.share
                or not salesperson.active
                or not salesperson.has_group(SALES_GROUP)
                or company not in salesperson.company_ids
            ):
                raise UserError(
                    _(
                        "%(user)s cannot receive leads: choose a salesperson of "
                        "the company %(company)s.",
                        user=salesperson.name,
                        company=company.name,
                    )
                )
            if salesperson not in team.member_ids | team.user_id:
                raise UserError(
                    _(
                        "%(user)s is not in the sales team %(team)s.",
                        user=salesperson.name,
                        team=team.name,
                    )
                )
        elif not team.user_id:
            raise UserError(
                _(
                    "The sales team %(team)s has no team leader to notify: choose "
                    "a salesperson.",
                    team=team.name,
                )
            )
        if lead_type not in ("lead", "opportunity"):
            raise UserError(_("Choose a lead or an opportunity."))
        if lead_type == "lead" and not self._sales_uses_leads():
            raise UserError(
                _("Leads are switched off in the CRM settings: send an opportunity.")
            )

    @api.model
    def _sales_uses_leads(self):
        """The CRM setting "Leads" (crm.group_use_lead, given to every employee)."""
        return self.env.ref("crm.group_use_lead") in (
            self.env.ref("base.group_user").sudo().implied_ids
        )
