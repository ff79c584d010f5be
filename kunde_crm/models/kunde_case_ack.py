"""kunde.case acknowledgements: the email that confirms a new case to the customer."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .kunde_case_constants import ACKNOWLEDGEMENT_LIMIT

_logger = logging.getLogger(__name__)


class KundeCase(models.Model):
    _inherit = "kunde.case"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    ack_pending = fields.Boolean(
        string="Acknowledgement Pending",
        copy=False,
        readonly=True,
        help="A new case from email or the portal waits for its acknowledgement, "
        "which a scheduled action sends seconds later.",
    )

    # ------------------------------------------------------------------
    # Mail hooks
    # ------------------------------------------------------------------
    def _notify_by_email_get_headers(self, headers=None):
        headers = super()._notify_by_email_get_headers(headers=headers)
        if self._cursor_mark("kunde_auto_submitted"):
            headers["Auto-Submitted"] = "auto-replied"
            headers["X-Auto-Response-Suppress"] = "All"
        return headers

    # ------------------------------------------------------------------
    # Scheduled action and private helpers
    # ------------------------------------------------------------------
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
        address, or the sender already got ACKNOWLEDGEMENT_LIMIT (5)
        acknowledgements within the hour.
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
        # Marked as automatic replies (Auto-Submitted) while they are posted.
        with self._mark_cursor("kunde_auto_submitted", True):
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
                case.with_context(mail_notify_force_send=False).message_post(
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
