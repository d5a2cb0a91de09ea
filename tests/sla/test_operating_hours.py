"""Reports made outside a service's operating hours get the Small impact category until the hours
begin; then the ticket is re-evaluated with its real impact, its clock starting at the opening."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sla.models import Calendar, WorkingHours
from tickets import services
from tickets.models import AuditEvent
from tickets.sla_sweep import sla_reevaluate_operating_hours

NY = ZoneInfo("America/New_York")


@pytest.fixture
def sis(email_service):
    hours = Calendar.objects.create(name="SIS hours", slug="sis-hours", time_zone="America/New_York")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=hours, weekday=day, opens=time(7), closes=time(19)) for day in range(5)
    )
    email_service.operating_hours = hours
    email_service.save()
    return email_service


def test_outside_operating_hours_uses_small_then_real_impact(customer, sis):
    with time_machine.travel(datetime(2026, 11, 21, 10, 0, tzinfo=NY), tick=False):
        ticket = services.ticket_create(actor=customer, title="SIS down", impact="university",
                                        urgency="stopped_no_workaround", service=sis)
    assert (ticket.impact_category, ticket.priority, ticket.sla_small_reason) == (
        "small", "standard", "outside_operating_hours")
    assert ticket.sla_reevaluate_at == datetime(2026, 11, 23, 7, 0, tzinfo=NY)

    assert sla_reevaluate_operating_hours(now=datetime(2026, 11, 23, 6, 59, tzinfo=NY)) == 0
    with time_machine.travel(datetime(2026, 11, 23, 7, 1, tzinfo=NY), tick=False):
        assert sla_reevaluate_operating_hours() == 1

    ticket.refresh_from_db()
    assert (ticket.impact_category, ticket.priority, ticket.sla_clock, ticket.sla_small_reason) == (
        "critical", "emergency", "24x7", "")
    assert ticket.respond_by == datetime(2026, 11, 23, 7, 15, tzinfo=NY)
    assert ticket.resolve_by == datetime(2026, 11, 23, 11, 0, tzinfo=NY)
    assert ticket.sla_reevaluate_at is None
    change = AuditEvent.objects.get(ticket=ticket, field="priority")
    assert (change.old_value, change.new_value, change.channel) == ("standard", "emergency", "task")
    with time_machine.travel(datetime(2026, 11, 23, 7, 2, tzinfo=NY), tick=False):
        assert sla_reevaluate_operating_hours() == 0


def test_inside_operating_hours_uses_real_impact(customer, sis):
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=NY), tick=False):
        ticket = services.ticket_create(actor=customer, title="SIS down", impact="university",
                                        urgency="stopped_no_workaround", service=sis)
    assert (ticket.priority, ticket.sla_small_reason, ticket.sla_reevaluate_at) == ("emergency", "", None)
