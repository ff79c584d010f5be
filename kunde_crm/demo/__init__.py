from . import kunde_case_demo
