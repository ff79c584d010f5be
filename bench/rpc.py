"""HTTP clients for the bench: a web-client session and an integrator's JSON-RPC.

Both keep one HTTP connection open (like a browser tab) and time each call on
the client side, from the first byte sent to the parsed answer.
"""

import http.client
import itertools
import json
import re
import time
from urllib.parse import urlencode, urlsplit


class RpcError(Exception):
    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message") or error.get("message", "")
        super().__init__(f"{self.name}: {self.message}")


class _Connection:
    _ids = itertools.count(1)

    keep_alive = True

    def __init__(self, base_url, timeout=300):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies = {}
        self.conn = None

    def post(self, path, params):
        """POST a JSON-RPC request; return (result, elapsed seconds)."""
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": params,
                "id": next(self._ids),
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            started = time.perf_counter()
            try:
                self.conn.request("POST", path, body=body, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                # the server closed the kept-alive connection: open a new one
                self.close()
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            closing = response.getheader("Connection", "").lower() == "close"
            if closing or not self.keep_alive:
                self.close()
            break
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status != 200:
            raise RpcError({"message": f"HTTP {response.status}: {raw[:300]!r}"})
        answer = json.loads(raw)
        if "error" in answer:
            raise RpcError(answer["error"])
        return answer["result"], elapsed

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request_once(self, method, path, body=None, headers=None, timeout=None):
        """One HTTP request on a new connection, never sent twice.

        For long requests (a download): a failure is the answer, not a stale
        kept-alive connection to retry on. Returns (response, body, seconds).
        """
        self.close()
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn = http.client.HTTPConnection(
            self.host, self.port, timeout=timeout or self.timeout
        )
        try:
            started = time.perf_counter()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            elapsed = time.perf_counter() - started
        finally:
            self.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, raw, elapsed


class WebSession(_Connection):
    """What the browser does: a session cookie and /web/dataset/call_kw."""

    def __init__(self, base_url, db, login, password):
        super().__init__(base_url)
        self.db, self.login, self.password = db, login, password
        self.uid = None
        self.user_context = {}

    def authenticate(self):
        info, _elapsed = self.post(
            "/web/session/authenticate",
            {"db": self.db, "login": self.login, "password": self.password},
        )
        self.uid = info["uid"]
        self.user_context = info["user_context"]
        return info

    @property
    def session_id(self):
        return self.cookies.get("session_id")

    def call_kw(self, model, method, args, kwargs):
        """One RPC as the web client sends it; returns (result, seconds)."""
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
        )

    def csrf_token(self):
        """The CSRF token the web client gets in its page (``odoo.csrf_token``)."""
        response, raw, _elapsed = self.request_once("GET", "/odoo")
        found = re.search(rb'csrf_token: "([0-9a-fA-Fo]+)"', raw)
        if response.status != 200 or not found:
            raise RpcError(
                {"message": f"no csrf_token in /odoo (HTTP {response.status})"}
            )
        return found.group(1).decode()

    def download(self, path, fields, timeout=None):
        """POST a form as the web client's ``download()`` does, with its CSRF
        token (fetched here unless ``fields`` has one); returns (body, content
        type, seconds)."""
        if "csrf_token" not in fields:
            fields = {**fields, "csrf_token": self.csrf_token()}
        body = urlencode(fields).encode()
        response, raw, elapsed = self.request_once(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=timeout,
        )
        if response.status != 200:
            raise RpcError({"message": f"HTTP {response.status}: {raw[:300]!r}"})
        return raw, response.getheader("Content-Type", ""), elapsed

    def replay(self, captured):
        """Send a request body captured from the browser again, unchanged."""
        params = captured["params"]
        return self.post(captured["path"], params)


class JsonRpc(_Connection):
    """What an integrator does: /jsonrpc, execute_kw with the password each time.

    One connection per call, as urllib or xmlrpc.client do: a kept-alive
    connection would hold one of the server's prefork workers for itself.
    """

    keep_alive = False

    def __init__(self, base_url, db, login, password):
        super().__init__(base_url)
        self.db, self.login, self.password = db, login, password
        self.uid = None

    def authenticate(self):
        self.uid, _elapsed = self.post(
            "/jsonrpc",
            {
                "service": "common",
                "method": "login",
                "args": [self.db, self.login, self.password],
            },
        )
        if not self.uid:
            raise RpcError({"message": f"login refused for {self.login}"})
        return self.uid

    def execute_kw(self, model, method, args, kwargs=None):
        return self.post(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.db,
                    self.uid,
                    self.password,
                    model,
                    method,
                    args,
                    kwargs or {},
                ],
            },
        )


def wait_for_server(base_url, timeout=180, process=None):
    """Poll until Odoo answers on base_url (or the process died)."""
    deadline = time.time() + timeout
    client = _Connection(base_url, timeout=10)
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Odoo exited with code {process.returncode}")
        try:
            client.post("/web/webclient/version_info", {})
            client.close()
            return
        except (OSError, RpcError, http.client.HTTPException):
            client.close()
            time.sleep(0.5)
    raise TimeoutError(f"Odoo did not answer on {base_url} in {timeout} s")
