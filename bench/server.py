"""Odoo processes: odoo-bin runs, the bench's servers, and their workers' watch."""

import copy
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
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
        self.growth_db = f"{prefix}_growth"
        self.label = ""  # "growth" while the growth database is measured
        self.captured = None  # the web client's requests, once captured

    def for_growth(self):
        """The same run, measuring the growth database."""
        other = copy.copy(self)
        other.db, other.label = self.growth_db, "growth"
        return other

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
        self.stderr_path = LOGS / f"server-{name}.stderr.log"
        self.process = None
        self.watch = None

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
            # the prefork server's own lines: workers alive, exiting, killed
            "--log-handler=odoo.service.server:INFO",
        ]
        # What does not reach the log (a process dying before its logging is
        # set up: the longpolling process's import errors) goes here.
        self.stderr_path.unlink(missing_ok=True)
        with open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        log(f"odoo --workers={self.workers} on {self.url} ({self.db})")
        try:
            wait_for_server(self.url, timeout=300, process=self.process)
            if self.workers:
                self.watch = WorkerWatch(self)
        except BaseException:
            self.stop()  # __exit__ is not called when __enter__ fails
            raise
        return self

    def __exit__(self, exc_type, *exc):
        try:
            if exc_type is None and self.watch:
                self.watch.check()  # raises WorkerRespawned
        finally:
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


# --------------------------------------------------------------------------
# Workers: a phase measured while a worker was replaced is not reported
# --------------------------------------------------------------------------
class WorkerRespawned(RuntimeError):
    """An Odoo worker was respawned during a phase: its figures are void."""


# What odoo/service/server.py (PreforkServer, Worker, GeventServer) logs about
# its processes; at INFO on odoo.service.server, which the bench's servers log.
#   a worker starts        "Worker WorkerHTTP (1234) alive" (WorkerCron alike)
#   the longpolling starts "Evented Service (longpolling) running on host:port"
#                          (its pid: in the line's prefix)
#   a worker leaves        "Worker (1234) max request (8192) reached.",
#                          "Worker (1234) CPU time limit (60) reached.",
#                          "Worker (1234) virtual memory limit (...) reached.",
#                          "Worker (1234) Parent changed",
#                          "Worker (1234) exiting. request_count: ...",
#                          "Worker (1234) Exception occurred, exiting..."
#   the master kills one   "WorkerHTTP (1234) timeout after 120s"
#   gevent leaves          "Gevent Parent changed: 1234",
#                          "Gevent virtual memory limit reached: ..."
#   a worker fails hard    "Critial worker error (1234)" (sic)
WORKER_ALIVE = re.compile(r"Worker (?P<kind>Worker\w+) \((?P<pid>\d+)\) alive")
LONGPOLLING_UP = re.compile(
    r"^\S+ \S+ (?P<pid>\d+) .*Evented Service \(longpolling\) running on"
)
WORKER_LEFT = re.compile(
    r"Worker \(\d+\) (?:max request|CPU time limit|virtual memory limit|"
    r"Parent changed|exiting|Exception occurred)"
    r"|Worker\w* \(\d+\) timeout after"
    r"|Gevent (?:Parent changed|virtual memory limit)"
    r"|Critial worker error"
)


class WorkerWatch:
    """The workers of a ``--workers`` server, from the moment all are up.

    ``check()`` compares them with the workers at the end of the phase, twice:
    the master's child processes (pids before and after), and what the server
    logged in between (a worker or the longpolling process starting, a worker
    leaving or killed). Odoo replaces a worker silently for the client (limit
    of requests, memory, CPU time, a timeout): the new one starts cold, and
    the figures measured across it are not those of the server it replaced.
    """

    def __init__(self, server, timeout=120):
        self.server = server
        wanted = server.workers + 1  # HTTP workers + the longpolling process
        deadline = time.time() + timeout
        while True:
            pids = self._children()
            up = self._log_events(0)
            if len(pids) >= wanted and len(up["alive"]) >= wanted:
                break
            if time.time() > deadline:
                raise WorkerRespawned(
                    f"{server.name}: {len(up['alive'])} of the {wanted} processes "
                    f"({server.workers} HTTP workers and the longpolling process) "
                    f"logged their start after {timeout} s ({server.log_path})"
                    + _last_error(server.stderr_path)
                )
            time.sleep(0.2)
        self.pids = pids
        self.offset = server.log_offset()

    def _children(self):
        try:
            master = psutil.Process(self.server.process.pid)
            return {p.pid for p in master.children()}
        except psutil.Error:
            return set()

    def _log_events(self, offset):
        alive, left = [], []
        with open(self.server.log_path, errors="replace") as handle:
            handle.seek(offset)
            for line in handle:
                match = WORKER_ALIVE.search(line) or LONGPOLLING_UP.search(line)
                if match:
                    alive.append(int(match["pid"]))
                elif WORKER_LEFT.search(line):
                    left.append(line.strip()[:200])
        return {"alive": alive, "left": left}

    def check(self):
        now = self._children()
        time.sleep(0.5)  # a process that just died: reaped, replaced, logged
        now |= self._children()
        events = self._log_events(self.offset)
        if now == self.pids and not events["alive"] and not events["left"]:
            return
        details = [
            f"worker pids before {sorted(self.pids)}, after {sorted(now)}",
            *(f"started: pid {pid}" for pid in events["alive"]),
            *events["left"],
        ]
        raise WorkerRespawned(
            f"{self.server.name}: an Odoo worker was respawned during the phase "
            f"({self.server.log_path}): "
            + "; ".join(details[:8])
            + _last_error(self.server.stderr_path)
        )


def _last_error(path):
    """The last line a server wrote to stderr (an exception's), if any."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line and not line.startswith("Running as")]
    return f"; its stderr ends with: {lines[-1][:300]}" if lines else ""
