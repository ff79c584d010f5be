"""What every part of the bench shares: paths, names, the bench user, the log."""

import re
import sys
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
LOGS = WORK / "logs"
# The bench's databases all start with this (--db-prefix may lengthen it): the
# bench never touches a database whose name does not.
DB_PREFIX = "kunde_crm_bench"
PEER_PACKAGE = "odoo-addon-helpdesk_mgmt"
PEER_VERSION = "18.0.1.19.5"
AGENT = "agent01"
PASSWORD = "bench"
KUNDE_ALIAS = "kundeservice"
PEER_ALIAS = "support"
ALIAS_DOMAIN = "bench.example.com"
PENDING = "not measured yet: feature pending"
# Odoo's request log line (werkzeug at INFO): path, status, queries, SQL and
# remaining seconds.
LOG_LINE = re.compile(
    r'"POST (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) - '
    r"(?P<queries>\d+) (?P<sql>[\d.]+) (?P<other>[\d.]+)"
)


def log(message):
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"\033[1;35m[bench {stamp}]\033[0m {message}", file=sys.stderr, flush=True)
