from markupsafe import Markup

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# Default largest attachment on the portal form, in MB (ir.config_parameter
# kunde_crm.portal_max_attachment_mb overrides it).
DEFAULT_MAX_ATTACHMENT_MB = 10


class KundeCasePortal(CustomerPortal):
    """Customers follow their cases on /my/cases.

    Every read goes through the ORM as the portal user (record rules) or, for a
    link sent by email, through the case's access token checked by
    ``_document_check_access``. Nothing is read with sudo() before one of these
    checks passed.
    """

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "kunde_case_count" in counters:
            Case = request.env["kunde.case"]
            values["kunde_case_count"] = (
                Case.search_count(self._kunde_case_domain())
                if Case.has_access("read")
                else 0
            )
        return values

    def _kunde_case_domain(self):
        partner = request.env.user.partner_id
        return [("commercial_partner_id", "=", partner.commercial_partner_id.id)]

    def _kunde_case_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "date_received desc, id desc"},
            "reference": {"label": _("Reference"), "order": "reference desc"},
            "stage": {"label": _("Status"), "order": "is_closed, stage_id, id desc"},
        }

    def _kunde_case_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": _("Closed"), "domain": [("is_closed", "=", True)]},
        }

    def _kunde_max_attachment_bytes(self):
        value = (
            request.env["ir.config_parameter"]
            .sudo()
            .get_param("kunde_crm.portal_max_attachment_mb", DEFAULT_MAX_ATTACHMENT_MB)
        )
        try:
            return int(float(value) * 1024 * 1024)
        except (TypeError, ValueError):
            return DEFAULT_MAX_ATTACHMENT_MB * 1024 * 1024

    def _kunde_public_categories(self):
        return request.env["kunde.case.category"].search([("is_public", "=", True)])

    # ------------------------------------------------------------------
    # routes
    # ------------------------------------------------------------------
    @http.route(
        ["/my/cases", "/my/cases/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_cases(
        self, page=1, sortby="date", filterby="all", search=None, **kwargs
    ):
        Case = request.env["kunde.case"]
        sortings = self._kunde_case_sortings()
        filters = self._kunde_case_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = self._kunde_case_domain() + filters[filterby]["domain"]
        if search:
            domain += ["|", ("reference", "ilike", search), ("name", "ilike", search)]
        total = Case.search_count(domain)
        pager = portal_pager(
            url="/my/cases",
            url_args={"sortby": sortby, "filterby": filterby, "search": search},
            total=total,
            page=page,
            step=self._items_per_page,
        )
        cases = Case.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_cases_history"] = cases.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "cases": cases,
                "page_name": "kunde_case",
                "default_url": "/my/cases",
                "pager": pager,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "search": search or "",
                "search_in": "all",
                "searchbar_inputs": {
                    "all": {
                        "input": "all",
                        "label": _("Search in subject and reference"),
                    }
                },
            }
        )
        return request.render("kunde_crm.portal_my_cases", values)

    @http.route(["/my/cases/<int:case_id>"], type="http", auth="public", website=True)
    def portal_my_case(self, case_id, access_token=None, **kwargs):
        try:
            case_sudo = self._document_check_access("kunde.case", case_id, access_token)
        except (AccessError, MissingError):
            return request.not_found()
        values = self._get_page_view_values(
            case_sudo,
            access_token,
            {
                "case": case_sudo,
                "page_name": "kunde_case",
                "opens_new_case": case_sudo._reply_opens_new_case(),
            },
            "my_cases_history",
            False,
            **kwargs,
        )
        return request.render("kunde_crm.portal_my_case", values)

    @http.route(
        ["/my/cases/new"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_case_new(self, **post):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "kunde_case_new",
                "categories": self._kunde_public_categories(),
                "max_attachment_mb": self._kunde_max_attachment_bytes()
                // (1024 * 1024),
                "error": {},
                "post": post,
            }
        )
        if request.httprequest.method != "POST":
            return request.render("kunde_crm.portal_case_new", values)
        try:
            case = self._kunde_create_case_from_portal(post)
        except ValidationError as error:
            # Re-show the form with what the customer typed: nothing is lost.
            values["error"] = {"message": error.args[0]}
            return request.render("kunde_crm.portal_case_new", values)
        return request.redirect(f"/my/cases/{case.id}?created=1")

    def _kunde_create_case_from_portal(self, post):
        subject = (post.get("subject") or "").strip()
        if not subject:
            raise ValidationError(_("Please write a subject for your inquiry."))
        files = [
            f for f in request.httprequest.files.getlist("attachments") if f.filename
        ]
        limit = self._kunde_max_attachment_bytes()
        attachments = []
        for upload in files:
            content = upload.read(limit + 1)
            if len(content) > limit:
                raise ValidationError(
                    _(
                        "The file %(name)s is larger than %(limit)s MB. Please send a "
                        "smaller file, or several smaller ones.",
                        name=upload.filename,
                        limit=limit // (1024 * 1024),
                    )
                )
            attachments.append((upload.filename, content))
        category = self._kunde_public_categories().filtered(
            lambda c: str(c.id) == post.get("category_id")
        )
        origin = post.get("origin_case_id") or ""
        description = plaintext2html(post.get("description") or "")
        # Created as the portal user, through the one path for customers' cases:
        # access rights, record rules and the model's rules (team, channel,
        # acknowledgement, follow-up link) apply.
        Case = request.env["kunde.case"]
        case = Case._create_for_customer(
            {
                "name": subject,
                "description": description,
                "category_id": category.id,
                "origin_case_id": int(origin) if origin.isdigit() else False,
            },
            "portal",
        )
        case.message_post(
            body=description or Markup("<p>%s</p>") % subject,
            attachments=attachments,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        Case._request_acknowledgement()
        return case
