"""kunde.erasure.log: who erased which contact's personal data, when, and how much.

The log says what was done, never what was erased: counts, the case references
and the (anonymised) contact, no name, address, subject or text. Nobody writes
or deletes it through the ORM; res.partner's erasure creates it as superuser.
"""

from odoo import fields, models


class KundeErasureLog(models.Model):
    _name = "kunde.erasure.log"
    _description = "Personal Data Erasure Log"
    _order = "date desc, id desc"
    _rec_name = "date"

    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one(
        "res.users",
        string="Erased By",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        help="The company the manager worked in when erasing.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "kunde_erasure_log_partner_rel",
        "log_id",
        "partner_id",
        string="Contacts",
        readonly=True,
        context={"active_test": False},
        help="The erased contacts, now anonymised and archived.",
    )
    partner_count = fields.Integer(string="Contacts Erased", readonly=True)
    case_references = fields.Text(
        readonly=True, help="The references of the erased cases (SAK-000123, ...)."
    )
    case_count = fields.Integer(string="Cases", readonly=True)
    message_count = fields.Integer(string="Messages", readonly=True)
    tracking_count = fields.Integer(string="Tracked Changes", readonly=True)
    attachment_count = fields.Integer(string="Attachments Deleted", readonly=True)
    mail_count = fields.Integer(string="Outgoing Emails Deleted", readonly=True)
    rating_count = fields.Integer(string="Ratings", readonly=True)
    activity_count = fields.Integer(string="Activities", readonly=True)
    follower_count = fields.Integer(string="Subscriptions Removed", readonly=True)
    other_counts = fields.Text(
        string="Other Apps",
        readonly=True,
        help="What the installed bridge addons erased: leads made from the cases "
        "(CRM), mailing-list contacts (Email Marketing); counts only.",
    )
