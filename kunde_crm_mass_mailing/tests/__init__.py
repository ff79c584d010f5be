from . import (
    test_segment_attacks,
    test_segment_erasure,
    test_segment_fields,
    test_segment_i18n,
    test_segment_wizard,
)
