"""The SLA badge: words, icon, clock label and remaining time as the server's calendar measures them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template

from sla.display import badge_for, format_duration
from tickets import services
from tickets.lifecycle import Status

NY = ZoneInfo("America/New_York")
FRIDAY_3PM = datetime(2026, 11, 20, 15, 0, tzinfo=NY)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def standard_ticket(customer):
    """Standard priority, business hours: respond within 8 working hours, resolve within 16."""
    with at(FRIDAY_3PM):
        return services.ticket_create(actor=customer, title="Printer jams", impact="individual",
                                      urgency="stopped_no_workaround")


def badge(ticket, target, moment):
    ticket.refresh_from_db()
    with at(moment):
        return badge_for(ticket, target, now=moment)


@pytest.mark.parametrize(("duration", "words"), [
    (timedelta(seconds=20), "under 1m"), (timedelta(minutes=42), "42m"), (timedelta(hours=3), "3h"),
    (timedelta(hours=3, minutes=10), "3h 10m"), (timedelta(days=1, hours=3, minutes=5), "1d 3h"),
    (timedelta(days=2), "2d"), (-timedelta(minutes=15), "15m"),
])
def test_durations_read_in_one_or_two_units(duration, words):
    assert format_duration(duration) == words


def test_a_deadline_across_the_weekend_counts_only_working_hours(standard_ticket):
    assert standard_ticket.priority == "standard"
    # Friday 15-17 is 2 h of the 8; the other 6 h fall on Monday 08-14.
    assert standard_ticket.respond_by == datetime(2026, 11, 23, 14, 0, tzinfo=NY)

    saturday = badge(standard_ticket, "respond", datetime(2026, 11, 21, 10, 0, tzinfo=NY))

    assert saturday.state == "stopped" and saturday.icon == "pause"
    assert saturday.text == "Resumes Mon 08:00 · 6h left (business hours)"
    assert saturday.clock_label == "business hours"
    assert saturday.percent == 25


def test_a_running_clock_turns_amber_past_three_quarters_and_red_when_overdue(standard_ticket):
    monday_9 = badge(standard_ticket, "respond", datetime(2026, 11, 23, 9, 0, tzinfo=NY))
    monday_1pm = badge(standard_ticket, "respond", datetime(2026, 11, 23, 13, 0, tzinfo=NY))
    monday_2_30 = badge(standard_ticket, "respond", datetime(2026, 11, 23, 14, 30, tzinfo=NY))

    assert (monday_9.state, monday_9.icon, monday_9.text) == ("on_track", "clock", "Respond in 5h")
    assert (monday_1pm.state, monday_1pm.text, monday_1pm.percent) == ("at_risk", "Respond in 1h", 87)
    assert (monday_2_30.state, monday_2_30.icon, monday_2_30.text) == (
        "breached", "cross", "Respond overdue by 30m")


def test_a_paused_badge_says_why_and_how_much_is_left(standard_ticket, technician):
    with at(datetime(2026, 11, 23, 8, 30, tzinfo=NY)):
        services.ticket_transition(ticket_id=standard_ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    with at(datetime(2026, 11, 23, 9, 0, tzinfo=NY)):
        services.ticket_transition(ticket_id=standard_ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)

    later = datetime(2026, 11, 24, 16, 0, tzinfo=NY)
    resolve = badge(standard_ticket, "resolve", later)
    respond = badge(standard_ticket, "respond", later)

    # 16 working hours from Friday 15:00, 3 used before the pause (Fri 15-17, Mon 08-09).
    assert (resolve.state, resolve.icon) == ("paused", "pause")
    assert resolve.text == "Paused: waiting on customer · 13h left"
    assert (respond.state, respond.icon, respond.text) == ("met", "tick", "Responded in 2h 30m")


def test_a_24x7_target_is_labelled_so_and_a_late_response_says_how_late(customer, technician):
    start = datetime(2026, 11, 21, 22, 0, tzinfo=NY)  # a Saturday night: the 24x7 clock runs anyway
    with at(start):
        ticket = services.ticket_create(actor=customer, title="Campus network down", impact="university",
                                        urgency="stopped_no_workaround")
    running = badge(ticket, "respond", start + timedelta(minutes=5))
    with at(start + timedelta(minutes=40)):
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    late = badge(ticket, "respond", start + timedelta(hours=1))

    assert ticket.priority == "emergency"
    assert (running.clock_label, running.text) == ("24×7", "Respond in 10m")
    assert (late.state, late.icon, late.text) == ("met_late", "cross", "Responded 25m late")


def test_the_badge_partial_carries_icon_words_and_the_exact_due_time(standard_ticket):
    standard_ticket.refresh_from_db()
    template = Template('{% load sla_tags %}{% sla_badge ticket "respond" %}')

    with at(datetime(2026, 11, 23, 9, 0, tzinfo=NY)):
        html = template.render(Context({"ticket": standard_ticket}))

    assert 'data-sla-state="on_track"' in html
    assert 'class="sla__icon" aria-hidden="true">◷' in html
    assert "Respond in 5h" in html
    assert '<time datetime="2026-11-23T14:00:00-05:00">Mon 23 Nov, 14:00</time> · business hours' in html
    assert 'title="Respond by Mon 23 Nov 2026, 14:00 EST (business hours)"' in html


def test_a_cancelled_ticket_has_no_running_target(standard_ticket, technician):
    services.ticket_transition(ticket_id=standard_ticket.pk, actor=technician, to_status=Status.CANCELLED)

    cancelled = badge(standard_ticket, "resolve", datetime(2026, 11, 23, 9, 0, tzinfo=NY))

    assert (cancelled.state, cancelled.text) == ("none", "No resolve target: cancelled")
