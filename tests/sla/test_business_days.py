"""Worked examples for business-day counts (pure Python: no database)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.business_days import add_business_days
from sla.clock import BusinessCalendar

NY = ZoneInfo("America/New_York")
WEEKDAYS = BusinessCalendar.weekdays()  # Monday-Friday 08:00-17:00 America/New_York


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_friday_afternoon_plus_3_business_days_is_wednesday_afternoon():
    # Monday, Tuesday and Wednesday pass; the weekend does not count.
    result = add_business_days(WEEKDAYS, ny(2026, 1, 9, 15), 3)

    assert result == ny(2026, 1, 14, 15)
    assert result.tzinfo is UTC


def test_a_start_on_the_weekend_counts_from_monday_morning():
    assert add_business_days(WEEKDAYS, ny(2026, 1, 10, 11), 3) == ny(2026, 1, 15, 8)


def test_a_start_after_closing_counts_from_the_next_opening():
    assert add_business_days(WEEKDAYS, ny(2026, 1, 12, 18, 30), 2) == ny(2026, 1, 15, 8)


def test_holidays_are_not_business_days():
    calendar = BusinessCalendar.weekdays(holidays=[date(2026, 1, 19)])  # Martin Luther King Jr. Day, a Monday

    assert add_business_days(calendar, ny(2026, 1, 16, 10), 1) == ny(2026, 1, 20, 10)


def test_a_shorter_landing_day_ends_at_its_closing():
    # Fridays close at noon: Wednesday 15:00 plus 2 business days is Friday's closing, not Monday.
    hours = {day: ((time(8), time(17)),) for day in range(4)} | {4: ((time(8), time(12)),)}
    calendar = BusinessCalendar(tz=NY, hours=hours)

    assert add_business_days(calendar, ny(2026, 1, 7, 15), 2) == ny(2026, 1, 9, 12)


def test_local_time_is_kept_across_a_dst_change():
    # Clocks go forward on Sunday 8 March 2026: Friday 10:00 EST to Monday 10:00 EDT is 71 real hours.
    start = ny(2026, 3, 6, 10)
    result = add_business_days(WEEKDAYS, start, 1)

    assert result == ny(2026, 3, 9, 10)
    assert result - start == timedelta(hours=71)


def test_zero_days_is_the_next_working_instant():
    assert add_business_days(WEEKDAYS, ny(2026, 1, 9, 15), 0) == ny(2026, 1, 9, 15)
    assert add_business_days(WEEKDAYS, ny(2026, 1, 10, 15), 0) == ny(2026, 1, 12, 8)


def test_negative_counts_and_naive_starts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_days(WEEKDAYS, ny(2026, 1, 9, 15), -1)
    with pytest.raises(ValueError, match="aware"):
        add_business_days(WEEKDAYS, datetime(2026, 1, 9, 15), 1)


def test_a_calendar_without_hours_is_refused():
    with pytest.raises(ValueError, match="no working time"):
        add_business_days(BusinessCalendar(tz=NY, hours={}), ny(2026, 1, 9, 15), 3)
