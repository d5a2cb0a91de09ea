"""Load business calendars from the database into the pure clock's terms."""

import zoneinfo
from collections import defaultdict
from datetime import datetime

from .clock import BusinessCalendar, BusinessHoursClock, Interval, SlaClock, TwentyFourSevenClock
from .matrix import Clock
from .models import Calendar


def default_calendar() -> Calendar:
    calendar = Calendar.objects.filter(is_default=True).first()
    if calendar is None:
        raise Calendar.DoesNotExist("No default business calendar: run the migrations, or mark one as default.")
    return calendar


# Calendars this process has read, by id, with the ``updated_at`` they were read at. Every ticket
# created or re-triaged needs its calendar; reading the row alone (one query, not three) tells
# whether the hours and holidays changed, since saving or deleting either touches the calendar.
_loaded: dict[int, tuple[datetime, BusinessCalendar]] = {}


def load_calendar(calendar_id: int | None = None) -> BusinessCalendar:
    """The calendar with its hours and holidays; ``None`` means the default calendar."""
    calendar = Calendar.objects.get(pk=calendar_id) if calendar_id else default_calendar()
    known = _loaded.get(calendar.pk)
    if known is not None and known[0] == calendar.updated_at:
        return known[1]
    hours: dict[int, list[Interval]] = defaultdict(list)
    for weekday, opens, closes in calendar.working_hours.values_list("weekday", "opens", "closes"):
        hours[weekday].append((opens, closes))
    holidays = frozenset(calendar.holidays.values_list("date", flat=True))
    loaded = BusinessCalendar(
        tz=zoneinfo.ZoneInfo(calendar.time_zone),
        hours={day: tuple(sorted(intervals)) for day, intervals in hours.items()},
        holidays=holidays,
    )
    _loaded[calendar.pk] = (calendar.updated_at, loaded)
    return loaded


class ClockCache:
    """Clocks by (clock kind, calendar id) for the span of one computation or one sweep."""

    def __init__(self) -> None:
        self._calendars: dict[int | None, BusinessCalendar] = {}

    def clock(self, kind: str, calendar_id: int | None) -> SlaClock:
        if kind == Clock.TWENTY_FOUR_SEVEN:
            return TwentyFourSevenClock()
        return BusinessHoursClock(self.calendar(calendar_id))

    def calendar(self, calendar_id: int | None) -> BusinessCalendar:
        """The business calendar itself (``None``: the default), for day counts (``sla.business_days``)."""
        if calendar_id not in self._calendars:
            self._calendars[calendar_id] = load_calendar(calendar_id)
        return self._calendars[calendar_id]

    def operating_clock(self, calendar_id: int) -> SlaClock:
        return self.clock(Clock.BUSINESS_HOURS, calendar_id)
