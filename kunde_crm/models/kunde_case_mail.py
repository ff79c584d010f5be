"""kunde.case mail: the gateway (intake, routing, sender checks) and the chatter
rules (who writes to customers, what a customer's message does)."""

import logging
import re
from email.utils import getaddresses

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import email_normalize

_logger = logging.getLogger(__name__)

# "[SAK-000123]" in a subject: how a reply without threading headers finds its
# case. Bounded, and only the beginning of a subject is searched.
REFERENCE_IN_SUBJECT = re.compile(
    r"\[[^\S\n]{0,3}([A-Z]{2,10}-\d{3,12})[^\S\n]{0,3}\]", re.IGNORECASE
)
SUBJECT_SCAN_CHARS = 1000
AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")
# Addresses anyone can get: a sender from one of these domains is a private
# person, never a contact of the company whose address happens to use it.
FREE_MAIL_DOMAINS = frozenset(
    {
        # international
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "tutanota.com",
        "yahoo.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        # Nordic
        "altibox.no",
        "broadpark.no",
        "c2i.net",
        "chello.no",
        "frisurf.no",
        "getmail.no",
        "hotmail.dk",
        "hotmail.no",
        "hotmail.se",
        "live.no",
        "live.se",
        "lyse.net",
        "online.no",
        "outlook.dk",
        "outlook.no",
        "sol.no",
        "start.no",
        "telia.no",
        "yahoo.no",
        "yahoo.se",
    }
)


# One "method=result" of an Authentication-Results header, with the domain it
# was checked for (header.from, header.d, smtp.mailfrom). Bounded: the header
# comes from the sender's side of the internet.
AUTH_RESULT = re.compile(
    r"^\s{0,20}([a-z0-9-]{1,20})\s{0,5}=\s{0,5}([a-z]{1,20})\b(.{0,500})$"
)
AUTH_DOMAIN = re.compile(
    r"\b(?:header\.from|header\.[di]|smtp\.mailfrom)\s{0,5}=\s{0,5}"
    r"(?:[^\s;@]{0,200}@)?([a-z0-9.-]{1,253})"
)
AUTH_HEADER_CHARS = 4000


def parse_authentication_results(header):
    """(authserv-id, [(method, result, domain checked or "")]) of one header."""
    parts = header[:AUTH_HEADER_CHARS].lower().replace("\n", " ").split(";")
    authserv_id = parts[0].strip().split(" ", 1)[0] if parts else ""
    checks = []
    for part in parts[1:]:
        match = AUTH_RESULT.match(part)
        if not match:
            continue
        domain = AUTH_DOMAIN.search(match.group(3))
        checks.append(
            (match.group(1), match.group(2), domain.group(1) if domain else "")
        )
    return authserv_id, checks


