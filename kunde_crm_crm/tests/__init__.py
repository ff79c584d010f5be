from . import (
    test_i18n,
    test_sales_access,
    test_sales_erasure,
    test_sales_mail,
    test_sales_reports,
    test_send_to_sales,
)
