"""The numbers and choices of customer service, each named once.

Code, field help texts and views read these names: a rule written in two places
drifts apart the day one of them changes.
"""

PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent")]

CHANNELS = [
    ("email", "Email"),
    ("phone", "Phone"),
    ("web", "Web Form"),
    ("portal", "Customer Portal"),
    ("chat", "Chat"),
    ("letter", "Letter"),
    ("other", "Other"),
]

# At most this many acknowledgements per sender and hour (mail loop protection).
ACKNOWLEDGEMENT_LIMIT = 5

# A pending SLA target is "at risk" when less than this share of its allowed
# working time is left.
SLA_AT_RISK_SHARE = 0.2

# A customer reply to a case closed fewer days ago reopens it; a later one opens
# a new case linked to the old one (the team's default reopen window).
DEFAULT_REOPEN_DAYS = 14

# One page of cases in lists, the partner's case history, and the batch the
# performance tests pin.
PAGE_SIZE = 80

# "Lately" in the customer's statistics.
RECENT_DAYS = 90

# Customer health: the flag's levels, the ratings' scale and windows, and the
# nightly job's batch (one batch per cron call, committed by the cron runner).
HEALTH_LEVELS = [("green", "Green"), ("amber", "Amber"), ("red", "Red")]
RATING_DISSATISFIED_BELOW = 3  # ratings 1 and 2 of 5: Odoo's "unhappy"
SATISFACTION_DAYS = 365
HEALTH_BATCH_SIZE = 1000
# Satisfaction (CSAT) after close: the three faces a customer picks from (1 =
# dissatisfied, 3 = okay, 5 = satisfied), the team's default minimum number of
# days between two surveys to the same customer, and the longest comment kept.
RATING_VALUES = (1, 3, 5)
DEFAULT_RATING_MIN_DAYS = 30
RATING_FEEDBACK_MAX_CHARS = 5000
