from . import kunde_case_sales_demo
