from . import (
    kunde_case,
    kunde_case_category,
    kunde_case_trend,
    res_partner,
    res_partner_erasure,
)
