"""18.0.1.1.0: the case record rules test team id lists instead of subqueries.

The rules are noupdate data, so an upgrade does not rewrite them by itself.
The reference lost its plain index (its unique constraint indexes it), and
Odoo keeps an index a field no longer asks for: it is dropped here.
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
    cr.execute("DROP INDEX IF EXISTS kunde_case__reference_index")
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, domain in RULES.items():
        rule = env.ref(xmlid, raise_if_not_found=False)
        if rule:
            rule.domain_force = domain
