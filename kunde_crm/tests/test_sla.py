from contextlib import contextmanager
from datetime import date, datetime

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.kunde_crm.models.resource_calendar import (
    easter_sunday,
    norwegian_public_holidays,
)

from .common import KundeCrmCase

OSLO = pytz.timezone("Europe/Oslo")


def oslo(text):
    """A wall-clock time in Oslo as Odoo stores it: naive UTC."""
    local = OSLO.localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestSla(KundeCrmCase):
    """Service levels: deadlines in working hours, pauses, status, the cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Policy = cls.env["kunde.sla.policy"]
        # 08:00-16:00 Monday to Friday in Oslo, with the public holidays of 2026.
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Kundeservice 08-16",
                "tz": "Europe/Oslo",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 16,
                            "day_period": "morning",
                        }
                    )
                    for day in range(5)
                ],
            }
        )
        cls.calendar._kunde_fill_norwegian_holidays([2026])
        cls.team.user_id = cls.manager
        cls.policy = cls.Policy.create(
            {
                "name": "Team A",
                "team_id": cls.team.id,
                "first_response_hours": 2,
                "resolution_hours": 8,
                "calendar_id": cls.calendar.id,
            }
        )

    @contextmanager
    def at(self, when):
        """Freeze the clock at an Oslo wall-clock time; stored computations
        (which read the clock) run before it moves on."""
        with freeze_time(oslo(when)):
            yield
            self.env.flush_all()

    def _policy(self, **vals):
        defaults = {
            "name": "Policy",
            "first_response_hours": 2,
            "resolution_hours": 8,
            "calendar_id": self.calendar.id,
        }
        defaults.update(vals)
        return self.Policy.create(defaults)

    # ------------------------------------------------------------------
    # Deadlines in working hours
    # ------------------------------------------------------------------
    def test_easter_2026(self):
        """Wednesday before Easter 15:00 + 8 working hours: Tuesday after, 15:00."""
        with self.at("2026-04-01 15:00"):
            case = self._case()
        self.assertEqual(case.sla_policy_id, self.policy)
        self.assertEqual(case.date_received, datetime(2026, 4, 1, 13, 0))
        # 1 h on Wednesday; Maundy Thursday, Good Friday, the weekend and
        # Easter Monday are off; 7 h on Tuesday 7 April from 08:00.
        self.assertEqual(case.sla_resolution_deadline, datetime(2026, 4, 7, 13, 0))
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-04-07 15:00"))
        self.assertEqual(case.sla_first_response_deadline, oslo("2026-04-07 09:00"))
        self.assertEqual(
            case.sla_resolution_deadline,
            self.calendar.plan_hours(8, case.date_received, compute_leaves=True),
        )
        self.assertEqual(case.sla_status, "on_track")
        self.assertEqual(case.sla_deadline, case.sla_first_response_deadline)

    def test_weekend(self):
        """Friday noon + 8 working hours: Monday noon."""
        with self.at("2026-03-13 12:00"):
            case = self._case()
        self.assertEqual(case.sla_first_response_deadline, oslo("2026-03-13 14:00"))
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-03-16 12:00"))

    def test_received_outside_working_hours(self):
        """Saturday evening: the clock starts on Monday morning."""
        with self.at("2026-03-14 20:00"):
            case = self._case()
        self.assertEqual(case.sla_first_response_deadline, oslo("2026-03-16 10:00"))
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-03-16 16:00"))

    def test_plan_hours_same_as_odoo(self):
        start = oslo("2026-03-31 11:30")
        hours = [0.5, 2, 6.4, 8, 17.25, 40, 200]
        self.assertEqual(
            self.calendar._kunde_plan_hours(start, hours),
            [self.calendar.plan_hours(h, start, compute_leaves=True) for h in hours],
        )

    # ------------------------------------------------------------------
    # Pauses
    # ------------------------------------------------------------------
    def test_paused_time_waiting_for_customer(self):
        with self.at("2026-03-09 08:00"):
            case = self._case()
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-03-09 16:00"))
        with self.at("2026-03-09 09:00"):
            case.write({"date_first_response": oslo("2026-03-09 09:00")})
        with self.at("2026-03-09 10:00"):
            case.stage_id = self.stage_waiting
            self.assertEqual(case.sla_pause_start, oslo("2026-03-09 10:00"))
        # The deadline passes while the customer is silent: nothing happens.
        with self.at("2026-03-10 10:00"):
            self.Case._cron_sla_update()
            self.assertEqual(case.sla_status, "on_track")
            case.stage_id = self.stage_progress
        # 6 h on Monday + 2 h on Tuesday were paused: the deadline moves by 8 h.
        self.assertFalse(case.sla_pause_start)
        self.assertEqual(case.sla_paused_hours, 8)
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-03-10 16:00"))
        # The first answer came before the pause: its deadline does not move.
        self.assertEqual(case.sla_response_paused_hours, 0)
        self.assertEqual(case.sla_first_response_deadline, oslo("2026-03-09 10:00"))
        self.assertEqual(case.sla_status, "on_track")
        with self.at("2026-03-10 15:00"):
            case.action_close()
        self.assertEqual(case.sla_status, "met")
        self.assertEqual(case.sla_reached_date, oslo("2026-03-10 15:00"))
        self.assertEqual(case.sla_kept, 100)

    def test_pause_from_the_form(self):
        with self.at("2026-03-09 08:00"):
            case = self._case(stage_id=self.stage_waiting.id)
        self.assertEqual(case.sla_pause_start, oslo("2026-03-09 08:00"))
        with self.at("2026-03-09 11:00"):
            with Form(case) as form:
                form.stage_id = self.stage_progress
        # Paused before any answer: both deadlines move by 3 h.
        self.assertEqual(case.sla_paused_hours, 3)
        self.assertEqual(case.sla_response_paused_hours, 3)
        self.assertEqual(case.sla_first_response_deadline, oslo("2026-03-09 13:00"))
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-03-10 11:00"))

    def test_reopened_case_gets_its_closed_time_back(self):
        with self.at("2026-03-09 08:00"):
            case = self._case()
        with self.at("2026-03-09 09:00"):
            case.action_close()
        self.assertEqual(case.sla_status, "met")
        with self.at("2026-03-11 09:00"):
            case.action_reopen()
            self.assertEqual(case.sla_status, "on_track")
        # Closed from Monday 09:00 to Wednesday 09:00: 16 working hours.
        self.assertEqual(case.sla_paused_hours, 16)
        self.assertEqual(case.sla_resolution_deadline, oslo("2026-03-11 16:00"))
        self.assertFalse(case.sla_reached_date)

    # ------------------------------------------------------------------
    # Which policy
    # ------------------------------------------------------------------
    def test_most_specific_policy_wins(self):
        subcategory = self.env["kunde.case.category"].create(
            {"name": "Feil på faktura", "parent_id": self.category.id}
        )
        other_category = self.env["kunde.case.category"].create({"name": "Levering"})
        every_team = self._policy(name="Every team")
        team_category = self._policy(
            name="Team A, invoices",
            team_id=self.team.id,
            category_ids=[Command.set(self.category.ids)],
        )
        team_category_urgent = self._policy(
            name="Team A, urgent invoices",
            team_id=self.team.id,
            category_ids=[Command.set(self.category.ids)],
            priority="2",
            first_response_hours=1,
            resolution_hours=4,
        )
        team_subcategory = self._policy(
            name="Team A, invoice errors",
            team_id=self.team.id,
            category_ids=[Command.set(subcategory.ids)],
        )
        cases = {
            "team only": self._case(category_id=other_category.id),
            "team + category": self._case(),
            "team + category + priority": self._case(priority="2"),
            "subcategory": self._case(category_id=subcategory.id),
            "other team": self._case(team_id=self.team_b.id),
        }
        expected = {
            "team only": self.policy,
            "team + category": team_category,
            "team + category + priority": team_category_urgent,
            "subcategory": team_subcategory,
            "other team": every_team,
        }
        for name, case in cases.items():
            with self.subTest(name):
                self.assertEqual(case.sla_policy_id, expected[name])
        # High is below the urgent policy's minimum priority.
        case = cases["team + category"]
        case.priority = "1"
        self.assertEqual(case.sla_policy_id, team_category)
        case.priority = "2"
        self.assertEqual(case.sla_policy_id, team_category_urgent)
        case.category_id = other_category
        self.assertEqual(case.sla_policy_id, self.policy)

    def test_new_policy_applies_to_open_cases_only(self):
        with self.at("2026-03-09 08:00"):
            open_case = self._case(priority="2")
            closed_case = self._case(priority="2")
        with self.at("2026-03-09 08:30"):
            closed_case.action_close()
        with self.at("2026-03-09 09:00"):
            urgent = self._policy(
                name="Urgent",
                team_id=self.team.id,
                priority="2",
                first_response_hours=1,
                resolution_hours=4,
            )
        self.assertEqual(open_case.sla_policy_id, urgent)
        self.assertEqual(open_case.sla_resolution_deadline, oslo("2026-03-09 12:00"))
        self.assertEqual(closed_case.sla_policy_id, self.policy)
        urgent.resolution_hours = 6
        self.assertEqual(open_case.sla_resolution_deadline, oslo("2026-03-09 14:00"))
        urgent.active = False
        self.assertEqual(open_case.sla_policy_id, self.policy)

    def test_no_policy_no_sla(self):
        case = self._case(team_id=self.team_b.id)
        self.assertFalse(case.sla_policy_id)
        self.assertFalse(case.sla_status)
        self.assertFalse(case.sla_deadline)

    def test_hours_must_be_positive(self):
        for hours in (0, -4):
            with (
                self.subTest(hours=hours),
                self.assertRaisesRegex(ValidationError, "more than 0 working hours"),
            ):
                self._policy(name="Broken", resolution_hours=hours)
            with self.subTest(hours=hours), self.assertRaises(ValidationError):
                self._policy(name="Broken", first_response_hours=hours)
        with self.assertRaisesRegex(ValidationError, "Team A"):
            self.policy.first_response_hours = 0

    def test_used_policy_cannot_be_deleted(self):
        self._case()
        with self.assertRaisesRegex(UserError, "Archive it instead"):
            self.policy.unlink()
        # A policy no case falls under (its own, empty team): the open cases the
        # database already has would otherwise be measured against it.
        empty_team = self.env["kunde.team"].create({"name": "Tomt team"})
        self._policy(name="Unused", team_id=empty_team.id).unlink()

    def test_access(self):
        self.assertEqual(
            self.Policy.with_user(self.agent).search([("id", "=", self.policy.id)]),
            self.policy,
        )
        with self.assertRaises(AccessError):
            self.Policy.with_user(self.agent).create(
                {"name": "Mine", "first_response_hours": 1, "resolution_hours": 2}
            )
        self.Policy.with_user(self.manager).create(
            {"name": "Managed", "first_response_hours": 1, "resolution_hours": 2}
        )
        other_company = self.env["res.company"].create({"name": "Annet AS"})
        foreign = self._policy(
            name="Foreign",
            company_id=other_company.id,
            calendar_id=other_company.resource_calendar_id.id,
        )
        self.assertFalse(
            self.Policy.with_user(self.manager).search([("id", "=", foreign.id)])
        )

    # ------------------------------------------------------------------
    # Status and the scheduled action
    # ------------------------------------------------------------------
    def test_cron_transitions_and_breach_activity(self):
        with self.at("2026-03-09 08:00"):
            late = self._case(name="Late")
            on_time = self._case(name="On time")
            running = self._case(name="Running")
        # First response due at 10:00; at risk when under 20% is left (09:36).
        self.assertEqual(late.sla_at_risk_date, oslo("2026-03-09 09:36"))
        with self.at("2026-03-09 09:00"):
            on_time.write({"date_first_response": oslo("2026-03-09 09:00")})
        with self.at("2026-03-09 09:30"):
            self.Case._cron_sla_update()
        self.assertEqual(late.sla_status, "on_track")
        with self.at("2026-03-09 09:40"):
            self.Case._cron_sla_update()
        self.assertEqual(late.sla_status, "at_risk")
        self.assertEqual(running.sla_status, "at_risk")
        self.assertEqual(on_time.sla_status, "on_track")
        self.assertFalse(late.activity_ids)
        with self.at("2026-03-09 10:01"):
            self.Case._cron_sla_update()
        self.assertEqual(late.sla_status, "breached")
        self.assertEqual(on_time.sla_status, "on_track")
        activity = late.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertEqual(activity.summary, "SLA breached")
        self.assertEqual(activity.date_deadline, date(2026, 3, 9))
        # The next run reports nothing twice.
        with self.at("2026-03-09 10:06"):
            self.Case._cron_sla_update()
        self.assertEqual(len(late.activity_ids), 1)
        # A late case stays breached when it is answered and closed.
        with self.at("2026-03-09 11:00"):
            late.write({"date_first_response": oslo("2026-03-09 11:00")})
            late.action_close()
            on_time.action_close()
        self.assertEqual(late.sla_status, "breached")
        self.assertEqual(late.sla_kept, 0)
        self.assertFalse(late.sla_reached_date)
        self.assertEqual(on_time.sla_status, "met")
        self.assertEqual(on_time.sla_reached_date, oslo("2026-03-09 11:00"))
        self.assertEqual(on_time.sla_kept, 100)
        # Reports: one kept, one breached; a case still on track does not count.
        with self.at("2026-03-09 10:30"):
            fresh = self._case(name="Fresh")
        self.assertEqual(fresh.sla_status, "on_track")
        [(kept,)] = self.Case._read_group(
            [("id", "in", (late | on_time | fresh).ids)], [], ["sla_kept:avg"]
        )
        self.assertEqual(kept, 50)
        [(kept,)] = self.Case._read_group(
            [("id", "in", (late | on_time | running | fresh).ids)],
            [],
            ["sla_kept:avg"],
        )
        self.assertAlmostEqual(kept, 100 / 3)
        self.assertEqual(
            self.Case.search(
                [("id", "in", (late | on_time | running).ids)]
                + [("sla_status", "=", "breached")]
            ),
            late | running,
        )

    def test_cron_batches(self):
        with self.at("2026-03-09 08:00"):
            cases = self.Case.create(
                [
                    {
                        "name": f"Sak {i}",
                        "team_id": self.team.id,
                    }
                    for i in range(5)
                ]
            )
        with self.at("2026-03-10 08:00"):
            self.Case._cron_sla_update(batch_size=3)
            self.assertEqual(
                cases.mapped("sla_status").count("breached"), 3, "one batch per run"
            )
            self.Case._cron_sla_update(batch_size=3)
        self.assertEqual(set(cases.mapped("sla_status")), {"breached"})

    def test_cron_query_count_does_not_grow(self):
        """10 or 100 cases to move: the same number of queries."""
        warm_up_team = self.env["kunde.team"].create(
            {"name": "Warm-up", "user_id": self.manager.id}
        )
        self._policy(name="Warm-up", team_id=warm_up_team.id)

        def make(count, team):
            with self.at("2026-03-09 08:00"):
                return self.Case.create(
                    [{"name": f"Sak {i}", "team_id": team.id} for i in range(count)]
                )

        def count_queries(expected=None):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            with freeze_time(oslo("2026-03-12 08:00")):
                if expected is None:
                    self.Case._cron_sla_update()
                    self.env.flush_all()
                    self.env.cr.flush()
                else:
                    # assertQueryCount flushes the same way before it counts.
                    with self.assertQueryCount(expected):
                        self.Case._cron_sla_update()
            return self.cr.sql_log_count - before

        make(3, warm_up_team)
        count_queries()  # warm the caches (ir.model, activity type, rules...)
        ten = make(10, self.team)
        queries_for_ten = count_queries()
        self.assertEqual(set(ten.mapped("sla_status")), {"breached"})
        hundred = make(100, self.team)
        queries_for_hundred = count_queries(expected=queries_for_ten)
        self.assertEqual(queries_for_hundred, queries_for_ten)
        self.assertEqual(set(hundred.mapped("sla_status")), {"breached"})
        self.assertEqual(len(hundred.activity_ids), 100)
        self.assertEqual(hundred.activity_ids.user_id, self.manager)

    # ------------------------------------------------------------------
    # Norwegian public holidays
    # ------------------------------------------------------------------
    def test_easter_dates(self):
        known = {
            2019: date(2019, 4, 21),
            2024: date(2024, 3, 31),
            2025: date(2025, 4, 20),
            2026: date(2026, 4, 5),
            2027: date(2027, 3, 28),
            2038: date(2038, 4, 25),
            2285: date(2285, 3, 22),
        }
        for year, easter in known.items():
            self.assertEqual(easter_sunday(year), easter, year)

    def test_norwegian_holidays_2026(self):
        self.assertEqual(
            norwegian_public_holidays(2026),
            [
                (date(2026, 1, 1), "new_year"),
                (date(2026, 4, 2), "maundy_thursday"),
                (date(2026, 4, 3), "good_friday"),
                (date(2026, 4, 5), "easter_sunday"),
                (date(2026, 4, 6), "easter_monday"),
                (date(2026, 5, 1), "labour_day"),
                (date(2026, 5, 14), "ascension_day"),
                (date(2026, 5, 17), "constitution_day"),
                (date(2026, 5, 24), "whit_sunday"),
                (date(2026, 5, 25), "whit_monday"),
                (date(2026, 12, 25), "christmas_day"),
                (date(2026, 12, 26), "boxing_day"),
            ],
        )

    def test_fill_holidays_is_idempotent(self):
        leaves = self.calendar.global_leave_ids
        self.assertEqual(len(leaves), 12)
        maundy = leaves.filtered(lambda leave: leave.name == "Maundy Thursday")
        self.assertEqual(maundy.date_from, oslo("2026-04-02 00:00"))
        self.assertFalse(self.calendar._kunde_fill_norwegian_holidays([2026]))
        # The yearly job fills this year and the next, in every calendar, once.
        with freeze_time("2026-06-01"):
            self.env["resource.calendar"]._cron_kunde_fill_norwegian_holidays()
            count = len(self.calendar.global_leave_ids)
            # 2027: Whit Monday is 17 May, one day off for both.
            self.assertEqual(count, 12 + 11)
            self.env["resource.calendar"]._cron_kunde_fill_norwegian_holidays()
        self.assertEqual(len(self.calendar.global_leave_ids), count)

    def test_holiday_button(self):
        calendar = self.env["resource.calendar"].create(
            {"name": "Uten helligdager", "tz": "Europe/Oslo", "company_id": False}
        )
        self.assertFalse(calendar.global_leave_ids)
        with freeze_time("2026-02-01"):
            action = calendar.with_user(
                self.manager
            ).action_kunde_fill_norwegian_holidays()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(len(calendar.global_leave_ids), 12 + 11)
        self.assertEqual(
            set(calendar.global_leave_ids.mapped("name")),
            {
                "New Year's Day",
                "Maundy Thursday",
                "Good Friday",
                "Easter Sunday",
                "Easter Monday",
                "Labour Day",
                "Constitution Day",
                "Ascension Day",
                "Whit Sunday",
                "Whit Monday",
                "Christmas Day",
                "Boxing Day",
                "Constitution Day / Whit Monday",
            },
        )
        with self.assertRaises(AccessError):
            calendar.with_user(self.agent).action_kunde_fill_norwegian_holidays()