class KundeCase(models.Model):
    _inherit = "kunde.case"

    sender_unverified = fields.Boolean(
        string="Unverified Sender",
        readonly=True,
        copy=False,
        help="The receiving mail server could not verify that the mail came from "
        "the sender's domain (DMARC or SPF failed). The mail did not join an "
        "existing case; check who wrote before you answer or share anything.",
    )

    # ------------------------------------------------------------------
    # Mail gateway and chatter
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
            email_from=email_from or False,
        )
        if partner:
            values["partner_id"] = partner.id
        values = self._customer_case_values(
            values,
            "email",
            automatic=bool(self._cursor_mark("kunde_automatic_email")),
        )
        return super().message_new(msg_dict, custom_values=values)

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        self._check_customer_facing_post(kwargs)
        return super().message_post(**kwargs)

    def _check_customer_facing_post(self, post_values):
        """Only agents write to customers. Other internal users (read-only
        reporting, accountants) may read a case and leave internal notes."""
        user = self.env.user
        if self.env.su or user.share or user._is_agent_for_cases():
            return
        subtype = self.env["mail.message.subtype"]
        if post_values.get("subtype_id"):
            subtype = subtype.browse(post_values["subtype_id"])
        elif post_values.get("subtype_xmlid"):
            subtype = self.env.ref(post_values["subtype_xmlid"])
        internal = not subtype or subtype.sudo().internal
        recipients = self.env["res.partner"].browse(post_values.get("partner_ids"))
        outsiders = recipients.sudo().filtered(
            lambda partner: not partner.user_ids or partner.user_ids[:1].share
        )
        if not internal or outsiders:
            raise AccessError(
                _(
                    "Only customer service agents write to customers. You can "
                    "leave an internal note on the case."
                )
            )

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if message.message_type not in ("comment", "email"):
            return result
        authors = message.author_id.user_ids
        author_is_agent = any(user._is_agent_for_cases() for user in authors)
        author_is_staff = any(not user.share for user in authors)
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
        elif not (author_is_staff or self._cursor_mark("kunde_automatic_email")):
            # The customer wrote again (email, portal, RPC): a closed case
            # comes back to the queue within its team's reopen window; after
            # it the message starts a follow-up case instead.
            closed = self.filtered("is_closed")
            late = closed.filtered(lambda case: case._reply_opens_new_case())
            (closed - late).sudo().action_reopen()
            for case in late:
                case._follow_up_from_message(message)
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

    # ------------------------------------------------------------------
    # Routing helpers
    # ------------------------------------------------------------------
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
        if domain in FREE_MAIL_DOMAINS:
            return self.env["res.partner"]
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
    def _adjust_mail_routes(self, routes, message_dict, unverified=False):
        """Routes of an incoming message, corrected for cases.

        - A message without threading headers whose subject quotes a case
          reference joins that case, but only when the sender is the case's
          customer or a follower (Outlook strips the headers).
        - A reply to a case closed longer than its team's reopen window opens a
          new case linked to the old one instead.
        - A message whose sender the receiving server could not verify
          (``unverified``: DMARC or SPF failed for the From domain) never joins
          or reopens a case: it becomes a new case flagged *Unverified sender*.
        """
        adjusted = []
        for model, thread_id, custom_values, user_id, alias in routes:
            if model == self._name:
                case = self.sudo().browse(thread_id).exists() if thread_id else False
                if not case:
                    case = self._case_from_subject(message_dict)
                if unverified:
                    if case:
                        _logger.info(
                            "Unverified mail from %s addressed to case %s: handled "
                            "as a new inquiry",
                            message_dict.get("email_from"),
                            case.reference,
                        )
                    custom_values = dict(custom_values or {}, sender_unverified=True)
                    case = False
                elif case and case._reply_opens_new_case():
                    custom_values = case._follow_up_values(custom_values)
                    case = False
                thread_id = case.id if case else False
            adjusted.append((model, thread_id, custom_values, user_id, alias))
        return adjusted

    @api.model
    def _sender_unverified(self, message, email_from):
        """Did the receiving mail server fail to verify the From domain?

        Reads the topmost ``Authentication-Results`` header (RFC 8601), the one
        the receiving server adds, or those of the server named in the system
        parameter ``kunde_crm.authserv_id``. DMARC failing for the From domain,
        or SPF failing with no DKIM pass for it, means unverified. Without the
        header nothing is known, and the mail is handled as it always was.
        """
        sender = email_normalize(email_from or "") or ""
        domain = sender.rpartition("@")[2]
        headers = message.get_all("Authentication-Results") or []
        if not domain or not headers:
            return False
        authserv_id = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("kunde_crm.authserv_id", "")
            .strip()
            .lower()
        )
        results = [parse_authentication_results(str(h)) for h in headers]
        if authserv_id:
            results = [r for r in results if r[0] == authserv_id]
        else:
            results = results[:1]
        for _authserv, checks in results:
            found = {
                method: result
                for method, result, checked in checks
                if checked in ("", domain)
            }
            if found.get("dmarc") == "fail":
                return True
            if found.get("spf") in ("fail", "softfail") and found.get("dkim") != "pass":
                return True
        return False

    @api.model
    def _case_from_subject(self, message_dict):
        subject = (message_dict.get("subject") or "")[:SUBJECT_SCAN_CHARS]
        match = REFERENCE_IN_SUBJECT.search(subject)
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
