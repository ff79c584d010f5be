from . import kunde_case_report_wizard
