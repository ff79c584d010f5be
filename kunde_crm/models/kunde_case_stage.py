from odoo import _, api, fields, models
from odoo.exceptions import UserError


class KundeCaseStage(models.Model):
    _name = "kunde.case.stage"
    _description = "Case Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded stages are collapsed on the case board.",
    )
    is_closed = fields.Boolean(
        string="Closing Stage",
        help="Cases in this stage are done: they leave the queue and get a closing "
        "date.",
    )
    team_ids = fields.Many2many(
        "kunde.team",
        string="Teams",
        help="Teams that use this stage. Leave empty to use it for every team.",
    )
    rating_excluded = fields.Boolean(
        string="No Satisfaction Survey",
        help="Cases closed in this stage (spam, duplicates) get no satisfaction "
        "survey.",
    )
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        counts = self.env["kunde.case"]._usage_counts("stage_id", self)
        used = self.filtered(lambda stage: counts.get(stage))
        if used:
            raise UserError(
                _(
                    "You cannot delete the stage %(stages)s: it still holds "
                    "%(count)s case(s). Move the cases to another stage first, or "
                    "archive the stage.",
                    stages=", ".join(used.mapped("name")),
                    count=sum(counts[stage] for stage in used),
                )
            )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    @api.model
    def _for_team_domain(self, team):
        """Domain of the stages a team uses (stages without teams are shared)."""
        if team:
            return ["|", ("team_ids", "=", False), ("team_ids", "in", team.ids)]
        return [("team_ids", "=", False)]
