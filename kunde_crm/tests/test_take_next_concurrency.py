"""take-next under real concurrency: separate connections, committed data.

Odoo's test cursor would serialise everything, so these threads open their own
PostgreSQL connections, exactly as several server workers would, and retry on
serialisation failures as Odoo's RPC layer does. The data is committed on
purpose (hence the pylint exception) and removed again afterwards.

The same test runs under pytest-odoo and under Odoo's own runner
(``odoo-bin --test-tags``). The latter holds the registry lock
(``Registry._lock``) in the main thread for the whole run, and every new
environment in another thread looks its registry up under that lock: the
agents would wait for it forever. While they run, the loaded registry is
shared without the lock, as ``Registry.enter_test_mode()`` does for the HTTP
threads of Odoo's browser tests.
"""

# pylint: disable=invalid-commit
import threading
import time
from collections import Counter
from contextlib import contextmanager
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config

AGENTS = 6
CASES = 240
TIMEOUT = 120  # seconds for all the takes; they need a few


@contextmanager
def registry_open_to_threads():
    """Let other threads use the loaded registry while the runner holds its lock."""
    with patch.object(Registry, "_lock", DummyRLock()):
        yield


@tagged("post_install", "-at_install")
class TestTakeNextConcurrency(BaseCase):
    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        self.assertFalse(self.registry.in_test_mode(), "real cursors needed")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            agent_group = env.ref("kunde_crm.kunde_crm_group_agent")
            users = (
                env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    [
                        {
                            "name": f"Concurrent agent {i}",
                            "login": f"kc_concurrent_{i}",
                            "groups_id": [(6, 0, agent_group.ids)],
                        }
                        for i in range(AGENTS)
                    ]
                )
            )
            team = env["kunde.team"].create(
                {"name": "Concurrency team", "member_ids": [(6, 0, users.ids)]}
            )
            customer = env["res.partner"].create({"name": "Concurrent customer"})
            cases = env["kunde.case"].create(
                [
                    {
                        "name": f"Concurrent case {i}",
                        "team_id": team.id,
                        "partner_id": customer.id,
                    }
                    for i in range(CASES)
                ]
            )
            self.user_ids, self.team_id, self.case_ids = users.ids, team.id, cases.ids
            self.customer_id = customer.id
            cr.commit()
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            env["kunde.case"].browse(self.case_ids).unlink()
            env["kunde.team"].browse(self.team_id).unlink()
            env["res.partner"].browse(self.customer_id).unlink()
            users = env["res.users"].browse(self.user_ids)
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            cr.commit()

    def _agent_loop(self, uid, barrier, taken, errors):
        try:
            barrier.wait(timeout=TIMEOUT)
            while True:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, uid, {})
                    result = retrying(partial(env["kunde.case"].action_take_next), env)
                    cr.commit()
                if result.get("res_model") != "kunde.case":
                    return  # queue empty
                taken.append((uid, result["res_id"]))
        except Exception as exc:  # reported to the main thread
            errors.append(exc)

    def _run_agents(self, target, *args):
        """Run ``target(uid, barrier, *args, errors)`` for every agent at once."""
        barrier = threading.Barrier(AGENTS)
        errors = []
        threads = [
            threading.Thread(
                target=target,
                args=(uid, barrier, *args, errors),
                name=f"kunde_crm agent {uid}",
                daemon=True,  # a stuck agent must not keep the test run alive
            )
            for uid in self.user_ids
        ]
        # As on a production server: each step runs in a short transaction
        # of its own (see kunde.case._take_queue_head).
        with (
            patch.dict(config.options, {"test_enable": False}),
            registry_open_to_threads(),
        ):
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + TIMEOUT
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            stuck = [thread.name for thread in threads if thread.is_alive()]
        self.assertFalse(stuck, "agents still waiting: a lock is never released")
        self.assertFalse(errors, errors)

    def test_concurrent_take_next(self):
        taken = []
        self._run_agents(self._agent_loop, taken)
        case_ids = [case_id for _uid, case_id in taken]
        duplicates = [cid for cid, n in Counter(case_ids).items() if n > 1]
        self.assertEqual(duplicates, [], "a case was handed out twice")
        self.assertEqual(len(case_ids), CASES, "cases were skipped")
        self.assertEqual(set(case_ids), set(self.case_ids))
        # More than one agent got work: the takes really ran side by side.
        self.assertGreater(len({uid for uid, _cid in taken}), 1)
        # Each case is assigned to exactly the agent who was told it took it.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cases = env["kunde.case"].browse(self.case_ids)
            owner = {cid: uid for uid, cid in taken}
            for case in cases:
                self.assertEqual(case.user_id.id, owner[case.id])
                self.assertEqual(case.stage_id, env.ref("kunde_crm.stage_in_progress"))

    def _close_loop(self, uid, barrier, case_ids, errors):
        try:
            barrier.wait(timeout=TIMEOUT)
            for case_id in case_ids:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, uid, {})
                    case = env["kunde.case"].browse(case_id)
                    retrying(case.action_close, env)
                    cr.commit()
        except Exception as exc:  # reported to the main thread
            errors.append(exc)

    def test_concurrent_closes_keep_the_tally(self):
        """Agents close cases of one customer and team side by side, each
        close committed on its own: the closed-case tally (a row every close
        increments, created by the first) loses none of them."""
        slices = [self.case_ids[i::AGENTS] for i in range(AGENTS)]
        # Each agent closes its own slice (the threads' args follow user_ids).
        by_uid = dict(zip(self.user_ids, slices, strict=True))
        self._run_agents(
            lambda uid, barrier, errors: self._close_loop(
                uid, barrier, by_uid[uid], errors
            )
        )
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT sum(n) FROM kunde_case_tally"
                " WHERE partner_id = %s AND team_id = %s",
                (self.customer_id, self.team_id),
            )
            self.assertEqual(cr.fetchall(), [(CASES,)])
            env = api.Environment(cr, SUPERUSER_ID, {})
            customer = env["res.partner"].browse(self.customer_id)
            self.assertEqual(customer.kunde_case_count, CASES)
            self.assertEqual(customer.kunde_case_open_count, 0)
