"""SLA clocks: when is a ticket's Respond By / Resolve By, and how much clock time has elapsed?

A target is an amount of *clock time* added to a start instant, on one of two clocks:

- ``TwentyFourSevenClock`` counts real elapsed time. All arithmetic is done in UTC, because an aware
  datetime with a ``ZoneInfo`` does wall-clock arithmetic (and same-zone datetimes even compare and
  subtract by wall clock): across a DST change, 4 hours must stay 4 real hours.
- ``BusinessHoursClock`` counts only time inside a ``BusinessCalendar``'s weekly working hours, given
  as local wall-clock times in the calendar's zone, so a business day is 08:00-17:00 local on both
  sides of a DST change. Holidays are whole local dates without working time.

Rules the product owner tests:

- Working intervals are half-open, [opens, closes): 17:00 itself is closed; a start outside working
  hours begins counting at the next opening.
- A deadline that uses up exactly the last working instant of an interval falls AT its closing time
  (17:00), not at the next opening. ``add(start, 0)`` is the next instant at which the clock runs.
- The cost of one computation grows with the number of days spanned, never with the minutes. If no
  working time is found within ``MAX_IDLE_DAYS`` days, ``ValueError`` is raised instead of looping.
- Naive datetimes, negative durations and ``measure(start, end)`` with end < start raise ``ValueError``.
- Results are aware datetimes in UTC.

"Until midnight" is written ``closes=None`` (the end of that local day); an overnight service is two
intervals on adjacent days, e.g. Monday (20:00, None) and Tuesday (00:00, 06:00).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = ["MAX_IDLE_DAYS", "BusinessCalendar", "BusinessHoursClock", "SlaClock", "TwentyFourSevenClock"]

MAX_IDLE_DAYS = 3660
_ONE_DAY = timedelta(days=1)
_DAWN_OF_TIME = datetime.min.replace(tzinfo=UTC)

Interval = tuple[time, time | None]


def _utc(instant: datetime, name: str = "instant") -> datetime:
    if not isinstance(instant, datetime) or instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {instant!r}")
    return instant.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration!r}")


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly working hours (weekday 0=Monday .. 6=Sunday → intervals) in local time, and holidays.

    Each interval is ``(opens, closes)`` with naive local times, opens < closes, or ``closes=None``
    for "until midnight". Intervals of one weekday may not overlap (touching is fine).
    """

    tz: tzinfo
    hours: Mapping[int, Sequence[Interval]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise ValueError(f"tz must be a tzinfo such as ZoneInfo('America/New_York'), got {self.tz!r}")
        normalised: dict[int, tuple[Interval, ...]] = {}
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
            checked = sorted((self._check_interval(weekday, i) for i in intervals), key=lambda i: i[0])
            for (_, earlier_closes), (later_opens, _) in pairwise(checked):
                if earlier_closes is None or earlier_closes > later_opens:
                    raise ValueError(f"overlapping working intervals on weekday {weekday}: {checked}")
            if checked:
                normalised[weekday] = tuple(checked)
        # Normalised copies: the clock relies on sorted intervals, and callers may pass mutable containers.
        object.__setattr__(self, "hours", normalised)
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @staticmethod
    def _check_interval(weekday: int, interval: Interval) -> Interval:
        opens, closes = interval
        for moment in (opens, closes):
            if moment is not None and (not isinstance(moment, time) or moment.tzinfo is not None):
                raise ValueError(f"interval times must be naive local times, got {moment!r} on weekday {weekday}")
        if closes is not None and not opens < closes:
            raise ValueError(
                f"interval must open before it closes (overnight is two intervals; None = until midnight), "
                f"got {opens}-{closes} on weekday {weekday}"
            )
        # fold=1 would silently pick the later of two ambiguous instants; the rule is fold=0.
        return opens.replace(fold=0), None if closes is None else closes.replace(fold=0)

    @classmethod
    def weekdays(
        cls,
        tz: str = "America/New_York",
        opens: time = time(8),
        closes: time | None = time(17),
        holidays: Sequence[date] | frozenset[date] = (),
    ) -> BusinessCalendar:
        """Monday to Friday, one interval a day."""
        return cls(tz=ZoneInfo(tz), hours={day: ((opens, closes),) for day in range(5)}, holidays=frozenset(holidays))

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The local date's intervals as UTC (opens, closes), in local order, before any clipping."""
        if day in self.holidays:
            return []
        result = []
        for opens, closes in self.hours.get(day.weekday(), ()):
            # zoneinfo reads a nonexistent or ambiguous wall time with fold=0 (the pre-transition offset).
            start = datetime.combine(day, opens, tzinfo=self.tz)
            end = datetime.combine(day + _ONE_DAY, time(0), tzinfo=self.tz) if closes is None else (
                datetime.combine(day, closes, tzinfo=self.tz)
            )
            result.append((start.astimezone(UTC), end.astimezone(UTC)))
        return result


@runtime_checkable
class SlaClock(Protocol):
    def add(self, start: datetime, duration: timedelta) -> datetime: ...
    def measure(self, start: datetime, end: datetime) -> timedelta: ...
    def is_running(self, instant: datetime) -> bool: ...
    def next_start(self, instant: datetime) -> datetime: ...


class TwentyFourSevenClock:
    """Real elapsed time, always running."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        _check_duration(duration)
        return _utc(start, "start") + duration

    def measure(self, start: datetime, end: datetime) -> timedelta:
        begin, finish = _utc(start, "start"), _utc(end, "end")
        if finish < begin:
            raise ValueError(f"end {end} is before start {start}")
        return finish - begin

    def is_running(self, instant: datetime) -> bool:
        _utc(instant)
        return True

    def next_start(self, instant: datetime) -> datetime:
        return _utc(instant)

    def __repr__(self) -> str:
        return "TwentyFourSevenClock()"


class BusinessHoursClock:
    """Only time inside the calendar's working intervals counts."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar

    def __repr__(self) -> str:
        return f"BusinessHoursClock({self.calendar!r})"

    def _intervals(self, after: datetime, until: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """UTC working intervals, in order, closing after ``after``; up to the day of ``until`` if given.

        A DST gap can map a local interval to UTC so that it inverts or overlaps the previous one
        (e.g. 01:00-02:30 and 03:00-04:00 on spring-forward night). Inverted intervals are skipped and
        overlaps clipped, so no instant counts twice and the stream is strictly increasing.
        """
        tz = self.calendar.tz
        # Start a day early: where a local date is skipped (Samoa, 2011-12-30), the previous day's hours
        # map onto the next day's real time; starting there also makes the clipping independent of `after`.
        day = after.astimezone(tz).date() - _ONE_DAY
        last_day = None if until is None else until.astimezone(tz).date() + _ONE_DAY
        last_close = _DAWN_OF_TIME
        idle_days = 0
        while last_day is None or day <= last_day:
            for opens, closes in self.calendar.day_intervals(day):
                opens = max(opens, last_close)
                if opens < closes:
                    last_close = closes
                    if closes > after:
                        idle_days = 0
                        yield opens, closes
            idle_days += 1
            # Only an open-ended search can run away; a bounded one (`until`) ends on its own.
            if last_day is None and idle_days > MAX_IDLE_DAYS:
                raise ValueError(
                    f"no working time within {MAX_IDLE_DAYS} days after {after}: "
                    "the calendar has no hours, or every working day is a holiday"
                )
            day += _ONE_DAY

    def add(self, start: datetime, duration: timedelta) -> datetime:
        _check_duration(duration)
        begin = _utc(start, "start")
        remaining = duration
        for opens, closes in self._intervals(begin):
            cursor = max(begin, opens)
            # `<=`: a deadline that exactly fills the interval falls at its closing, not the next opening.
            if remaining <= closes - cursor:
                return cursor + remaining
            remaining -= closes - cursor
        raise AssertionError("unreachable: _intervals is endless without `until`")  # pragma: no cover

    def measure(self, start: datetime, end: datetime) -> timedelta:
        begin, finish = _utc(start, "start"), _utc(end, "end")
        if finish < begin:
            raise ValueError(f"end {end} is before start {start}")
        total = timedelta(0)
        for opens, closes in self._intervals(begin, until=finish):
            if opens >= finish:
                break
            total += min(closes, finish) - max(opens, begin)
        return total

    def is_running(self, instant: datetime) -> bool:
        moment = _utc(instant)
        return any(opens <= moment < closes for opens, closes in self._intervals(moment, until=moment))

    def next_start(self, instant: datetime) -> datetime:
        return self.add(instant, timedelta(0))
