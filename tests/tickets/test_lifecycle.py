"""Every allowed and every refused status transition, through the one service all channels use."""

import itertools

import pytest

from tickets import services
from tickets.errors import InvalidTransition, NotAllowed
from tickets.lifecycle import TRANSITIONS, Status, allowed_next
from tickets.models import AuditEvent, Ticket

# How to bring a new ticket to each status through allowed moves.
PATH_TO = {
    Status.NEW: [],
    Status.IN_PROCESS: [Status.IN_PROCESS],
    Status.WAIT_CUSTOMER: [Status.IN_PROCESS, Status.WAIT_CUSTOMER],
    Status.WAIT_VENDOR: [Status.IN_PROCESS, Status.WAIT_VENDOR],
    Status.RESOLVED: [Status.IN_PROCESS, Status.RESOLVED],
    Status.CUSTOMER_RESPONDED: [Status.IN_PROCESS, Status.RESOLVED, Status.CUSTOMER_RESPONDED],
    Status.CLOSED: [Status.IN_PROCESS, Status.RESOLVED, Status.CLOSED],
    Status.CANCELLED: [Status.CANCELLED],
}

ALL_PAIRS = list(itertools.product(Status, Status))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def _ticket_in(status, *, requester, staff):
    ticket = services.ticket_create(actor=requester, title="Printer jams", impact="individual", urgency="impaired")
    for step in PATH_TO[status]:
        ticket = services.ticket_transition(ticket_id=ticket.pk, actor=staff, to_status=step)
    assert ticket.status == status
    return ticket


def test_the_machine_matches_the_process():
    assert allowed_next("new") == ["in_process", "resolved", "cancelled"]
    assert allowed_next("in_process") == ["wait_customer", "wait_vendor", "resolved", "cancelled"]
    assert allowed_next("wait_customer") == ["in_process", "resolved", "cancelled"]
    assert allowed_next("wait_vendor") == ["in_process", "resolved", "cancelled"]
    assert allowed_next("resolved") == ["customer_responded", "closed"]
    assert allowed_next("customer_responded") == ["in_process", "resolved", "cancelled"]
    assert allowed_next("closed") == []
    assert allowed_next("cancelled") == []
    assert len(ALLOWED) == 18


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_transition_is_applied_and_audited(current, target, customer, technician):
    ticket = _ticket_in(current, requester=customer, staff=technician)
    events_before = AuditEvent.objects.filter(ticket=ticket).count()

    ticket = services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=target)

    ticket.refresh_from_db()
    assert ticket.status == target
    last = AuditEvent.objects.filter(ticket=ticket).order_by("id").last()
    assert (last.action, last.field, last.old_value, last.new_value) == ("status", "status", current, target)
    assert last.actor == technician
    assert AuditEvent.objects.filter(ticket=ticket).count() == events_before + 1


@pytest.mark.parametrize(("current", "target"), REFUSED, ids=[f"{a}->{b}" for a, b in REFUSED])
def test_refused_transition_names_allowed_statuses_and_changes_nothing(current, target, customer, technician):
    ticket = _ticket_in(current, requester=customer, staff=technician)
    before = Ticket.objects.values().get(pk=ticket.pk)
    events_before = AuditEvent.objects.filter(ticket=ticket).count()

    with pytest.raises(InvalidTransition) as refused:
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=target)

    assert refused.value.allowed == allowed_next(current)
    for status in allowed_next(current):
        assert status in str(refused.value)
    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert AuditEvent.objects.filter(ticket=ticket).count() == events_before


def test_unknown_status_is_refused(customer, technician):
    ticket = _ticket_in(Status.NEW, requester=customer, staff=technician)
    with pytest.raises(InvalidTransition):
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status="on_hold")


@pytest.mark.parametrize("current", [Status.NEW, Status.IN_PROCESS, Status.WAIT_CUSTOMER, Status.WAIT_VENDOR,
                                     Status.CUSTOMER_RESPONDED])
def test_customer_can_withdraw_unresolved_ticket(current, customer, technician):
    ticket = _ticket_in(current, requester=customer, staff=technician)
    ticket = services.ticket_transition(ticket_id=ticket.pk, actor=customer, to_status=Status.CANCELLED)
    assert ticket.status == Status.CANCELLED


@pytest.mark.parametrize("answer", [Status.CLOSED, Status.CUSTOMER_RESPONDED])
def test_customer_answers_on_resolved_ticket(answer, customer, technician):
    ticket = _ticket_in(Status.RESOLVED, requester=customer, staff=technician)
    ticket = services.ticket_transition(ticket_id=ticket.pk, actor=customer, to_status=answer)
    assert ticket.status == answer


@pytest.mark.parametrize(("current", "target"), [
    (Status.NEW, Status.IN_PROCESS),
    (Status.IN_PROCESS, Status.WAIT_CUSTOMER),
    (Status.IN_PROCESS, Status.RESOLVED),
    (Status.CUSTOMER_RESPONDED, Status.IN_PROCESS),
])
def test_customer_cannot_do_staff_moves(current, target, customer, technician):
    ticket = _ticket_in(current, requester=customer, staff=technician)
    with pytest.raises(NotAllowed):
        services.ticket_transition(ticket_id=ticket.pk, actor=customer, to_status=target)
    ticket.refresh_from_db()
    assert ticket.status == current


def test_customer_cannot_withdraw_resolved_ticket(customer, technician):
    ticket = _ticket_in(Status.RESOLVED, requester=customer, staff=technician)
    with pytest.raises(InvalidTransition) as refused:
        services.ticket_transition(ticket_id=ticket.pk, actor=customer, to_status=Status.CANCELLED)
    assert refused.value.allowed == ["customer_responded", "closed"]


def test_closing_records_closed_at(customer, technician):
    ticket = _ticket_in(Status.CLOSED, requester=customer, staff=technician)
    assert ticket.closed_at is not None


def test_requester_reply_puts_wait_customer_ticket_back_in_process(customer, technician):
    ticket = _ticket_in(Status.WAIT_CUSTOMER, requester=customer, staff=technician)

    services.entry_add(ticket_id=ticket.pk, actor=customer, body="Here is the error message you asked for.")

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROCESS
    status_event = AuditEvent.objects.filter(ticket=ticket, action="status").order_by("id").last()
    assert (status_event.old_value, status_event.new_value, status_event.actor) == ("wait_customer", "in_process", None)
