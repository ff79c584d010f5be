"""18.0.1.1.0: the case record rules test team id lists instead of subqueries.

The rules are noupdate data, so an upgrade does not rewrite them by itself.
"""

from odoo import SUPERUSER_ID, api

RULES = {
    "kunde_crm.kunde_case_rule_viewer": (
        "['|', ('team_id', 'not in', user.kunde_hidden_team_ids.ids), "
        "('user_id', '=', user.id)]"
    ),
    "kunde_crm.kunde_case_rule_agent_write": (
        "['|', '|', ('team_id', '=', False), "
        "('team_id', 'in', user.kunde_member_team_ids.ids), "
        "('user_id', '=', user.id)]"
    ),
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, domain in RULES.items():
        rule = env.ref(xmlid, raise_if_not_found=False)
        if rule:
            rule.domain_force = domain
