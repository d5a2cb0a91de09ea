"""Worked examples: every priority on both clocks, to the minute, through the ticket services.

Instants are New York wall-clock times; each assertion compares exact instants.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sla.models import Calendar, Holiday
from tickets import services

NY = ZoneInfo("America/New_York")

# (impact, urgency) giving each priority
EMERGENCY = ("university", "stopped_no_workaround")
HIGH = ("multiple_departments", "stopped_no_workaround")
STANDARD = ("individual", "stopped_no_workaround")
SCHEDULED = ("individual", "impaired")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def clock():
    travellers = []

    def at(instant: datetime):
        traveller = time_machine.travel(instant, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield at
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def open_ticket(customer, clock):
    def make(cell, at: datetime, **extra):
        clock(at)
        impact, urgency = cell
        return services.ticket_create(actor=customer, title="Example", impact=impact, urgency=urgency, **extra)

    return make


@pytest.fixture
def move(technician, clock):
    def to(ticket, status, at: datetime):
        clock(at)
        return services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=status)

    return to


FRIDAY_AFTERNOON = [
    (EMERGENCY, "emergency", "24x7", ny(2026, 11, 20, 15, 15), ny(2026, 11, 20, 19, 0)),
    (HIGH, "high", "24x7", ny(2026, 11, 20, 16, 0), ny(2026, 11, 20, 23, 0)),
    # 2 h on Friday, 6 h on Monday; resolve: 2 + 9 + 5
    (STANDARD, "standard", "business_hours", ny(2026, 11, 23, 14, 0), ny(2026, 11, 24, 13, 0)),
    # resolve 32 h: 2 (Fri) + 9 (Mon) + 9 (Tue) + 9 (Wed) + 3 (Thu)
    (SCHEDULED, "scheduled", "business_hours", ny(2026, 11, 23, 14, 0), ny(2026, 11, 26, 11, 0)),
]


@pytest.mark.parametrize("cell, priority, clock_name, respond_by, resolve_by", FRIDAY_AFTERNOON)
def test_friday_afternoon_ticket(open_ticket, cell, priority, clock_name, respond_by, resolve_by):
    ticket = open_ticket(cell, ny(2026, 11, 20, 15, 0))
    assert (ticket.priority, ticket.sla_clock) == (priority, clock_name)
    assert (ticket.respond_by, ticket.resolve_by) == (respond_by, resolve_by)


SATURDAY = [
    (EMERGENCY, ny(2026, 11, 21, 10, 15), ny(2026, 11, 21, 14, 0)),
    (HIGH, ny(2026, 11, 21, 11, 0), ny(2026, 11, 21, 18, 0)),
    # The business clock starts Monday 08:00. Respond: 8 h of Monday; resolve 16 h: 9 (Mon) + 7 (Tue)
    (STANDARD, ny(2026, 11, 23, 16, 0), ny(2026, 11, 24, 15, 0)),
    # resolve 32 h: 9 (Mon) + 9 (Tue) + 9 (Wed) + 5 (Thu)
    (SCHEDULED, ny(2026, 11, 23, 16, 0), ny(2026, 11, 26, 13, 0)),
]


@pytest.mark.parametrize("cell, respond_by, resolve_by", SATURDAY)
def test_saturday_ticket(open_ticket, cell, respond_by, resolve_by):
    ticket = open_ticket(cell, ny(2026, 11, 21, 10, 0))
    assert (ticket.respond_by, ticket.resolve_by) == (respond_by, resolve_by)


def test_ticket_opened_before_eight_starts_at_opening(open_ticket):
    ticket = open_ticket(STANDARD, ny(2026, 11, 24, 6, 30))
    # resolve 16 h: 9 (Tue) + 7 (Wed)
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 24, 16, 0), ny(2026, 11, 25, 15, 0))


def test_ticket_opened_at_seventeen_sharp_starts_next_morning(open_ticket):
    ticket = open_ticket(SCHEDULED, ny(2026, 11, 24, 17, 0))
    # resolve 32 h: 9 (Wed) + 9 (Thu) + 9 (Fri) + 5 (Mon)
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 25, 16, 0), ny(2026, 11, 30, 13, 0))


def test_deadline_using_the_last_working_minute_falls_at_closing(open_ticket):
    ticket = open_ticket(STANDARD, ny(2026, 11, 24, 9, 0))
    # 8 h from 09:00 ends at 17:00 the same day, not at Wednesday's opening; resolve: 8 + 8 (Wed)
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 24, 17, 0), ny(2026, 11, 25, 16, 0))


def test_high_ticket_at_seventeen_sharp_runs_through_the_night(open_ticket):
    ticket = open_ticket(HIGH, ny(2026, 11, 24, 17, 0))
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 24, 18, 0), ny(2026, 11, 25, 1, 0))


def test_holiday_is_skipped(open_ticket):
    Holiday.objects.create(calendar=Calendar.objects.get(is_default=True), date="2026-11-26", name="Thanksgiving")
    ticket = open_ticket(STANDARD, ny(2026, 11, 25, 13, 0))
    # 4 h Wednesday, Thursday off, then Friday; resolve: 4 + 9 (Fri) + 3 (Mon)
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 27, 12, 0), ny(2026, 11, 30, 11, 0))


def test_holiday_does_not_stop_a_24x7_clock(open_ticket):
    Holiday.objects.create(calendar=Calendar.objects.get(is_default=True), date="2026-11-26", name="Thanksgiving")
    ticket = open_ticket(HIGH, ny(2026, 11, 26, 9, 0))
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 26, 10, 0), ny(2026, 11, 26, 17, 0))


def test_dst_weekend_on_the_business_clock(open_ticket):
    # Clocks fall back on Sunday 1 November; business hours stay 08:00–17:00 local.
    ticket = open_ticket(STANDARD, ny(2026, 10, 30, 13, 0))
    assert ticket.respond_by == ny(2026, 11, 2, 12, 0)
    assert ticket.resolve_by == ny(2026, 11, 3, 11, 0)
    assert ticket.respond_by.utcoffset() is not None


def test_dst_night_on_the_24x7_clock(open_ticket):
    # 23:00 EDT + 4 real hours is 02:00 EST: the wall clock shows only three hours later.
    ticket = open_ticket(EMERGENCY, ny(2026, 10, 31, 23, 0))
    assert ticket.respond_by == ny(2026, 10, 31, 23, 15)
    assert ticket.resolve_by == datetime(2026, 11, 1, 7, 0, tzinfo=ZoneInfo("UTC"))
    assert ticket.resolve_by.astimezone(NY).strftime("%H:%M %Z") == "02:00 EST"


def test_spring_forward_on_the_24x7_clock(open_ticket):
    ticket = open_ticket(HIGH, ny(2026, 3, 7, 23, 0))
    assert ticket.resolve_by.astimezone(NY).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 08:00 EDT"


def test_wait_vendor_over_a_night_on_the_24x7_clock(open_ticket, move):
    ticket = open_ticket(HIGH, ny(2026, 11, 23, 9, 0))
    move(ticket, "in_process", ny(2026, 11, 23, 9, 30))
    paused = move(ticket, "wait_vendor", ny(2026, 11, 23, 10, 0))
    assert paused.sla_paused is True
    assert paused.sla_next_check_at is None

    resumed = move(ticket, "in_process", ny(2026, 11, 24, 9, 0))

    # 23 hours paused: Resolve By moves from Monday 17:00 to Tuesday 16:00.
    assert resumed.sla_paused is False
    assert resumed.resolve_by == ny(2026, 11, 24, 16, 0)
    assert resumed.respond_by == ny(2026, 11, 23, 10, 0)
    assert resumed.responded_at == ny(2026, 11, 23, 9, 30)
    assert resumed.respond_breached is False


def test_wait_vendor_over_a_night_on_the_business_clock(open_ticket, move):
    ticket = open_ticket(STANDARD, ny(2026, 11, 23, 9, 0))
    assert ticket.resolve_by == ny(2026, 11, 24, 16, 0)
    move(ticket, "in_process", ny(2026, 11, 23, 9, 30))
    move(ticket, "wait_vendor", ny(2026, 11, 23, 16, 0))

    resumed = move(ticket, "in_process", ny(2026, 11, 24, 10, 0))

    # Paused 1 business hour on Monday and 2 on Tuesday: Tuesday 16:00 + 3 h = Wednesday 10:00.
    assert resumed.resolve_by == ny(2026, 11, 25, 10, 0)


def test_reopen_after_resolve_moves_resolve_by_by_the_resolved_time(open_ticket, move):
    ticket = open_ticket(STANDARD, ny(2026, 11, 23, 9, 0))
    move(ticket, "in_process", ny(2026, 11, 23, 10, 0))
    resolved = move(ticket, "resolved", ny(2026, 11, 23, 15, 0))
    assert resolved.resolved_at == ny(2026, 11, 23, 15, 0)
    assert resolved.sla_paused is True and resolved.resolve_breached is False

    reopened = move(ticket, "customer_responded", ny(2026, 11, 24, 11, 0))

    # Resolved for 2 h on Monday and 3 h on Tuesday: Tuesday 16:00 + 5 h = Wednesday 12:00.
    assert reopened.resolve_by == ny(2026, 11, 25, 12, 0)
    assert reopened.resolved_at is None
    assert reopened.sla_paused is False
    assert reopened.sla_next_check_at is not None


def test_reprioritisation_recomputes_from_the_original_start(open_ticket, technician, clock):
    ticket = open_ticket(STANDARD, ny(2026, 11, 23, 9, 0))
    clock(ny(2026, 11, 23, 10, 0))

    ticket = services.ticket_update(ticket_id=ticket.pk, actor=technician,
                                    changes={"impact": "university"})

    assert (ticket.priority, ticket.sla_clock) == ("emergency", "24x7")
    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 23, 9, 15), ny(2026, 11, 23, 13, 0))


def test_reprioritisation_less_the_time_already_paused_on_the_new_clock(open_ticket, move, technician, clock):
    ticket = open_ticket(HIGH, ny(2026, 11, 23, 9, 0))
    move(ticket, "in_process", ny(2026, 11, 23, 9, 10))
    move(ticket, "wait_customer", ny(2026, 11, 23, 10, 0))
    move(ticket, "in_process", ny(2026, 11, 23, 12, 0))
    clock(ny(2026, 11, 23, 13, 0))

    ticket = services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"urgency": "impaired",
                                                                                     "impact": "department"})

    # Standard from Monday 09:00: 16 business hours is Tuesday 16:00, plus the 2 business hours
    # paused on Monday morning: 1 h on Tuesday and 1 h on Wednesday.
    assert (ticket.priority, ticket.sla_clock) == ("standard", "business_hours")
    assert ticket.resolve_by == ny(2026, 11, 25, 9, 0)


def test_late_response_is_a_breach_that_stays(open_ticket, move, technician, clock):
    ticket = open_ticket(EMERGENCY, ny(2026, 11, 23, 9, 0))
    late = move(ticket, "in_process", ny(2026, 11, 23, 9, 20))
    assert late.respond_breached is True

    clock(ny(2026, 11, 23, 9, 30))
    downgraded = services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"impact": "individual"})
    assert downgraded.priority == "standard"
    assert downgraded.respond_breached is True


def test_resolving_before_response_counts_as_responded(open_ticket, move):
    ticket = open_ticket(HIGH, ny(2026, 11, 23, 9, 0))
    resolved = move(ticket, "resolved", ny(2026, 11, 23, 9, 40))
    assert resolved.responded_at == ny(2026, 11, 23, 9, 40)
    assert (resolved.respond_breached, resolved.resolve_breached) == (False, False)


def test_late_resolution_is_a_breach(open_ticket, move):
    ticket = open_ticket(HIGH, ny(2026, 11, 23, 9, 0))
    move(ticket, "in_process", ny(2026, 11, 23, 9, 30))
    resolved = move(ticket, "resolved", ny(2026, 11, 23, 17, 1))
    assert (resolved.respond_breached, resolved.resolve_breached) == (False, True)


def test_service_calendar_is_used(open_ticket, email_service):
    from datetime import time

    from sla.models import WorkingHours

    weekend_desk = Calendar.objects.create(name="Seven days", slug="seven-days", time_zone="America/New_York")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=weekend_desk, weekday=day, opens=time(9), closes=time(21)) for day in range(7)
    )
    email_service.calendar = weekend_desk
    email_service.save()

    ticket = open_ticket(STANDARD, ny(2026, 11, 21, 10, 0), service=email_service)

    assert (ticket.respond_by, ticket.resolve_by) == (ny(2026, 11, 21, 18, 0), ny(2026, 11, 22, 14, 0))
