"""Odoo with --workers, as in production: the gevent worker stays up and live
updates reach an agent over /websocket.

With a venv whose pkg_resources cannot resolve gevent's requirements, the gevent
worker died at start (DistributionNotFound) and the master started it again every
second: no websocket, no new messages nor notifications in the browser.
"""

import json
import os
import re
import time
import urllib.request
import uuid
from http.cookies import SimpleCookie
from types import SimpleNamespace

import psutil
import pytest
import websocket
from conftest import (
    RpcClient,
    UserSession,
    free_port,
    output_of,
    start_odoo,
    stop_odoo,
)

# The crash-looping worker lived about a second; a stable one keeps its pid longer.
STABLE_SECONDS = 6


def _tail(text, size=4000):
    return text if len(text) <= size else "...\n" + text[-size:]


def _answers(url):
    try:
        # The first request loads the registry in the worker: a few seconds.
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


def _workers(master):
    """The pids of the master's children: HTTP workers, gevent workers."""
    http, evented = [], []
    for child in psutil.Process(master.pid).children():
        try:
            (evented if "gevent" in child.cmdline() else http).append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return sorted(http), sorted(evented)


@pytest.fixture(scope="module")
def prefork(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("odoo-workers")
    gevent_port = free_port()
    process, url = start_odoo(
        log_dir,
        "--workers=2",
        f"--gevent-port={gevent_port}",
        # The start-up lines of the workers: "Worker WorkerHTTP (pid) alive",
        # "Evented Service (longpolling) running on ...".
        "--log-handler=odoo.service.server:INFO",
    )
    server = SimpleNamespace(
        process=process,
        url=url,
        ws_url=f"ws://127.0.0.1:{gevent_port}/websocket",
        log_dir=log_dir,
        db=os.environ["KUNDE_CRM_E2E_DB"],
    )
    health = f"http://127.0.0.1:{gevent_port}/websocket/health"
    try:
        deadline = time.monotonic() + 60
        while not _answers(health):
            # A worker that dies before its logging is set up prints a traceback.
            output = output_of(log_dir)
            if "Traceback" in output or time.monotonic() > deadline:
                pytest.fail(
                    "the gevent worker (websocket, live updates) does not start:\n"
                    + _tail(output),
                    pytrace=False,
                )
            time.sleep(0.5)
        server.http_pids, server.gevent_pids = _workers(process)
        server.since = time.monotonic()
        yield server
    finally:
        stop_odoo(process)


@pytest.fixture(scope="module")
def agents(prefork):
    """Two agents of one team; the first reads its notifications in Odoo (inbox)."""
    client = RpcClient(prefork.url, prefork.db)
    admin = client.login("admin", "admin")
    group_id = admin.execute(
        "ir.model.data", "check_object_reference", "kunde_crm", "kunde_crm_group_agent"
    )[1]
    suffix = uuid.uuid4().hex[:8]
    logins = [f"ws_{name}_{suffix}" for name in ("listener", "poster")]
    user_ids = admin.execute(
        "res.users",
        "create",
        [
            {
                "name": login,
                "login": login,
                "password": f"pw-{login}",
                "email": f"{login}@example.com",
                "groups_id": [(6, 0, [group_id])],
                "notification_type": "inbox",
            }
            for login in logins
        ],
    )
    sessions = []
    for login, user_id in zip(logins, user_ids, strict=True):
        session = UserSession(client, user_id, f"pw-{login}")
        session.login = login
        sessions.append(session)
    admin.execute(
        "kunde.team",
        "create",
        {
            "name": f"WS team {suffix}",
            "member_ids": [(6, 0, [session.uid for session in sessions])],
        },
    )
    return sessions


def _web_session_id(url, db, login, password):
    """Log in as the browser does; return the session cookie."""
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"db": db, "login": login, "password": password},
    }
    request = urllib.request.Request(
        f"{url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    assert "error" not in body, body
    return cookies["session_id"].value


def _inbox_message_ids(frame):
    ids = set()
    for notification in json.loads(frame):
        message = notification["message"]
        if message["type"] == "mail.message/inbox":
            records = message["payload"].get("mail.message", [])
            if isinstance(records, dict):
                records = [records]
            ids.update(record["id"] for record in records)
    return ids


def _wait_for_inbox(ws, message_id, timeout=30):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ws.settimeout(left)
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        if message_id in _inbox_message_ids(frame):
            return
    pytest.fail(f"no inbox notification for message {message_id} in {timeout} s")


def test_follower_receives_new_messages_over_websocket(prefork, agents):
    listener, poster = agents
    case_id = listener.execute(
        "kunde.case",
        "create",
        {
            "name": "Live oppdatering",
            "team_id": listener.execute(
                "kunde.team", "search", [("member_ids", "in", listener.uid)]
            )[0],
        },
    )
    [listener_partner] = listener.execute(
        "res.users", "read", [listener.uid], ["partner_id"]
    )
    listener.execute(
        "kunde.case",
        "message_subscribe",
        [case_id],
        partner_ids=[listener_partner["partner_id"][0]],
    )

    session_id = _web_session_id(
        prefork.url, prefork.db, listener.login, listener.password
    )
    ws = websocket.create_connection(
        prefork.ws_url, cookie=f"session_id={session_id}", timeout=30
    )
    try:
        # Subscribe as Odoo's websocket worker does; the server adds the user's
        # partner channel, where inbox notifications go.
        ws.send(
            json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}})
        )

        def post(body):
            return poster.execute(
                "kunde.case",
                "message_post",
                [case_id],
                body=body,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

        # The first may come from the history the subscription replays; once it
        # is in, the subscription is live and the second is pushed as it happens.
        _wait_for_inbox(ws, post("Kunden har ringt igjen."))
        _wait_for_inbox(ws, post("Og sendt en e-post."), timeout=15)
    finally:
        ws.close()


def test_gevent_worker_is_not_respawned(prefork):
    time.sleep(max(0, prefork.since + STABLE_SECONDS - time.monotonic()))
    output = output_of(prefork.log_dir)
    assert len(prefork.http_pids) == 2, _tail(output)
    assert len(prefork.gevent_pids) == 1, _tail(output)
    # Still the same processes: none died and was replaced.
    expected = (prefork.http_pids, prefork.gevent_pids)
    assert _workers(prefork.process) == expected, _tail(output)
    # One start of the evented service, by the worker still running, and no
    # worker that died before its logging was set up.
    log = (prefork.log_dir / "odoo.log").read_text()
    started = re.findall(r" (\d+) INFO \S+ odoo\.service\.server: Evented Service", log)
    assert started == [str(pid) for pid in prefork.gevent_pids], _tail(output)
    assert "Traceback" not in output, _tail(output)
