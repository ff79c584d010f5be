from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import KundeCrmCase

MY_QUEUE = [
    ("is_closed", "=", False),
    ("user_id", "=", False),
    ("team_id.member_ids", "in", "UID"),
]


@tagged("post_install", "-at_install")
class TestQueue(KundeCrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.old_normal = cls._case(name="Old normal", date_received=cls._ago(days=5))
        cls.new_normal = cls._case(name="New normal", date_received=cls._ago(hours=1))
        cls.new_urgent = cls._case(
            name="New urgent", priority="2", date_received=cls._ago(minutes=5)
        )
        cls.old_high = cls._case(
            name="Old high", priority="1", date_received=cls._ago(days=1)
        )
        # Not in agent's queue: assigned, closed, other team, archived.
        cls.assigned = cls._case(name="Assigned", user_id=cls.agent2.id)
        cls.closed = cls._case(
            name="Closed", stage_id=cls.stage_solved.id, date_received=cls._ago(days=9)
        )
        cls.other_team = cls._case(
            name="Other team",
            team_id=cls.team_b.id,
            priority="2",
            date_received=cls._ago(days=30),
        )
        cls.archived = cls._case(name="Archived", active=False, priority="2")

    def _my_queue(self, user):
        domain = [(f, op, user.id if v == "UID" else v) for f, op, v in MY_QUEUE]
        return self.Case.with_user(user).search(domain)

    def test_queue_order_urgent_first_then_oldest(self):
        queue = self._my_queue(self.agent)
        self.assertEqual(
            queue.mapped("name"), ["New urgent", "Old high", "Old normal", "New normal"]
        )

    def test_search_view_filter_matches_contract(self):
        """The "My queue" filter of the search view is the queue of the issue:
        open, unassigned cases of my teams (archived teams included), as one
        ``team_id IN (ids)`` condition that the queue index serves."""
        arch = self.env.ref("kunde_crm.kunde_case_view_search").arch
        self.assertIn("('in_my_queue', '=', True)", arch)
        Case = self.Case.with_user(self.agent)
        queue = Case.search([("in_my_queue", "=", True)])
        self.assertEqual(queue, self._my_queue(self.agent))
        self.assertEqual(
            queue.mapped("name"), ["New urgent", "Old high", "Old normal", "New normal"]
        )
        self.assertTrue(all(queue.mapped("in_my_queue")))
        self.assertFalse(self.assigned.with_user(self.agent).in_my_queue)
        self.assertEqual(
            Case.search([("in_my_queue", "=", False), ("id", "in", queue.ids)]),
            Case,
        )
        self.assertNotIn(
            "kunde_team", Case._search([("in_my_queue", "=", True)]).select().code
        )
        # Joining a team fills the queue at once; an archived team still counts.
        self.team_b.member_ids = [Command.link(self.agent.id)]
        self.assertIn(self.other_team, Case.search([("in_my_queue", "=", True)]))
        self.team_b.active = False
        self.assertIn(self.other_team, Case.search([("in_my_queue", "=", True)]))
        self.assertIn(self.other_team, self._my_queue(self.agent))

    def test_take_next_takes_head_of_queue(self):
        action = self.Case.with_user(self.agent).action_take_next()
        self.assertEqual(action["res_model"], "kunde.case")
        self.assertEqual(action["res_id"], self.new_urgent.id)
        self.assertEqual(self.new_urgent.user_id, self.agent)
        self.assertTrue(self.new_urgent.date_assigned)
        self.assertEqual(self.new_urgent.stage_id, self.stage_progress)
        # Next call: the next in line.
        action = self.Case.with_user(self.agent).action_take_next()
        self.assertEqual(action["res_id"], self.old_high.id)
        self.assertNotIn(self.new_urgent, self._my_queue(self.agent))

    def test_take_next_keeps_later_stage(self):
        self.new_urgent.stage_id = self.stage_waiting
        self.Case.with_user(self.agent).action_take_next()
        self.assertEqual(self.new_urgent.user_id, self.agent)
        self.assertEqual(self.new_urgent.stage_id, self.stage_waiting)

    def test_take_next_only_own_teams(self):
        taken = self.Case
        for _i in range(4):
            action = self.Case.with_user(self.agent).action_take_next()
            taken |= self.Case.browse(action["res_id"])
        self.assertNotIn(self.other_team, taken)
        self.assertNotIn(self.archived, taken)
        self.assertNotIn(self.closed, taken)
        self.assertNotIn(self.assigned, taken)
        # The queue is now empty: a clear notification, nothing assigned.
        result = self.Case.with_user(self.agent).action_take_next()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["title"], "Your queue is empty")
        self.assertFalse(self.other_team.user_id)

    def test_agent_in_two_teams_gets_oldest_urgent_across_teams(self):
        action = self.Case.with_user(self.agent2).action_take_next()
        self.assertEqual(action["res_id"], self.other_team.id)

    def test_take_next_without_team(self):
        with self.assertRaisesRegex(
            UserError, "not a member of any customer service team"
        ):
            self.Case.with_user(self.lonely_agent).action_take_next()

    def test_close_leaves_queue(self):
        self.Case.with_user(self.agent).action_take_next()
        self.new_urgent.with_user(self.agent).action_close()
        self.assertTrue(self.new_urgent.is_closed)
        self.assertNotIn(self.new_urgent, self._my_queue(self.agent))
        self.assertNotIn(
            self.new_urgent,
            self.Case.with_user(self.agent).search(
                [("user_id", "=", self.agent.id), ("is_closed", "=", False)]
            ),
        )

    def test_take_from_board(self):
        self.old_normal.with_user(self.agent).action_take()
        self.assertEqual(self.old_normal.user_id, self.agent)
        self.assertEqual(self.old_normal.stage_id, self.stage_progress)

    def test_queue_uses_index(self):
        """The queue's order is served by the partial queue indexes."""
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes"
            " WHERE indexname = 'kunde_case_queue_head_idx'"
        )
        (indexdef,) = self.env.cr.fetchone()
        self.assertIn("team_id, priority DESC, date_received, id", indexdef)
        self.assertIn("user_id IS NULL", indexdef)
        self.assertIn("is_closed IS NULL", indexdef)
        self.assertIn("INCLUDE (company_id, user_id)", indexdef)
        # ...and PostgreSQL picks it for the queue's own query.
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute("SET LOCAL enable_sort = off")
        query = self.Case.with_user(self.agent)._search(
            self.Case._queue_domain(self.team), order=self.Case._order, limit=80
        )
        self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        # One of the two queue indexes (which one depends on the sizes).
        self.assertIn("kunde_case_queue_", plan)
        self.assertNotIn("Sort", plan)
        # Several teams: the queue in queue order across teams, read in order.
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes"
            " WHERE indexname = 'kunde_case_queue_order_idx'"
        )
        (indexdef,) = self.env.cr.fetchone()
        self.assertIn("(priority DESC, date_received, id)", indexdef)
        self.assertIn("INCLUDE (team_id, company_id, user_id)", indexdef)
        self.env.cr.execute("SET LOCAL enable_bitmapscan = off")
        query = self.Case.with_user(self.agent)._search(
            self.Case._queue_domain(self.team | self.team_b),
            order=self.Case._order,
            limit=80,
        )
        self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("kunde_case_queue_", plan)
        self.assertNotIn("Sort", plan)
        # The planner knows that unassigned cases are open cases.
        self.env.cr.execute(
            "SELECT stxkind FROM pg_statistic_ext"
            " WHERE stxname = 'kunde_case_queue_stats'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], ["m"])
