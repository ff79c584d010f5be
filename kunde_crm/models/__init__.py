from . import (
    account_move,
    account_move_reversal,
    kunde_case,
    kunde_case_category,
    kunde_case_stage,
    kunde_case_tag,
    kunde_sla_policy,
    kunde_team,
    mail_thread,
    res_company,
    res_partner,
    resource_calendar,
)
