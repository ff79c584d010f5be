from . import kunde_case_sales_sheet
