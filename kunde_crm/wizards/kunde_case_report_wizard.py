import base64
import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..report.kunde_case_xlsx import KundeCaseXlsxReport, last_month, report_env
from ..report.kunde_case_xlsx_satisfaction import satisfaction_totals

_logger = logging.getLogger(__name__)


def report_file_name(date_from, date_to):
    start, end = fields.Date.to_string(date_from), fields.Date.to_string(date_to)
    return f"kundeservice-rapport-{start}-{end}.xlsx"


class KundeCaseReportWizard(models.TransientModel):
    _name = "kunde.case.report.wizard"
    _description = "Customer Service Report (XLSX)"

    def _default_case_ids(self):
        if self.env.context.get("active_model") == "kunde.case":
            return [(6, 0, self.env.context.get("active_ids") or [])]
        return False

    def _default_date_from(self):
        cases = self._selected_cases()
        if cases:
            return fields.Date.to_date(min(cases.mapped("date_received")))
        return last_month(fields.Date.context_today(self))[0]

    def _default_date_to(self):
        cases = self._selected_cases()
        if cases:
            return fields.Date.to_date(max(cases.mapped("date_received")))
        return last_month(fields.Date.context_today(self))[1]

    date_from = fields.Date(string="From", required=True, default=_default_date_from)
    date_to = fields.Date(string="To", required=True, default=_default_date_to)
    team_ids = fields.Many2many("kunde.team", string="Teams")
    category_ids = fields.Many2many("kunde.case.category", string="Categories")
    case_ids = fields.Many2many(
        "kunde.case", string="Selected Cases", default=_default_case_ids
    )
    include_cases = fields.Boolean(
        string="Include the Cases Sheet",
        help="Add a sheet with one row per case (reference, dates, customer, "
        "category, agent, response times, invoices).",
    )
    file_data = fields.Binary(string="File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if (
                wizard.date_from
                and wizard.date_to
                and wizard.date_from > wizard.date_to
            ):
                raise ValidationError(
                    self.env._("The start date must be on or before the end date.")
                )

    def _selected_cases(self):
        if self.env.context.get("active_model") == "kunde.case":
            return self.env["kunde.case"].browse(
                self.env.context.get("active_ids") or []
            )
        return self.env["kunde.case"]

    def _report_domain(self):
        domain = []
        if self.case_ids:
            domain.append(("id", "in", self.case_ids.ids))
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        if self.category_ids:
            domain.append(("category_id", "child_of", self.category_ids.ids))
        return domain

    def action_generate(self):
        self.ensure_one()
        self._check_dates()
        content = KundeCaseXlsxReport(
            self.env,
            self.date_from,
            self.date_to,
            domain=self._report_domain(),
            include_cases=self.include_cases,
        ).build()
        self.write(
            {
                "file_data": base64.b64encode(content),
                "file_name": report_file_name(self.date_from, self.date_to),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": report_env(self.env)._("Customer Service Report"),
        }

    @api.model
    def _xlsx_extra_sheets(self):
        """The sheets other addons add to the workbook, after the core ones.

        A list of functions ``add_sheet(report, workbook)``, each given the
        ``KundeCaseXlsxReport`` being built (its ``env`` is the user's, or the
        system's for the monthly mail to outsiders; ``base_domain``, ``start``,
        ``end``, ``formats``, ``header()`` and ``text()`` are theirs to use) and
        the xlsxwriter workbook. A bridge addon extends it::

            def _xlsx_extra_sheets(self):
                return super()._xlsx_extra_sheets() + [add_sales_sheet]

        The monthly email attaches the same workbook, so it has them too.
        """
        return []

    @api.model
    def _cron_send_monthly_report(self):
        """Email last month's workbook to each company's report recipients.

        Each recipient who is a user gets the workbook their own access rights
        build (a private team's cases only for its members and managers); the
        other recipients share one without members-only teams. The file is
        attached to the outgoing mail alone, readable by nobody in Odoo but the
        administrators, and deleted with the mail once it is sent.
        """
        date_from, date_to = last_month(fields.Date.context_today(self))
        for company in self.env["res.company"].search(
            [("kunde_report_partner_ids", "!=", False)]
        ):
            recipients = company.kunde_report_partner_ids.filtered("email")
            users = recipients.user_ids.filtered(
                lambda user, company=company: not user.share
                and company in user.company_ids
                and user.has_group("kunde_crm.kunde_crm_group_viewer")
            )
            outsiders = recipients - users.partner_id
            for user in users:
                self._send_monthly_report(
                    company, user.partner_id, date_from, date_to, user=user
                )
            if outsiders:
                self._send_monthly_report(company, outsiders, date_from, date_to)

    @api.model
    def _send_monthly_report(self, company, recipients, date_from, date_to, user=None):
        lang = (
            (user and user.lang)
            or recipients[:1].lang
            or company.partner_id.lang
            or "en_US"
        )
        env = self.env(
            user=user.id if user else self.env.uid,
            su=not user,
            context=dict(
                self.env.context,
                allowed_company_ids=company.ids,
                lang=lang,
                tz=(user and user.tz) or company.partner_id.tz or "Europe/Oslo",
            ),
        )
        domain = [("company_id", "=", company.id)]
        if not user:
            # Built by the system for people outside customer service: never a
            # members-only team's cases.
            domain.append(("team_id.privacy", "!=", "members"))
        content = KundeCaseXlsxReport(env, date_from, date_to, domain=domain).build()
        system = self.env(
            su=True, context=dict(self.env.context, lang=lang)
        )  # the mail itself
        mail = system["mail.mail"].create(
            {
                "subject": system._(
                    "Customer service report %(month)s",
                    month=date_from.strftime("%Y-%m"),
                ),
                "body_html": self._monthly_report_body(
                    env, system, domain, date_from, date_to
                ),
                "email_from": company.email_formatted
                or company.partner_id.email_formatted,
                "recipient_ids": [(6, 0, recipients.ids)],
                "auto_delete": True,
            }
        )
        attachment = system["ir.attachment"].create(
            {
                "name": report_file_name(date_from, date_to),
                "raw": content,
                "mimetype": "application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet",
                # On the mail's own message: deleted with it once sent.
                "res_model": "mail.message",
                "res_id": mail.mail_message_id.id,
            }
        )
        mail.attachment_ids = [(6, 0, attachment.ids)]
        _logger.info(
            "Monthly customer service report for %s queued to %s recipient(s)",
            company.name,
            len(recipients),
        )

    @api.model
    def _monthly_report_body(self, env, system, domain, date_from, date_to):
        """The monthly email's text: the attachment, and last month's
        satisfaction as the recipient may read it (``env``)."""
        body = system._("<p>Attached is last month's customer service report.</p>")
        _before, start, end = env["kunde.case.trend"]._period_bounds(date_from, date_to)
        count, average, satisfied = satisfaction_totals(env, domain, start, end)
        if count:
            average_text = f"{average:.1f}"
            satisfied_text = f"{satisfied:.0f} %"
            body += system._(
                "<p>Satisfaction: %(count)s ratings, on average %(average)s of 5, "
                "%(satisfied)s satisfied (5 of 5).</p>",
                count=count,
                average=average_text,
                satisfied=satisfied_text,
            )
        return body
