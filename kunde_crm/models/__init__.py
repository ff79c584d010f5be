from . import (
    kunde_case,
    kunde_case_category,
    kunde_case_stage,
    kunde_case_tag,
    kunde_team,
    res_partner,
)
