from datetime import date, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.resource.models.utils import make_aware

# plan_hours() looks this far ahead, in windows of two weeks (as Odoo does).
PLAN_WINDOW = timedelta(days=14)
PLAN_WINDOWS = 100


def easter_sunday(year):
    """Easter Sunday of a Gregorian year (Anonymous Gregorian algorithm, Meeus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def norwegian_public_holidays(year):
    """The Norwegian public holidays of a year: [(date, key)], in date order.

    Keys name the day; ``ResourceCalendar._kunde_holiday_names`` translates
    them. Easter-based days are computed from Easter Sunday.
    """
    easter = easter_sunday(year)
    holidays = [
        (date(year, 1, 1), "new_year"),
        (easter - timedelta(days=3), "maundy_thursday"),
        (easter - timedelta(days=2), "good_friday"),
        (easter, "easter_sunday"),
        (easter + timedelta(days=1), "easter_monday"),
        (date(year, 5, 1), "labour_day"),
        (date(year, 5, 17), "constitution_day"),
        (easter + timedelta(days=39), "ascension_day"),
        (easter + timedelta(days=49), "whit_sunday"),
        (easter + timedelta(days=50), "whit_monday"),
        (date(year, 12, 25), "christmas_day"),
        (date(year, 12, 26), "boxing_day"),
    ]
    return sorted(holidays)


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_kunde_fill_norwegian_holidays(self):
        """Add this year's and next year's Norwegian public holidays as leaves.

        Customer-service managers may do it on the calendars they can read,
        although Odoo leaves global leaves to administrators: the button only
        adds the fixed list of public holidays, never changes other leaves.
        """
        if not (
            self.env.user.has_group("kunde_crm.kunde_crm_group_manager")
            or self.env.user.has_group("base.group_system")
        ):
            raise AccessError(
                self.env._("Only customer service managers can add public holidays.")
            )
        self.check_access("read")
        year = fields.Date.context_today(self).year
        leaves = self.sudo()._kunde_fill_norwegian_holidays([year, year + 1])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Norwegian public holidays"),
                "message": self.env._(
                    "%(count)s public holiday(s) added for %(first)s and %(second)s.",
                    count=len(leaves),
                    first=year,
                    second=year + 1,
                ),
                "type": "success",
                "sticky": False,
            },
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    @api.model
    def _cron_kunde_fill_norwegian_holidays(self):
        """Yearly: this year's and next year's holidays in every calendar."""
        year = fields.Date.today().year
        self.search([])._kunde_fill_norwegian_holidays([year, year + 1])

    def _kunde_holiday_names(self):
        """The holiday names in this environment's language."""
        _ = self.env._
        return {
            "new_year": _("New Year's Day"),
            "maundy_thursday": _("Maundy Thursday"),
            "good_friday": _("Good Friday"),
            "easter_sunday": _("Easter Sunday"),
            "easter_monday": _("Easter Monday"),
            "labour_day": _("Labour Day"),
            "constitution_day": _("Constitution Day"),
            "ascension_day": _("Ascension Day"),
            "whit_sunday": _("Whit Sunday"),
            "whit_monday": _("Whit Monday"),
            "christmas_day": _("Christmas Day"),
            "boxing_day": _("Boxing Day"),
        }

    def _kunde_fill_norwegian_holidays(self, years):
        """Create the missing public-holiday leaves of ``years`` in each calendar.

        A holiday is a whole day (midnight to midnight) in the calendar's time
        zone. A day already covered by a leave of the calendar (or one shared
        by all calendars) is skipped, so running it again creates nothing.
        Names are in the language of the calendar's company.
        """
        Leave = self.env["resource.calendar.leaves"]
        vals_list = []
        for calendar in self:
            tz = pytz.timezone(calendar.tz or "UTC")
            lang = (calendar.company_id or self.env.company).partner_id.lang
            names = calendar.with_context(
                lang=lang or self.env.lang
            )._kunde_holiday_names()
            days = {}
            for year in years:
                for day, key in norwegian_public_holidays(year):
                    # 17 May sometimes falls on Ascension Day or Whit Monday.
                    days.setdefault(day, []).append(names[key])

            def bounds(day, tz=tz):
                start = tz.localize(datetime.combine(day, time.min))
                stop = tz.localize(datetime.combine(day, time(23, 59, 59)))
                return (
                    start.astimezone(pytz.utc).replace(tzinfo=None),
                    stop.astimezone(pytz.utc).replace(tzinfo=None),
                )

            first, _last = bounds(min(days))
            _first, last = bounds(max(days))
            existing = Leave.search(
                [
                    ("calendar_id", "in", [False, calendar.id]),
                    ("resource_id", "=", False),
                    ("date_from", "<=", last),
                    ("date_to", ">=", first),
                ]
            )
            covered = set()
            for leave in existing:
                day = pytz.utc.localize(leave.date_from).astimezone(tz).date()
                end = pytz.utc.localize(leave.date_to).astimezone(tz).date()
                while day <= end:
                    covered.add(day)
                    day += timedelta(days=1)
            for day, day_names in sorted(days.items()):
                if day in covered:
                    continue
                date_from, date_to = bounds(day)
                vals_list.append(
                    {
                        "name": " / ".join(day_names),
                        "calendar_id": calendar.id,
                        "date_from": date_from,
                        "date_to": date_to,
                        "time_type": "leave",
                    }
                )
        return Leave.create(vals_list)

    def _kunde_plan_hours(self, start, hours_list):
        """Several ``plan_hours(hours, start, compute_leaves=True)`` at once.

        Returns, for each amount of working hours in ``hours_list``, the moment
        it is reached counting from ``start`` (naive UTC in and out), with the
        calendar's attendances and leaves (public holidays) in its time zone.
        The working intervals are read once for all the amounts.
        """
        self.ensure_one()
        start_dt, revert = make_aware(start)
        targets = sorted(set(hours_list))
        found = {}
        done = 0.0
        for n in range(PLAN_WINDOWS):
            if not targets:
                break
            window_start = start_dt + PLAN_WINDOW * n
            intervals = self._work_intervals_batch(
                window_start, window_start + PLAN_WINDOW
            )[False]
            for interval_start, interval_stop, _meta in intervals:
                interval_hours = (interval_stop - interval_start).total_seconds() / 3600
                while targets and targets[0] - done <= interval_hours:
                    target = targets.pop(0)
                    found[target] = revert(
                        interval_start + timedelta(hours=target - done)
                    )
                if not targets:
                    break
                done += interval_hours
        return [found.get(hours, False) for hours in hours_list]
