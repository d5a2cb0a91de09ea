"""A process keeps the calendars it read, and sees every change to their hours and holidays."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import load_calendar
from sla.clock import BusinessHoursClock
from sla.models import Calendar, Holiday, WorkingHours

THANKSGIVING = date(2031, 11, 27)
NOON = datetime(2031, 11, 27, 12, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def default_calendar(db):
    return Calendar.objects.get(is_default=True)


def test_an_unchanged_calendar_costs_one_query(default_calendar, django_assert_num_queries):
    first = load_calendar()
    with django_assert_num_queries(1):
        assert load_calendar() is first


def test_a_holiday_counts_from_the_next_ticket_and_stops_counting_once_removed(api, admin_user, default_calendar):
    assert THANKSGIVING not in load_calendar().holidays

    created = api(admin_user).post("/api/v1/calendar/holidays/",
                                   {"date": THANKSGIVING.isoformat(), "name": "Thanksgiving"}, format="json")
    assert created.status_code == 201, created.content
    assert THANKSGIVING in load_calendar().holidays

    Holiday.objects.get(date=THANKSGIVING).delete()
    assert THANKSGIVING not in load_calendar().holidays


def test_changed_working_hours_count_at_once(default_calendar):
    thursday = WorkingHours.objects.filter(calendar=default_calendar, weekday=3).first()
    assert thursday is not None and BusinessHoursClock(load_calendar()).is_running(NOON)

    thursday.opens, thursday.closes = time(13), time(17)
    thursday.save()
    assert not BusinessHoursClock(load_calendar()).is_running(NOON)
