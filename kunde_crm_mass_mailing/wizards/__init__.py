from . import kunde_case_mailing_wizard
