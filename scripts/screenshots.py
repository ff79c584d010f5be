"""Screenshots of the running demo database, for the README (`make screenshots`).

Logs in over JSON-RPC, hands the session cookie to a headless Chromium (Debian's
package) through the DevTools protocol, opens each page and saves a PNG under
docs/. Only talks to the local server.
"""

import argparse
import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import websocket

REPO = Path(__file__).resolve().parents[1]


def login_session(url, db, user, password):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"db": db, "login": user, "password": password},
    }
    request = urllib.request.Request(
        f"{url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with opener.open(request, timeout=60) as response:
        body = json.load(response)
    if "error" in body:
        raise SystemExit(f"login as {user} failed: {body['error']}")
    return next(c.value for c in jar if c.name == "session_id")


def rpc(url, session, model, method, args, kwargs=None):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {
            "model": model,
            "method": method,
            "args": args,
            "kwargs": kwargs or {},
        },
    }
    request = urllib.request.Request(
        f"{url}/web/dataset/call_kw",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"session_id={session}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    if "error" in body:
        raise RuntimeError(body["error"])
    return body["result"]


class Browser:
    def __init__(self, width=1440, height=900):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            raise SystemExit("chromium not found: apt-get install chromium")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="kunde_crm_chromium_")
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/json", timeout=2
                ) as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("chromium did not start")
            time.sleep(0.3)
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], timeout=60
        )
        self._id = 0
        self.send("Page.enable")
        self.send("Network.enable")
        self.resize(width, height)

    def send(self, method, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def resize(self, width=1440, height=900):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def open(self, url, ready_selector, timeout=30):
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not self.evaluate(
            f"!!document.querySelector({json.dumps(ready_selector)})"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}: {ready_selector} did not appear")
            time.sleep(0.3)
        time.sleep(1.5)  # let images, avatars and fonts settle

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        print(f"wrote {path}")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


PAGES = [
    # (login, file, path, selector that says the page is ready)
    (
        "ingrid.agent",
        "case-board.png",
        "/odoo/action-kunde_crm.kunde_case_action",
        ".o_kanban_record",
    ),
    (
        "ingrid.agent",
        "my-queue.png",
        "/odoo/action-kunde_crm.kunde_case_action_my_queue",
        ".o_list_view .o_data_row",
    ),
    (
        "ingrid.agent",
        "case-conversation.png",
        "/odoo/action-kunde_crm.kunde_case_action/{case}",
        ".o-mail-Message",
    ),
    (
        "mona.rapport",
        "trend.png",
        "/odoo/action-kunde_crm.kunde_case_trend_action_open",
        ".o_list_view .o_data_row",
    ),
    (
        "mona.rapport",
        "customer-health.png",
        "/odoo/action-base.action_partner_form/{health_customer}",
        ".o_field_widget[name=kunde_health]",
    ),
    (
        "mona.rapport",
        "satisfaction.png",
        "/odoo/action-kunde_crm.kunde_case_action_satisfaction",
        ".o_pivot table",
    ),
    # The dialogs of the erasure and of the bridges, opened on a record made
    # for the picture (a wizard, never confirmed): skipped when absent.
    (
        "admin",
        "erasure.png",
        "/odoo/kunde.erasure.wizard/{erasure_wizard}",
        ".o_form_view",
    ),
    (
        "ingrid.agent",
        "send-to-sales.png",
        "/odoo/action-kunde_crm.kunde_case_action/{sales_case}",
        ".o_form_view .o-form-buttonbox",
    ),
    (
        "admin",
        "mailing-segment.png",
        "/odoo/kunde.case.mailing.wizard/{mailing_wizard}",
        ".o_form_view",
    ),
    ("kunde.portal", "portal-cases.png", "/my/cases", ".o_portal_wrap table"),
    ("kunde.portal", "portal-case.png", "/my/cases/{portal_case}", "#chatterRoot"),
]


def _first(url, session, model, domain):
    return (rpc(url, session, model, "search", [domain], {"limit": 1}) or [0])[0]


def dialog_records(url, sessions):
    """Records the dialog pictures open: an erasure dialog for a private
    customer, a case sent to Sales, a segment of the first category."""
    admin, agent = sessions["admin"], sessions["ingrid.agent"]
    ids = {"erasure_wizard": 0, "sales_case": 0, "mailing_wizard": 0}
    customer = _first(
        url,
        admin,
        "res.partner",
        [
            ("kunde_case_ids", "!=", False),
            ("is_company", "=", False),
            ("parent_id", "=", False),
            ("user_ids", "=", False),
        ],
    )
    if customer:
        ids["erasure_wizard"] = rpc(
            url, admin, "kunde.erasure.wizard", "create", [{"partner_id": customer}]
        )
    try:
        ids["sales_case"] = _first(
            url, agent, "kunde.case", [("lead_ids", "!=", False)]
        )
    except RuntimeError:  # kunde_crm_crm is not installed
        pass
    try:
        category = _first(url, admin, "kunde.case.category", [])
        ids["mailing_wizard"] = rpc(
            url,
            admin,
            "kunde.case.mailing.wizard",
            "create",
            [{"source": "category", "category_id": category, "days": 365}],
        )
    except RuntimeError:  # kunde_crm_mass_mailing is not installed
        pass
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="kunde_crm")
    parser.add_argument("--out", default=str(REPO / "docs"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    sessions = {}
    for login, *_rest in PAGES:
        if login not in sessions:
            sessions[login] = login_session(args.url, args.db, login, login)
    agent = sessions["ingrid.agent"]
    talked = [("message_ids.message_type", "=", "comment"), ("user_id", "!=", False)]
    ids = {
        "case": (
            rpc(args.url, agent, "kunde.case", "search", [talked], {"limit": 1}) or [0]
        )[0],
        "portal_case": (
            rpc(
                args.url,
                sessions["kunde.portal"],
                "kunde.case",
                "search",
                [[("message_ids.message_type", "=", "comment")]],
                {"limit": 1},
            )
            or rpc(
                args.url,
                sessions["kunde.portal"],
                "kunde.case",
                "search",
                [[]],
                {"limit": 1},
            )
            or [0]
        )[0],
    }
    # A customer the health flags (amber or red), with its reasons on the form.
    ids["health_customer"] = (
        rpc(
            args.url,
            sessions["mona.rapport"],
            "res.partner",
            "search",
            [[("kunde_health", "in", ["red", "amber"]), ("is_company", "=", True)]],
            {"limit": 1},
        )
        or [0]
    )[0]
    ids.update(dialog_records(args.url, sessions))
    browser = Browser()
    try:
        for login, name, path, selector in PAGES:
            if "{" in path and not ids.get(path.split("{")[1].split("}")[0]):
                print(f"skipped {name}: nothing to show (addon not installed?)")
                continue
            browser.send("Network.clearBrowserCookies")
            browser.send(
                "Network.setCookie",
                name="session_id",
                value=sessions[login],
                url=args.url,
                httpOnly=True,
            )
            # the case page is taller, so its conversation is in the picture
            browser.resize(height=1300 if name == "case-conversation.png" else 900)
            browser.open(f"{args.url}{path.format(**ids)}", selector)
            browser.screenshot(out / name)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
