"""Black-box tests: a real Odoo server, driven over HTTP/JSON-RPC.

`make test` prepares the database (KUNDE_CRM_E2E_DB, kunde_crm installed) and
exports ODOO_SRC and ODOO_CONF. Without them these tests fail: they never skip.
"""

import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: run the black-box tests through `make test`, "
            "which locates Odoo and prepares the database.",
            pytrace=False,
        )
    return value


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RpcClient:
    """A minimal JSON-RPC client, as an integrator would write it."""

    _ids = itertools.count(1)

    def __init__(self, url, db):
        self.url, self.db = url, db

    def call(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            body = json.load(response)
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def login(self, login, password):
        uid = self.call("common", "login", self.db, login, password)
        assert uid, f"login failed for {login}"
        return UserSession(self, uid, password)


class UserSession:
    def __init__(self, client, uid, password):
        self.client, self.uid, self.password = client, uid, password

    def execute(self, model, method, *args, **kwargs):
        return self.client.call(
            "object",
            "execute_kw",
            self.client.db,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )


class RpcError(Exception):
    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message", error.get("message", ""))
        super().__init__(f"{self.name}: {self.message}")


def start_odoo(log_dir, *options):
    """Start Odoo on the black-box database and wait until it answers over HTTP.

    Returns the process and its URL; the log goes to `log_dir / "odoo.log"`, what
    the processes print before their logging is set up to `log_dir / "output.txt"`.
    """
    odoo_src = Path(_required_env("ODOO_SRC"))
    conf = _required_env("ODOO_CONF")
    db = _required_env("KUNDE_CRM_E2E_DB")
    port = free_port()
    log = log_dir / "odoo.log"
    cmd = [
        sys.executable,
        str(odoo_src / "odoo-bin"),
        "-c",
        conf,
        "-d",
        db,
        f"--db-filter=^{db}$",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--max-cron-threads=0",
        f"--logfile={log}",
        "--log-level=warn",
        *options,
    ]
    with open(log_dir / "output.txt", "wb") as output:
        process = subprocess.Popen(cmd, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"Odoo exited with {process.returncode}:\n{output_of(log_dir)}")
        try:
            with urllib.request.urlopen(f"{url}/web/health", timeout=5) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Odoo did not answer on {url} within 120 s")
        time.sleep(0.5)


def output_of(log_dir):
    """What a server started by `start_odoo` printed, then its log."""
    return "\n".join(
        path.read_text(errors="replace")
        for path in (log_dir / "output.txt", log_dir / "odoo.log")
        if path.exists()
    )


def stop_odoo(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    process, url = start_odoo(
        tmp_path_factory.mktemp("odoo"), "--gevent-port=0", "--workers=0"
    )
    yield RpcClient(url, _required_env("KUNDE_CRM_E2E_DB"))
    stop_odoo(process)
