from odoo.tools import SQL

from . import controllers, demo, models, report, wizards
from .models.kunde_case_tally import TALLY_TABLE


def uninstall_hook(env):
    """Drop what kunde_crm made beside Odoo's tables: the case tally and its
    trigger function (the triggers go with the cases' table)."""
    env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(TALLY_TABLE)))
    env.cr.execute(SQL("DROP FUNCTION IF EXISTS kunde_case_tally_trg() CASCADE"))
