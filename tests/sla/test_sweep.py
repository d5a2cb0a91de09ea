"""The SLA sweep marks each 75 % warning and 100 % breach once, touching only tickets that are due."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import AuditEvent, Ticket
from tickets.sla_sweep import sla_sweep

NY = ZoneInfo("America/New_York")
START = datetime(2026, 11, 23, 9, 0, tzinfo=NY)  # a Monday


def _emergency(customer):
    with time_machine.travel(START, tick=False):
        return services.ticket_create(actor=customer, title="Campus network down", impact="university",
                                      urgency="stopped_no_workaround")


def _marks(ticket):
    return list(AuditEvent.objects.filter(ticket=ticket, action="sla").order_by("id").values_list("field", flat=True))


def test_thresholds_are_marked_in_order_and_once(customer):
    ticket = _emergency(customer)  # respond 15 min, resolve 4 h
    assert ticket.respond_warn_at == START + timedelta(minutes=11, seconds=15)
    assert ticket.sla_next_check_at == ticket.respond_warn_at

    assert sla_sweep(now=START + timedelta(minutes=11)).marked == []
    assert sla_sweep(now=START + timedelta(minutes=12)).marked == [(ticket.pk, "respond_warned")]
    assert sla_sweep(now=START + timedelta(minutes=12)).marked == []
    assert sla_sweep(now=START + timedelta(minutes=16)).marked == [(ticket.pk, "respond_breached")]
    assert sla_sweep(now=START + timedelta(hours=3, minutes=1)).marked == [(ticket.pk, "resolve_warned")]
    assert sla_sweep(now=START + timedelta(hours=5)).marked == [(ticket.pk, "resolve_breached")]
    assert sla_sweep(now=START + timedelta(hours=6)).examined == 0

    ticket.refresh_from_db()
    assert (ticket.respond_breached, ticket.resolve_breached, ticket.sla_next_check_at) == (True, True, None)
    assert _marks(ticket) == ["respond_warned", "respond_breached", "resolve_warned", "resolve_breached"]


def test_a_late_sweep_marks_every_passed_threshold_at_once(customer):
    _emergency(customer)
    result = sla_sweep(now=START + timedelta(hours=5))
    assert sorted(flag for _, flag in result.marked) == sorted(
        ["respond_warned", "respond_breached", "resolve_warned", "resolve_breached"]
    )


def test_responded_ticket_gets_no_respond_breach(customer, technician):
    ticket = _emergency(customer)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status="in_process")
    result = sla_sweep(now=START + timedelta(minutes=30))
    assert result.marked == []
    ticket.refresh_from_db()
    assert ticket.sla_next_check_at == START + timedelta(hours=3)


def test_paused_ticket_is_not_breached_while_paused(customer, technician):
    ticket = _emergency(customer)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status="in_process")
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status="wait_vendor")

    assert sla_sweep(now=START + timedelta(hours=10)).marked == []
    ticket.refresh_from_db()
    assert ticket.resolve_breached is False


def test_sweep_twice_concurrently_marks_once(customer):
    ticket = _emergency(customer)
    now = START + timedelta(hours=5)
    first, second = sla_sweep(now=now), sla_sweep(now=now)
    assert len(first.marked) == 4 and second.marked == []
    assert len(_marks(ticket)) == 4


@pytest.mark.django_db
def test_sweep_touches_only_the_due_tickets_among_thousands(customer, django_assert_max_num_queries):
    with time_machine.travel(START, tick=False):
        template = services.ticket_create(actor=customer, title="Printer", impact="individual", urgency="impaired")
    # 3,000 open tickets whose next threshold is days away, copied in bulk from one real one.
    fields = {f.attname: getattr(template, f.attname) for f in Ticket._meta.concrete_fields if f.attname != "id"}
    Ticket.objects.bulk_create([Ticket(**fields) for _ in range(3000)], batch_size=500)
    due = [_emergency(customer) for _ in range(5)]
    now = START + timedelta(minutes=12)

    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep(now=now)

    assert result.examined == 5
    assert sorted(pk for pk, _ in result.marked) == sorted(t.pk for t in due)
    # One select for the batch, then a constant handful of statements per due ticket.
    assert len(queries) <= 2 + 5 * 4
    assert Ticket.objects.filter(respond_warned=True).count() == 5


def test_a_batch_where_some_flags_are_already_set_records_every_other_one(customer):
    # A recomputation can leave a ticket due whose flag is already set; the rest of the batch must still be
    # claimed and recorded, each exactly once.
    already, fresh = _emergency(customer), _emergency(customer)
    Ticket.objects.filter(pk=already.pk).update(respond_warned=True)

    result = sla_sweep(now=START + timedelta(minutes=12))

    assert result.marked == [(fresh.pk, "respond_warned")]
    assert _marks(already) == [] and _marks(fresh) == ["respond_warned"]
    assert Ticket.objects.get(pk=already.pk).sla_next_check_at == already.respond_by
