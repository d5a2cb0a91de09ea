"""Properties of the SLA clocks, for both clocks and several calendars (pure Python: no database)."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.clock import BusinessCalendar, BusinessHoursClock, SlaClock, TwentyFourSevenClock

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

DEFAULT = BusinessCalendar.weekdays()
# Holidays on fixed dates every year, a split Friday, a short Saturday.
HOLIDAYS_AND_SPLIT_DAY = BusinessCalendar(
    tz=NY,
    hours={
        **{day: ((time(8), time(17)),) for day in range(4)},
        4: ((time(8), time(12)), (time(13), time(16, 30))),
        5: ((time(10), time(14)),),
    },
    holidays=frozenset(
        date(year, month, day) for year in range(2019, 2032) for month, day in ((1, 1), (7, 4), (11, 26), (12, 25))
    ),
)
# Hours across midnight and across London's changes (01:00 UTC, on Sundays): on spring-forward night
# 01:50 does not exist and reads as 01:50 UTC, after 02:00 BST (01:00 UTC), so the first two overlap.
DST_EDGES = BusinessCalendar(
    tz=LONDON,
    hours={
        5: ((time(20), None),),
        6: ((time(0), time(1, 50)), (time(2), time(3)), (time(3, 15), time(4))),
        2: ((time(9, 30), time(17, 30)),),
    },
)
ROUND_THE_CLOCK = BusinessCalendar(tz=NY, hours={day: ((time(0), None),) for day in range(7)})

CALENDARS = [DEFAULT, HOLIDAYS_AND_SPLIT_DAY, DST_EDGES]
CALENDAR_IDS = ["default", "holidays-split-day", "dst-edges"]
CLOCKS: list[SlaClock] = [TwentyFourSevenClock(), *(BusinessHoursClock(c) for c in CALENDARS)]
CLOCK_IDS = ["24x7", *CALENDAR_IDS]

PROPERTY = settings(max_examples=200, deadline=None)

_anywhere = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))
# Weeks holding the US and EU spring and autumn changes, where the interesting bugs live.
_near_dst = st.builds(
    lambda year, month_day, minutes: datetime(year, *month_day) + timedelta(minutes=minutes),
    st.integers(2020, 2030),
    st.sampled_from([(3, 7), (3, 24), (10, 24), (10, 31)]),
    st.integers(0, 8 * 24 * 60 - 1),
)
_zones: st.SearchStrategy[tzinfo] = st.sampled_from([UTC, NY, LONDON])
starts = st.builds(lambda naive, zone: naive.replace(tzinfo=zone), st.one_of(_anywhere, _near_dst), _zones)
durations = st.one_of(
    st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 200 * 60).map(lambda m: timedelta(minutes=m)),
)
clocks = pytest.mark.parametrize("clock", CLOCKS, ids=CLOCK_IDS)


def closing_instants(calendar: BusinessCalendar, instant: datetime) -> set[datetime]:
    """The instants at which the working intervals of the instant's local day (and the day before) close."""
    local_day = instant.astimezone(calendar.tz).date()
    return {closes for day in (local_day - timedelta(1), local_day) for _, closes in calendar.day_intervals(day)}


@clocks
@PROPERTY
@given(start=starts, duration=durations)
def test_measure_undoes_add(clock: SlaClock, start: datetime, duration: timedelta):
    assert clock.measure(start, clock.add(start, duration)) == duration


@pytest.mark.parametrize("calendar", CALENDARS, ids=CALENDAR_IDS)
@PROPERTY
@given(start=starts, duration=durations.filter(bool))
def test_a_deadline_is_in_working_time_or_at_a_closing(calendar: BusinessCalendar, start, duration):
    clock = BusinessHoursClock(calendar)
    deadline = clock.add(start, duration)
    assert deadline.tzinfo is UTC
    if not clock.is_running(deadline):
        assert deadline in closing_instants(calendar, deadline)
        assert clock.is_running(deadline - timedelta(microseconds=1))


@clocks
@PROPERTY
@given(start=starts, target=durations, pause=durations)
def test_a_pause_moves_the_deadline_by_exactly_the_pause(clock: SlaClock, start, target, pause):
    assert clock.measure(clock.add(start, target), clock.add(start, target + pause)) == pause


@clocks
@PROPERTY
@given(a=starts, ab=durations, bc=durations)
def test_measure_is_additive(clock: SlaClock, a: datetime, ab: timedelta, bc: timedelta):
    b = a.astimezone(UTC) + ab  # aware + timedelta on a ZoneInfo is wall-clock arithmetic: go through UTC
    c = b + bc
    assert clock.measure(a, b) + clock.measure(b, c) == clock.measure(a, c)


@clocks
@PROPERTY
@given(start=starts, first=durations, second=durations)
def test_add_is_monotonic(clock: SlaClock, start, first, second):
    shorter, longer = sorted((first, second))
    assert clock.add(start, shorter) <= clock.add(start, longer)


@PROPERTY
@given(start=starts, duration=durations)
def test_24x7_is_real_time(start: datetime, duration: timedelta):
    deadline = TwentyFourSevenClock().add(start, duration)
    assert deadline == start.astimezone(UTC) + duration
    assert deadline.tzinfo is UTC


@PROPERTY
@given(start=starts, duration=durations)
def test_a_round_the_clock_calendar_is_the_24x7_clock(start: datetime, duration: timedelta):
    assert BusinessHoursClock(ROUND_THE_CLOCK).add(start, duration) == TwentyFourSevenClock().add(start, duration)


@pytest.mark.parametrize("calendar", CALENDARS, ids=CALENDAR_IDS)
@PROPERTY
@given(instant=starts)
def test_next_start_is_the_first_running_instant(calendar: BusinessCalendar, instant: datetime):
    clock = BusinessHoursClock(calendar)
    begins = clock.next_start(instant)
    assert clock.is_running(begins)
    assert begins >= instant
    # in UTC: Python's == between zones is False for any ambiguous (fall-back) local time, same instant or not
    assert (begins == instant.astimezone(UTC)) == clock.is_running(instant)
    assert clock.measure(instant, begins) == timedelta(0)
