from . import (
    test_access_rights,
    test_accounting,
    test_bad_input,
    test_case_lifecycle,
    test_demo,
    test_email_channel,
    test_i18n,
    test_partner,
    test_portal,
    test_queue,
    test_take_next_concurrency,
    test_ui_tours,
)
