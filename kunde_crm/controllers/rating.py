"""The satisfaction survey page: a GET shows the faces, only a POST records."""

import re

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import get_lang

from ..models.kunde_case_constants import RATING_FEEDBACK_MAX_CHARS, RATING_VALUES

# A rating token is a uuid4 in hex (rating.rating._default_access_token).
TOKEN_FORMAT = re.compile(r"^[0-9a-f]{32}$")


class KundeCaseRating(http.Controller):
    """The link in the survey email opens /kunde/rate/<token>/<rate>.

    Mail scanners open every link of an email: opening the page records
    nothing, it shows the three faces with the clicked one chosen. The rating
    is recorded by the page's form (POST, CSRF-protected), once. The token is
    the customer's key: a case is read with sudo() only after its token
    matched, and a logged-in user of another company (an agent included) may
    not use someone else's link.
    """

    @http.route(
        ["/kunde/rate/<string:token>", "/kunde/rate/<string:token>/<int:rate>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def kunde_rating_page(self, token, rate=None, **kwargs):
        rating_sudo, case_sudo = self._kunde_rating_from_token(token)
        refused = self._kunde_refused_visitor(rating_sudo, case_sudo)
        if refused:
            return refused
        if rating_sudo.consumed:
            return self._kunde_render(rating_sudo, case_sudo, done=True)
        if rate is not None and rate not in RATING_VALUES:
            return self._kunde_render(
                rating_sudo, case_sudo, error="bad_rate", status=400
            )
        return self._kunde_render(rating_sudo, case_sudo, rate=rate)

    @http.route(
        "/kunde/rate/<string:token>/submit",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def kunde_rating_submit(self, token, rate=None, feedback=None, **kwargs):
        rating_sudo, case_sudo = self._kunde_rating_from_token(token)
        refused = self._kunde_refused_visitor(rating_sudo, case_sudo)
        if refused:
            return refused
        try:
            rate = int(rate)
        except (TypeError, ValueError):
            rate = None
        if rate not in RATING_VALUES:
            return self._kunde_render(
                rating_sudo, case_sudo, error="bad_rate", status=400
            )
        feedback = (feedback or "")[:RATING_FEEDBACK_MAX_CHARS]
        if rating_sudo.consumed:
            return self._kunde_render(rating_sudo, case_sudo, done=True, status=409)
        try:
            # The token matched this case's rating: the system records it.
            case_sudo.rating_apply(rate, rating=rating_sudo, feedback=feedback)
        except (UserError, AccessError):
            request.env.cr.rollback()
            return self._kunde_render(rating_sudo, case_sudo, done=True, status=409)
        return self._kunde_render(rating_sudo, case_sudo, done=True, thanks=True)

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _kunde_rating_from_token(self, token):
        """(rating, case) of a token, both sudo, or 404: a wrong, guessed or
        another model's token shows nothing."""
        if not TOKEN_FORMAT.match(token or ""):
            raise NotFound()
        rating_sudo = (
            request.env["rating.rating"]
            .sudo()
            .search(
                [("access_token", "=", token), ("res_model", "=", "kunde.case")],
                limit=1,
            )
        )
        if not rating_sudo or not consteq(rating_sudo.access_token, token):
            raise NotFound()
        case_sudo = (
            request.env["kunde.case"]
            .sudo()
            .with_context(active_test=False)
            .browse(rating_sudo.res_id)
            .exists()
        )
        if not case_sudo:
            raise NotFound()
        return rating_sudo, case_sudo

    def _kunde_refused_visitor(self, rating_sudo, case_sudo):
        """A logged-in user who is not of the customer's company (an agent,
        another customer) may not rate with the customer's link."""
        user = request.env.user
        if user._is_public():
            return None
        customer = rating_sudo.partner_id.commercial_partner_id
        if user.partner_id.commercial_partner_id == customer:
            return None
        return self._kunde_render(rating_sudo, case_sudo, error="not_yours", status=403)

    def _kunde_render(self, rating_sudo, case_sudo, status=200, **values):
        lang = rating_sudo.partner_id.lang or get_lang(request.env).code
        html = (
            request.env["ir.ui.view"]
            .with_context(lang=lang)
            ._render_template(
                "kunde_crm.kunde_rating_page",
                {
                    "rating": rating_sudo,
                    "case": case_sudo,
                    "token": rating_sudo.access_token,
                    "rate": values.pop("rate", None),
                    "rates": list(reversed(RATING_VALUES)),
                    **values,
                },
            )
        )
        return request.make_response(html, status=status)
