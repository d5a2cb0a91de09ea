"""Worked examples for the SLA clocks (pure Python: no database)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.clock import BusinessCalendar, BusinessHoursClock, SlaClock, TwentyFourSevenClock

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def business(calendar: BusinessCalendar | None = None) -> BusinessHoursClock:
    return BusinessHoursClock(calendar or BusinessCalendar.weekdays())


SPLIT_DAY = BusinessCalendar(tz=NY, hours={day: ((time(8), time(12)), (time(13), time(17))) for day in range(5)})


# --- business hours: the default calendar, Monday-Friday 08:00-17:00 America/New_York ---


def test_friday_afternoon_plus_8_hours_lands_monday_afternoon():
    # given a ticket opened Friday 15:00 (2 business hours left that day)
    start = ny(2026, 1, 9, 15)
    # when 8 business hours are added
    deadline = business().add(start, 8 * H)
    # then 2 h count on Friday and 6 h on Monday
    assert deadline == ny(2026, 1, 12, 14)
    assert deadline.tzinfo is UTC


def test_friday_afternoon_plus_16_hours_lands_tuesday():
    assert business().add(ny(2026, 1, 9, 15), 16 * H) == ny(2026, 1, 13, 13)


def test_weekend_start_counts_from_monday_opening_and_a_full_day_ends_at_closing():
    # given a ticket opened on Saturday
    start = ny(2026, 1, 10, 10)
    # when a whole business day (9 h) is added, then it ends at Monday 17:00, not Tuesday 08:00
    assert business().add(start, 9 * H) == ny(2026, 1, 12, 17)
    # and 8 h (the brief's figure) ends an hour before closing
    assert business().add(start, 8 * H) == ny(2026, 1, 12, 16)


def test_start_before_opening_counts_from_opening():
    start = ny(2026, 1, 13, 6, 30)  # Tuesday
    assert business().add(start, 9 * H) == ny(2026, 1, 13, 17)
    assert business().add(start, 8 * H) == ny(2026, 1, 13, 16)


def test_closing_time_itself_is_closed():
    # given a ticket opened Tuesday at 17:00 sharp, when 1 h is added, then it is Wednesday 09:00
    assert business().add(ny(2026, 1, 13, 17), H) == ny(2026, 1, 14, 9)
    assert not business().is_running(ny(2026, 1, 13, 17))
    assert business().is_running(ny(2026, 1, 13, 16, 59, 59, 999999))


def test_last_minute_of_the_day_ends_at_closing():
    assert business().add(ny(2026, 1, 13, 16, 59), timedelta(minutes=1)) == ny(2026, 1, 13, 17)


def test_a_full_business_week_ends_thursday_at_closing():
    # four whole 9-hour days from Monday 08:00 end at Thursday 17:00, not Friday 08:00
    assert business().add(ny(2026, 1, 12, 8), 36 * H) == ny(2026, 1, 15, 17)
    # the brief's 32 h is 3 days and 5 h on a 9-hour day
    assert business().add(ny(2026, 1, 12, 8), 32 * H) == ny(2026, 1, 15, 13)


def test_eight_hour_days_make_the_briefs_whole_day_figures_exact():
    # given the split day (08:00-12:00, 13:00-17:00 = 8 working hours)
    clock = business(SPLIT_DAY)
    # then the brief's 8 h and 32 h targets use whole days and end at 17:00
    assert clock.add(ny(2026, 1, 10, 10), 8 * H) == ny(2026, 1, 12, 17)
    assert clock.add(ny(2026, 1, 13, 6, 30), 8 * H) == ny(2026, 1, 13, 17)
    assert clock.add(ny(2026, 1, 12, 8), 32 * H) == ny(2026, 1, 15, 17)


def test_zero_duration():
    clock = business()
    # open: the start itself
    assert clock.add(ny(2026, 1, 13, 10, 15), timedelta(0)) == ny(2026, 1, 13, 10, 15)
    # closed (including exactly at closing): the next opening
    assert clock.add(ny(2026, 1, 13, 17), timedelta(0)) == ny(2026, 1, 14, 8)
    assert clock.add(ny(2026, 1, 10, 12), timedelta(0)) == ny(2026, 1, 12, 8)
    assert clock.next_start(ny(2026, 1, 10, 12)) == ny(2026, 1, 12, 8)
    assert clock.next_start(ny(2026, 1, 13, 8)) == ny(2026, 1, 13, 8)


def test_holiday_has_no_working_time():
    # given Thanksgiving, Thursday 2026-11-26, is a holiday
    clock = business(BusinessCalendar.weekdays(holidays=[date(2026, 11, 26)]))
    # when 8 h are added on Wednesday 13:00, then 4 h count Wednesday and 4 h Friday
    assert clock.add(ny(2026, 11, 25, 13), 8 * H) == ny(2026, 11, 27, 12)
    assert not clock.is_running(ny(2026, 11, 26, 10))


def test_business_clock_keeps_local_hours_when_clocks_fall_back():
    # given Friday 2026-10-30 13:00 EDT; clocks fall back on Sunday 1 November
    deadline = business().add(ny(2026, 10, 30, 13), 8 * H)
    # then Monday's 08:00-12:00 EST counts, and the deadline is noon EST
    assert deadline == ny(2026, 11, 2, 12)
    assert deadline == datetime(2026, 11, 2, 17, tzinfo=UTC)


def test_business_clock_keeps_local_hours_when_clocks_spring_forward():
    deadline = business().add(ny(2026, 3, 6, 13), 8 * H)
    assert deadline == ny(2026, 3, 9, 12)
    assert deadline == datetime(2026, 3, 9, 16, tzinfo=UTC)


def test_split_day_skips_the_lunch_break():
    clock = business(SPLIT_DAY)
    assert clock.add(ny(2026, 1, 12, 11), 2 * H) == ny(2026, 1, 12, 14)
    assert not clock.is_running(ny(2026, 1, 12, 12, 30))
    assert clock.measure(ny(2026, 1, 12, 11), ny(2026, 1, 12, 14)) == 2 * H


def test_the_calendars_zone_is_honoured():
    # given London hours, in British Summer Time (UTC+1)
    clock = business(BusinessCalendar.weekdays(tz="Europe/London", opens=time(9), closes=time(17)))
    # when 2 h are added at Monday 16:00 London, then it is Tuesday 09:00 London (08:00 UTC)
    deadline = clock.add(datetime(2026, 6, 15, 16, tzinfo=LONDON), 2 * H)
    assert deadline == datetime(2026, 6, 16, 10, tzinfo=LONDON)
    assert deadline == datetime(2026, 6, 16, 9, tzinfo=UTC)
    # and 12:00 London (07:00 in New York) is open in London but not on the New York calendar
    assert clock.is_running(datetime(2026, 6, 15, 12, tzinfo=LONDON))
    assert not business().is_running(datetime(2026, 6, 15, 12, tzinfo=LONDON))


def test_until_midnight_and_overnight_service():
    # given a desk open Monday 20:00 to midnight and Tuesday 00:00-06:00 (overnight = two intervals)
    calendar = BusinessCalendar(tz=NY, hours={0: ((time(20), None),), 1: ((time(0), time(6)),)})
    clock = business(calendar)
    # then the night counts without a break at midnight
    assert clock.add(ny(2026, 1, 12, 23), H) == ny(2026, 1, 13, 0)
    assert clock.add(ny(2026, 1, 12, 23), 2 * H) == ny(2026, 1, 13, 1)
    assert clock.measure(ny(2026, 1, 12, 18), ny(2026, 1, 13, 12)) == 10 * H
    assert clock.is_running(ny(2026, 1, 12, 23, 59, 59, 999999))
    assert clock.is_running(ny(2026, 1, 13, 0))


# --- 24x7 ---


def test_24x7_adds_real_time_when_clocks_fall_back():
    # given Saturday 2026-10-31 23:00 EDT, when 4 h are added
    deadline = TwentyFourSevenClock().add(ny(2026, 10, 31, 23), 4 * H)
    # then 4 real hours later the wall clock shows only 3 h later: 02:00 EST
    assert deadline == datetime(2026, 11, 1, 2, tzinfo=NY)
    assert deadline.astimezone(NY).utcoffset() == timedelta(hours=-5)
    assert deadline == datetime(2026, 11, 1, 7, tzinfo=UTC)


def test_24x7_adds_real_time_when_clocks_spring_forward():
    deadline = TwentyFourSevenClock().add(ny(2026, 3, 7, 23), 4 * H)
    assert deadline == ny(2026, 3, 8, 4)
    assert deadline == datetime(2026, 3, 8, 8, tzinfo=UTC)


def test_24x7_measures_real_time_across_a_same_zone_dst_change():
    # two NY datetimes subtract by wall clock in plain Python; the clock must not
    assert TwentyFourSevenClock().measure(ny(2026, 10, 31, 23), ny(2026, 11, 1, 2)) == 4 * H


def test_24x7_zero_and_running():
    clock = TwentyFourSevenClock()
    assert clock.add(ny(2026, 1, 10, 3), timedelta(0)) == ny(2026, 1, 10, 3)
    assert clock.is_running(ny(2026, 1, 10, 3))
    assert clock.next_start(ny(2026, 1, 10, 3)) == ny(2026, 1, 10, 3)


# --- measure ---


def test_measure_friday_afternoon_to_monday_morning():
    start, end = ny(2026, 1, 9, 16), ny(2026, 1, 12, 9)
    assert business().measure(start, end) == 2 * H
    assert TwentyFourSevenClock().measure(start, end) == 65 * H


def test_measure_within_a_weekend_is_zero():
    assert business().measure(ny(2026, 1, 10, 9), ny(2026, 1, 11, 18)) == timedelta(0)


def test_measure_an_empty_span_is_zero():
    assert business().measure(ny(2026, 1, 12, 10), ny(2026, 1, 12, 10)) == timedelta(0)


# --- long spans: cost grows with days, not minutes ---


def test_2000_business_hours_matches_counting_business_days():
    # given 2,000 h = 222 whole 9-hour days and 2 h, from Monday 2026-01-05 08:00 (spans both DST changes)
    start = ny(2026, 1, 5, 8)
    business_days = [d for d in (date(2026, 1, 5) + timedelta(n) for n in range(400)) if d.weekday() < 5]
    expected = datetime.combine(business_days[222], time(10), tzinfo=NY)
    # when it is added on the business clock
    deadline = business().add(start, 2000 * H)
    # then it is 10:00 on the 223rd business day, and measuring it back gives the same 2,000 h
    assert deadline == expected
    assert business().measure(start, deadline) == 2000 * H


# --- errors ---


@pytest.mark.parametrize("clock", [TwentyFourSevenClock(), business()], ids=["24x7", "business"])
def test_naive_datetimes_are_rejected(clock: SlaClock):
    naive = datetime(2026, 1, 12, 9)
    with pytest.raises(ValueError, match="aware"):
        clock.add(naive, H)
    with pytest.raises(ValueError, match="aware"):
        clock.measure(naive, ny(2026, 1, 13, 9))
    with pytest.raises(ValueError, match="aware"):
        clock.measure(ny(2026, 1, 11, 9), naive)
    with pytest.raises(ValueError, match="aware"):
        clock.is_running(naive)
    with pytest.raises(ValueError, match="aware"):
        clock.next_start(naive)


@pytest.mark.parametrize("clock", [TwentyFourSevenClock(), business()], ids=["24x7", "business"])
def test_negative_durations_and_reversed_spans_are_rejected(clock: SlaClock):
    with pytest.raises(ValueError, match="negative"):
        clock.add(ny(2026, 1, 12, 9), -timedelta(microseconds=1))
    with pytest.raises(ValueError, match="before"):
        clock.measure(ny(2026, 1, 12, 9), ny(2026, 1, 12, 8, 59))


def test_reversed_span_is_judged_by_instant_not_wall_clock():
    # given 01:30 EDT and then 01:10 EST (20 minutes later, though earlier on the wall clock)
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NY)
    later = datetime(2026, 11, 1, 1, 10, fold=1, tzinfo=NY)
    assert TwentyFourSevenClock().measure(first, later) == timedelta(minutes=40)
    with pytest.raises(ValueError):
        TwentyFourSevenClock().measure(later, first)


def test_calendar_without_hours_fails_promptly():
    clock = business(BusinessCalendar(tz=NY, hours={}))
    with pytest.raises(ValueError, match="no working time"):
        clock.add(ny(2026, 1, 12, 9), H)
    with pytest.raises(ValueError, match="no working time"):
        clock.next_start(ny(2026, 1, 12, 9))
    # but a bounded question has an answer
    assert clock.measure(ny(2026, 1, 12, 9), ny(2036, 1, 12, 9)) == timedelta(0)
    assert not clock.is_running(ny(2026, 1, 12, 9))


def test_calendar_whose_every_working_day_is_a_holiday_fails():
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(53 * 11)]
    clock = business(BusinessCalendar(tz=NY, hours={0: ((time(8), time(17)),)}, holidays=frozenset(mondays)))
    with pytest.raises(ValueError, match="no working time"):
        clock.add(ny(2026, 1, 5, 9), H)


@pytest.mark.parametrize(
    "hours",
    [
        {0: ((time(17), time(8)),)},  # inverted (overnight must be two intervals)
        {0: ((time(8), time(8)),)},  # empty
        {0: ((time(8), time(12)), (time(11), time(17)))},  # overlapping
        {0: ((time(20), None), (time(21), time(22)))},  # overlapping an until-midnight interval
        {7: ((time(8), time(17)),)},  # no such weekday
        {0: ((time(8, tzinfo=UTC), time(17)),)},  # times are local to the calendar
    ],
)
def test_invalid_hours_are_rejected(hours):
    with pytest.raises(ValueError):
        BusinessCalendar(tz=NY, hours=hours)


def test_touching_intervals_are_allowed_and_sorted():
    calendar = BusinessCalendar(tz=NY, hours={0: [(time(12), time(17)), (time(8), time(12))]})
    assert calendar.hours[0] == ((time(8), time(12)), (time(12), time(17)))
    assert business(calendar).add(ny(2026, 1, 12, 11), 2 * H) == ny(2026, 1, 12, 13)


# --- DST edge cases in the working hours themselves ---


def test_interval_inverted_by_the_spring_forward_gap_is_skipped():
    # given Sunday hours 02:30-03:00; on 2026-03-08 02:30 does not exist and, read with fold=0 (EST),
    # it is 07:30 UTC, after 03:00 EDT (07:00 UTC)
    clock = business(BusinessCalendar(tz=NY, hours={6: ((time(2, 30), time(3)),)}))
    # then that Sunday has no working time at all
    assert clock.measure(ny(2026, 3, 8, 0), ny(2026, 3, 8, 12)) == timedelta(0)
    # and on an ordinary Sunday it has 30 minutes
    assert clock.measure(ny(2026, 3, 1, 0), ny(2026, 3, 1, 12)) == timedelta(minutes=30)


def test_interval_wholly_inside_the_gap_is_shifted_not_lost():
    # given Sunday hours 02:15-02:45: with fold=0 both ends read as EST, i.e. 03:15-03:45 EDT
    clock = business(BusinessCalendar(tz=NY, hours={6: ((time(2, 15), time(2, 45)),)}))
    assert clock.next_start(ny(2026, 3, 8, 0)) == ny(2026, 3, 8, 3, 15)
    assert clock.add(ny(2026, 3, 8, 0), timedelta(minutes=30)) == ny(2026, 3, 8, 3, 45)


def test_intervals_overlapping_in_utc_after_spring_forward_count_once():
    # given 01:00-02:30 and 03:00-04:00 on Sunday: 02:30 does not exist on 2026-03-08 and, read with
    # fold=0, it is 07:30 UTC, after 03:00 EDT (07:00 UTC)
    calendar = BusinessCalendar(tz=NY, hours={6: ((time(1), time(2, 30)), (time(3), time(4)))})
    clock = business(calendar)
    # then the real time from 01:00 EST (06:00 UTC) to 04:00 EDT (08:00 UTC) counts once: 2 h
    assert clock.measure(ny(2026, 3, 8, 0), ny(2026, 3, 8, 12)) == 2 * H
    assert clock.add(ny(2026, 3, 8, 0), 2 * H) == ny(2026, 3, 8, 4)


def test_ambiguous_opening_uses_the_first_occurrence():
    # given Sunday hours 01:30-03:00; on 2026-11-01 01:30 happens twice, fold=0 is the EDT one
    clock = business(BusinessCalendar(tz=NY, hours={6: ((time(1, 30), time(3)),)}))
    # then the interval is 05:30 UTC to 08:00 UTC: 2.5 real hours
    assert clock.measure(ny(2026, 11, 1, 0), ny(2026, 11, 1, 12)) == timedelta(hours=2, minutes=30)
    assert clock.next_start(ny(2026, 11, 1, 0)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_a_skipped_local_date_counts_once():
    # given a 7-day desk in Samoa, which skipped Friday 2011-12-30 entirely (UTC-10 to UTC+14); read with
    # fold=0 the missing Friday's 08:00-17:00 is the same real time as Saturday's 08:00-17:00
    apia = ZoneInfo("Pacific/Apia")
    clock = business(BusinessCalendar(tz=apia, hours={day: ((time(8), time(17)),) for day in range(7)}))
    # then those 9 real hours count once, whichever day the computation begins on
    assert clock.measure(datetime(2011, 12, 29, tzinfo=apia), datetime(2012, 1, 2, tzinfo=apia)) == 27 * H
    assert clock.measure(datetime(2011, 12, 31, 9, tzinfo=apia), datetime(2012, 1, 2, tzinfo=apia)) == 17 * H
    assert clock.is_running(datetime(2011, 12, 31, 10, tzinfo=apia))
    assert clock.add(datetime(2011, 12, 31, 9, tzinfo=apia), H) == datetime(2011, 12, 31, 10, tzinfo=apia)
    assert clock.add(datetime(2011, 12, 31, 9, tzinfo=apia), 9 * H) == datetime(2012, 1, 1, 9, tzinfo=apia)
