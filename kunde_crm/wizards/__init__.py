from . import kunde_case_report_wizard, kunde_erasure_wizard
