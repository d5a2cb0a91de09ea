"""Resolving an outage resolves its open children in a fixed number of queries, each with every effect.

The per-ticket path (``ticket_transition`` once per child) ran about twenty queries per child; the
bulk path locks, writes and inserts for all of them at once (issue #8: 10,000 children under 5 s).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outages import services as outages
from outages.models import Outage
from tickets import services as tickets
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket, User
from tickets.notifications.models import Notification
from tickets.notifications.rendering import render
from tickets.process import process_ticket_create

pytestmark = pytest.mark.django_db

# A mix of where children stand when the all-clear comes: new, picked up, and waiting on the customer
# (a paused clock the resolution has to close).
PATHS = [[], [Status.IN_PROCESS], [Status.IN_PROCESS, Status.WAIT_CUSTOMER]]


@pytest.fixture
def raise_outage(incident_manager, admin_user, email_service, technician, make_user):
    def make(children: int, tag: str) -> Outage:
        run = outages.outage_raise(actor=incident_manager, title=f"Mail relay down {tag}", impact="university",
                                   urgency="stopped_no_workaround", service=email_service)
        outage = outages.incident_manager_set(actor=admin_user, outage_id=run.pk, user=incident_manager)
        for index in range(children):
            requester = make_user(f"{tag}-customer-{index}")
            child = process_ticket_create(actor=technician, requester=requester, title=f"No mail {tag} {index}",
                                          impact="individual", urgency="stopped_no_workaround",
                                          service=email_service, parent=outage.ticket)
            for status in PATHS[index % len(PATHS)]:
                tickets.ticket_transition(ticket_id=child.pk, actor=technician, to_status=status)
        return outage

    return make


def resolve_counting(outage: Outage, actor_id: int) -> list[str]:
    actor = User.objects.get(pk=actor_id)  # a fresh instance: no permission cache carried between calls
    with CaptureQueriesContext(connection) as queries:
        outages.outage_resolve(actor=actor, outage_id=outage.pk, all_clear="The relay was restarted.")
    return [query["sql"] for query in queries.captured_queries]


def statements(queries: list[str]) -> list[str]:
    """Each query's kind and table, with a run of the same statement (one batch after another) as one."""
    shapes = [" ".join(word for word in sql.split()[:3] if not word.startswith('"s')) for sql in queries]
    return [shape for index, shape in enumerate(shapes) if index == 0 or shapes[index - 1] != shape]


@pytest.mark.postgres
def test_the_same_queries_for_5_and_50_children(raise_outage, incident_manager):
    resolve_counting(raise_outage(1, "warm"), incident_manager.pk)  # content types, calendars: first-use caches
    small = resolve_counting(raise_outage(5, "small"), incident_manager.pk)
    large = resolve_counting(raise_outage(50, "large"), incident_manager.pk)

    if connection.vendor == "postgresql":
        assert len(small) == len(large), "\n".join(large)
    else:
        # SQLite caps the parameters of one statement (999 here), so Django cuts a bulk insert or update
        # of 50 rows into batches: the same statements, some repeated once per batch, nothing per row.
        assert statements(small) == statements(large), "\n".join(large)
        assert len(small) < len(large) <= len(small) + 6
    assert Ticket.objects.filter(parent__isnull=False).exclude(status=Status.RESOLVED).count() == 0


def test_every_child_is_resolved_with_its_audit_event_and_notification(raise_outage, incident_manager):
    outage = raise_outage(6, "fx")
    before = {t.pk: t for t in Ticket.objects.filter(parent_id=outage.ticket_id)}

    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk, all_clear="The relay was restarted.")

    for child in Ticket.objects.filter(parent_id=outage.ticket_id).select_related("requester"):
        old = before[child.pk]
        assert child.status == Status.RESOLVED
        assert child.version == old.version + 1 and child.updated_at > old.updated_at
        assert child.resolved_at is not None and child.responded_at is not None
        assert child.sla_paused and child.sla_next_check_at is None
        assert child.sla_pauses[-1]["status"] == Status.RESOLVED and child.sla_pauses[-1]["until"] is None
        if old.status == Status.WAIT_CUSTOMER:  # the customer wait ends where the resolution begins
            assert child.sla_pauses[-2]["until"] == child.sla_pauses[-1]["from"]
        events = AuditEvent.objects.filter(ticket=child, action=AuditEvent.Action.STATUS, new_value="resolved")
        assert [(e.old_value, e.actor_id) for e in events] == [(old.status, incident_manager.pk)]
        resolved = Notification.objects.filter(ticket=child, kind=Notification.Kind.RESOLVED)
        assert [n.to for n in resolved] == [[child.requester.email]]
        assert resolved[0].for_customer and resolved[0].state == Notification.State.PENDING
    # The all-clear reached every affected person, once each.
    all_clear = Notification.objects.filter(ticket_id=outage.ticket_id, kind=Notification.Kind.OUTAGE_ALL_CLEAR)
    addresses = sorted(address for n in all_clear for address in n.to)
    assert len(addresses) == len(set(addresses)) >= 6
    assert Ticket.objects.get(pk=outage.ticket_id).status == Status.RESOLVED


def test_the_bulk_notification_is_the_one_the_single_path_writes(raise_outage, incident_manager, technician,
                                                                  customer, email_service):
    outage = raise_outage(0, "twin")
    twins = [process_ticket_create(actor=technician, requester=customer, title="Twin", impact="individual",
                                   urgency="stopped_no_workaround", service=email_service,
                                   parent=outage.ticket if index else None) for index in range(2)]
    single, child = twins
    tickets.ticket_transition(ticket_id=single.pk, actor=incident_manager, to_status=Status.RESOLVED)
    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk, all_clear="Fixed.")

    one, bulk = (Notification.objects.get(ticket=t, kind=Notification.Kind.RESOLVED) for t in twins)
    for row in (one, bulk):  # what the worker will send
        row.body_text, row.body_html = render(row)
    assert "Status: Resolved" in one.body_text
    for field in ("to", "for_customer", "state", "reply_to", "in_reply_to", "references", "subject", "body_text",
                  "body_html"):
        expected = getattr(one, field)
        if isinstance(expected, str):
            expected = expected.replace(f"#{single.pk}", f"#{child.pk}").replace(f"+{single.pk}@", f"+{child.pk}@") \
                .replace(f"ticket-{single.pk}@", f"ticket-{child.pk}@").replace(f"/{single.pk}/", f"/{child.pk}/")
        assert getattr(bulk, field) == expected, field
    # And the SLA fields the two paths computed for the same ticket and the same moment agree.
    one_ticket, bulk_ticket = (Ticket.objects.get(pk=t.pk) for t in twins)
    for field in ("status", "priority", "sla_paused", "respond_breached", "resolve_breached", "sla_next_check_at"):
        assert getattr(one_ticket, field) == getattr(bulk_ticket, field), field
