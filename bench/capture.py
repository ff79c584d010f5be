"""Capture the RPCs the real web client sends, with headless Chromium.

The bench replays the exact request bodies the browser sent when it opened a
view (domain, specification, order, limit, count_limit, context), instead of a
hand-written imitation.  Chromium is driven over the DevTools protocol: the
page gets the bench user's session cookie, opens ``/odoo/action-...`` and every
POST to ``/web/dataset/call_kw/`` is recorded.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit

import websocket

CALL_KW = "/web/dataset/call_kw/"


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("Chromium not found: scripts/kunde.sh setup installs it")


class Browser:
    def __init__(self, base_url, session_id):
        self.base_url = base_url
        self.session_id = session_id
        self.profile = tempfile.mkdtemp(prefix="kunde_bench_chromium_")
        self.process = subprocess.Popen(
            [
                find_chromium(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--window-size=1600,1000",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.ws = None
        self.ids = 0
        self.events = []

    def connect(self, timeout=60):
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while not os.path.exists(port_file):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.2)
        time.sleep(0.2)
        port = open(port_file).read().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
        )
        self.send("Network.enable")
        self.send("Page.enable")
        host = urlsplit(self.base_url).hostname
        self.send(
            "Network.setCookie",
            name="session_id",
            value=self.session_id,
            domain=host,
            path="/",
        )

    def send(self, method, **params):
        self.ids += 1
        my_id = self.ids
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        self.ws.settimeout(120)
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def next_event(self, timeout):
        if self.events:
            return self.events.pop(0)
        self.ws.settimeout(timeout)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def open(self, path, wanted, timeout=300, quiet=2.0):
        """Open ``path``; return the call_kw requests sent until ``wanted`` were
        seen and no request went out for ``quiet`` seconds."""
        self.events.clear()
        self.send("Page.navigate", url=self.base_url + path)
        calls = []
        deadline = time.time() + timeout
        last_request = time.time()
        while time.time() < deadline:
            event = self.next_event(timeout=0.5)
            now = time.time()
            if event is None:
                seen = {(c["model"], c["method"]) for c in calls}
                if all(w in seen for w in wanted) and now - last_request >= quiet:
                    return calls
                continue
            method = event.get("method")
            params = event.get("params", {})
            if method == "Network.requestWillBeSent":
                last_request = now
                request = params["request"]
                url = urlsplit(request["url"])
                if request["method"] == "POST" and url.path.startswith(CALL_KW):
                    body = request.get("postData")
                    if body is None and request.get("hasPostData"):
                        body = self.send(
                            "Network.getRequestPostData", requestId=params["requestId"]
                        )["postData"]
                    payload = json.loads(body)
                    calls.append(
                        {
                            "path": url.path,
                            "model": payload["params"]["model"],
                            "method": payload["params"]["method"],
                            "params": payload["params"],
                        }
                    )
        seen = sorted({(c["model"], c["method"]) for c in calls})
        raise TimeoutError(f"{path}: wanted {wanted}, the page sent {seen}")

    def close(self):
        try:
            if self.ws is not None:
                self.ws.close()
        finally:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def capture(base_url, session_id, pages):
    """pages: {name: (path, [(model, method), ...])} -> {name: [calls]}"""
    browser = Browser(base_url, session_id)
    try:
        browser.connect()
        return {
            name: browser.open(path, wanted) for name, (path, wanted) in pages.items()
        }
    finally:
        browser.close()
