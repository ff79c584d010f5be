from odoo import api, models


class MailThread(models.AbstractModel):
    """Hooks of the mail gateway; the rules themselves live on kunde.case."""

    _inherit = "mail.thread"

    @api.model
    def message_route(
        self, message, message_dict, model=None, thread_id=None, custom_values=None
    ):
        routes = super().message_route(
            message,
            message_dict,
            model=model,
            thread_id=thread_id,
            custom_values=custom_values,
        )
        Case = self.env["kunde.case"]
        unverified = Case._sender_unverified(message, message_dict.get("email_from"))
        return Case._adjust_mail_routes(routes, message_dict, unverified)

    def _message_route_process(self, message, message_dict, routes):
        Case = self.env["kunde.case"]
        automatic = Case._is_automatic_email(message)
        new_case = any(
            model == Case._name and not thread_id for model, thread_id, *_r in routes
        )
        # Known to the intake and the reopen rule through the cursor, where no
        # client can set it (unlike the context).
        with Case._mark_cursor("kunde_automatic_email", automatic):
            thread_id = super()._message_route_process(message, message_dict, routes)
        if new_case and thread_id and not automatic:
            Case._request_acknowledgement()
        return thread_id
