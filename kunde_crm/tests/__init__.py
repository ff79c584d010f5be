from . import (
    test_bad_input,
    test_case_lifecycle,
    test_i18n,
    test_partner,
    test_queue,
    test_take_next_concurrency,
)
from . import test_ui_tours
