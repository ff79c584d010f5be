"""Odoo processes: odoo-bin runs and the bench's servers."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH, LOG_LINE, LOGS, WORK, log
from rpc import wait_for_server


class Context:
    """The run's settings and paths; ``db`` is the working copy being measured."""

    def __init__(self, args):
        self.args = args
        self.odoo_src = Path(args.odoo_src)
        self.python = sys.executable
        self.data_dir = Path(args.data_dir)
        self.base_conf = Path(args.conf)
        self.conf = WORK / "odoo-bench.conf"
        self.peer_addons = None
        prefix = args.db_prefix
        self.template_prefix = f"{prefix}_tmpl_"
        self.db = prefix
        self.take_db = f"{prefix}_takenext"
        self.label = ""  # a suffix of the log files of another database
        self.captured = None  # the web client's requests, once captured

    def log_name(self, name):
        return f"{name}-{self.label}" if self.label else name

    def odoo(self, db, *options, log_name):
        """odoo-bin ... --stop-after-init, output in bench/.work/logs."""
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(LOGS / f"{log_name}.log", "w") as out:
            subprocess.run(
                [
                    self.python,
                    str(self.odoo_src / "odoo-bin"),
                    "-c",
                    str(self.conf),
                    "-d",
                    db,
                    *options,
                    "--stop-after-init",
                    "--log-level=warn",
                ],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def run_python(self, script, *options, log_name):
        with open(LOGS / f"{log_name}.log", "w") as out:
            subprocess.run(
                [self.python, str(BENCH / script), *options],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """odoo-bin serving one database on a free port of 127.0.0.1."""

    def __init__(self, ctx, db, workers, name):
        self.ctx, self.db, self.workers, self.name = ctx, db, workers, name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = LOGS / f"server-{name}.log"
        self.process = None

    def __enter__(self):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path.unlink(missing_ok=True)
        command = [
            self.ctx.python,
            str(self.ctx.odoo_src / "odoo-bin"),
            "-c",
            str(self.ctx.conf),
            "-d",
            self.db,
            # -d alone, no --db-filter: with a filter Odoo lists the server's
            # databases (a query on pg_database) on every request; with -d only
            # it serves that database, as a single-database deployment does.
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            f"--logfile={self.log_path}",
            "--log-level=warn",
            "--log-handler=werkzeug:INFO",
        ]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        log(f"odoo --workers={self.workers} on {self.url} ({self.db})")
        wait_for_server(self.url, timeout=300, process=self.process)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # prefork workers leave with their master; make sure
        for _ in range(50):
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)

    def log_offset(self):
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def requests_since(self, offset, path, expected, timeout=5.0):
        """Perf info of the requests to ``path`` logged after ``offset``."""
        deadline = time.time() + timeout
        while True:
            with open(self.log_path, errors="replace") as handle:
                handle.seek(offset)
                found = [
                    {
                        "queries": int(m["queries"]),
                        "sql_ms": float(m["sql"]) * 1000,
                        "other_ms": float(m["other"]) * 1000,
                    }
                    for m in map(LOG_LINE.search, handle)
                    if m and m["path"] == path
                ]
            if len(found) >= expected or time.time() > deadline:
                return found
            time.sleep(0.1)
