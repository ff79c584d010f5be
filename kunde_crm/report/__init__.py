from . import kunde_case_trend, kunde_case_xlsx
