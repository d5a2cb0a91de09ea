"""Business days on a calendar: "N business days after" an instant.

The SLA targets count working *hours* (``clock.BusinessHoursClock``); the ticket life cycle's timers
(a resolved ticket closes after 3 business days, a waiting one is reminded after 2) count working
*days*, which people read as "Monday, Tuesday, Wednesday have passed", whatever the length of each.

- A business day is a local date of the calendar that has working hours and is not a holiday.
- The count starts where the SLA clock would start: an instant outside working hours counts from
  the next opening (resolved on Saturday, the first business day to pass is Monday).
- The result is the same local time of day on the N-th business day after the start's date; on a
  date whose hours end earlier than that time, its last closing (the day still counts in full).
- Local wall time is kept across a DST change (a business day is not 24 real hours then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .clock import MAX_IDLE_DAYS, BusinessCalendar, BusinessHoursClock

__all__ = ["add_business_days"]

_ONE_DAY = timedelta(days=1)


def add_business_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The aware UTC instant ``days`` business days after ``start`` on ``calendar``.

    ``days == 0`` is the next instant at which the calendar's hours run (``start`` itself when they
    do). A negative count or a naive ``start`` raises ``ValueError``, as does a calendar without a
    business day within ``MAX_IDLE_DAYS``.
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days!r}")
    begin = BusinessHoursClock(calendar).next_start(start)
    if days == 0:
        return begin
    local = begin.astimezone(calendar.tz)
    day, remaining, idle = local.date(), days, 0
    while remaining:
        day += _ONE_DAY
        if calendar.day_intervals(day):
            remaining, idle = remaining - 1, 0
        else:
            idle += 1
            if idle > MAX_IDLE_DAYS:  # pragma: no cover - next_start has already refused such a calendar
                raise ValueError(f"no business day within {MAX_IDLE_DAYS} days after {start}")
    # fold=0: an ambiguous wall time (the repeated hour in autumn) reads as its first occurrence,
    # the rule the calendar's own intervals follow.
    landing = datetime.combine(day, local.time().replace(fold=0), tzinfo=calendar.tz).astimezone(UTC)
    last_close = max(closes for _, closes in calendar.day_intervals(day))
    return min(landing, last_close)
