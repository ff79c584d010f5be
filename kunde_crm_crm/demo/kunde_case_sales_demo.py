"""Demo data of the bridge: demo cases sent to sales by a demo agent (make run)."""

from odoo import api, models


class KundeCaseDemo(models.AbstractModel):
    _inherit = "kunde.case.demo"

    @api.model
    def _generate_sales(self):
        """Ingrid (an agent without sales rights) sends four demo cases to the
        Sales team: two leads go to the administrator, one opportunity is won
        and one lost, so the case form, the pivot and the workbook show them."""
        agent = self.env.ref("kunde_crm.user_ingrid_demo", raise_if_not_found=False)
        team = self.env.ref("sales_team.team_sales_department")
        salesperson = self.env.ref("base.user_admin")
        if not agent or salesperson not in team.member_ids | team.user_id:
            return
        cases = (
            self.env["kunde.case"]
            .with_user(agent)
            .search(
                [("partner_id", "!=", False), ("team_id", "!=", False)],
                order="date_received desc",
                limit=4,
            )
        )
        leads = self.env["crm.lead"]
        for index, case in enumerate(cases):
            lead_type = "lead" if index < 2 else "opportunity"
            if not case._sales_uses_leads():
                lead_type = "opportunity"
            leads |= case._send_to_sales(
                team, salesperson, case._default_sales_summary(), lead_type
            )
        opportunities = leads.sudo().filtered(lambda lead: lead.type == "opportunity")
        if len(opportunities) >= 2:
            opportunities[0].write({"expected_revenue": 48000})
            opportunities[0].action_set_won()
            opportunities[1].write({"expected_revenue": 12000})
            opportunities[1].action_set_lost()
