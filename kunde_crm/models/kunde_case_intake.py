"""kunde.case intake: the one path for cases created for customers (mail, portal
form, RPC), the reopen window and follow-up cases."""

from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .kunde_case_constants import DEFAULT_REOPEN_DAYS

# What a customer (a portal user, on the form or over RPC) may set on a new
# case; everything else is decided for them by _customer_case_values().
CUSTOMER_FIELDS = frozenset({"name", "description", "category_id", "origin_case_id"})
# Accepted from a customer, then decided by the model: the contact is always
# their own, the team the one that receives customers' inquiries.
DECIDED_FOR_CUSTOMER = frozenset({"partner_id", "team_id"})


class KundeCase(models.Model):
    _inherit = "kunde.case"

    # ------------------------------------------------------------------
    # New cases for customers: one path for mail, portal and RPC
    # ------------------------------------------------------------------
    @api.model
    def _create_for_customer(self, vals, channel):
        """Create a case on behalf of a customer.

        The portal form and the follow-up of a late reply come here; the mail
        gateway and create() by a portal user apply the same rules
        (_customer_case_values). A portal user's values are checked by create().
        """
        if self._is_customer_env():
            return self.create(vals)
        return self.create(self._customer_case_values(vals, channel))

    @api.model
    def _customer_case_values(self, vals, channel, automatic=False):
        """The values of a case created for a customer: its channel, team,
        acknowledgement and follow-up link, decided here for every path."""
        values = dict(vals)
        values["channel"] = channel
        if self._is_customer_env():
            values["partner_id"] = self.env.user.partner_id.id
        origin = self.browse(values.get("origin_case_id") or ())
        if origin and not self._may_follow_up(origin, values.get("partner_id")):
            origin = self.browse()
            values.pop("origin_case_id")
        if origin:
            values = origin.sudo()._follow_up_values(values)
        if not values.get("team_id") and channel == "portal":
            values["team_id"] = self._customer_team().id
        # Acknowledged by the scheduled action, not inside the request.
        values["ack_pending"] = not automatic
        return values

    @api.model
    def _customer_fields_only(self, vals):
        """A portal user's values for a new case: what the form offers, their
        own contact, and a team (routing is decided for them); nothing else."""
        forbidden = set(vals) - CUSTOMER_FIELDS - DECIDED_FOR_CUSTOMER
        if forbidden:
            raise AccessError(
                _(
                    "As a customer you can only give the subject, the description "
                    "and a category of a new inquiry, not %(fields)s.",
                    fields=", ".join(sorted(forbidden)),
                )
            )
        partner_id = vals.get("partner_id")
        if partner_id and partner_id != self.env.user.partner_id.id:
            raise AccessError(
                _("As a customer you can only send inquiries in your own name.")
            )
        values = {name: vals[name] for name in CUSTOMER_FIELDS if name in vals}
        if values.get("category_id"):
            category = self.env["kunde.case.category"].browse(values["category_id"])
            if not category.exists() or not category.sudo().is_public:
                values.pop("category_id")
        return values

    @api.model
    def _is_customer_env(self):
        return self.env.user.share and not self.env.su

    @api.model
    def _may_follow_up(self, origin, partner_id):
        """A customer links a new inquiry only to a case of their own company."""
        if not self._is_customer_env():
            return bool(origin.exists())
        partner = self.env["res.partner"].browse(partner_id)
        return bool(
            origin.exists()
            and origin.has_access("read")
            and origin.sudo().commercial_partner_id == partner.commercial_partner_id
        )

    @api.model
    def _customer_team(self):
        """The team that receives customers' own inquiries (routing only: the
        customer never reads it): the first team of the user's companies."""
        return (
            self.env["kunde.team"]
            .sudo()
            .search(
                [("company_id", "in", self.env.user.company_ids.ids)],
                order="sequence, id",
                limit=1,
            )
        )

    def _reply_opens_new_case(self):
        """The reopen window: closed longer ago than the team allows."""
        self.ensure_one()
        if not self.is_closed or not self.date_closed:
            return False
        window = self.team_id.reopen_days if self.team_id else DEFAULT_REOPEN_DAYS
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

    def _follow_up_from_message(self, message):
        """A customer wrote on a case closed beyond its reopen window: the
        message becomes a follow-up case, and the old case says where it went."""
        self.ensure_one()
        case = self.sudo()
        follow_up = case._create_for_customer(
            {
                "name": case.name,
                "description": message.body,
                "partner_id": message.author_id.id or case.partner_id.id,
                "origin_case_id": case.id,
            },
            "email" if message.message_type == "email" else "portal",
        )
        case.message_post(
            body=Markup("<p>%s</p>")
            % _(
                "The customer wrote after the reopen window: the message became "
                "the follow-up case %(reference)s.",
                reference=follow_up.reference,
            ),
            author_id=self.env.ref("base.partner_root").id,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
        )
        self._request_acknowledgement()
        return follow_up
