from . import (
    kunde_case,
    kunde_case_category,
    kunde_case_stage,
    kunde_case_tag,
    kunde_team,
    mail_thread,
    res_partner,
)
