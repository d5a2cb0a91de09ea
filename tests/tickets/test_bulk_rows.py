"""itsm.bulk writes exactly the rows Django's bulk_create and bulk_update would write."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from itsm import bulk
from tickets import services
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification

pytestmark = pytest.mark.django_db

REPORT = {"title": "Café Wi-Fi — “eduroam” drops", "impact": "individual", "urgency": "impaired"}


def notification(ticket, n: int, now) -> Notification:
    return Notification(ticket=ticket, kind=Notification.Kind.RESOLVED, for_customer=bool(n % 2),
                        to=[f"user{n}@example.edu", "Zoë <zoe@example.edu>"], subject=f"[#{ticket.pk}] Ré: {n}",
                        context={"ticket": {"title": ticket.title, "assignee": None}, "n": n, "list": [1, "två"]},
                        message_id=f"<bulk-{n}-{id(ticket)}@example.edu>", created_at=now, next_attempt_at=now)


def rows(model, pks) -> list[dict]:
    return [{key: value for key, value in model_to_dict(row).items() if key not in ("id", "message_id")}
            for row in model.objects.filter(pk__in=pks).order_by("pk")]


def test_inserted_rows_are_the_ones_bulk_create_writes_and_get_their_keys(customer):
    ticket = services.ticket_create(actor=customer, **REPORT)
    now = timezone.now()
    ours, django = [notification(ticket, n, now) for n in range(3)], [notification(ticket, n, now) for n in range(3)]
    for index, message in enumerate(django):
        message.message_id = f"<django-{index}@example.edu>"

    bulk.insert_many(ours)
    Notification.objects.bulk_create(django)

    assert all(message.pk for message in ours) and len({message.pk for message in ours}) == 3
    assert [Notification.objects.get(pk=message.pk).subject for message in ours] == [m.subject for m in ours]
    assert rows(Notification, [m.pk for m in ours]) == rows(Notification, [m.pk for m in django])

    events = [AuditEvent(ticket=ticket, actor=None, channel="api", action=AuditEvent.Action.STATUS, field="status",
                         old_value="new", new_value=f"résolu {n}", created_at=timezone.now()) for n in range(2)]
    bulk.insert_many(events)
    assert [e.new_value for e in AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk")] == [
        "résolu 0", "résolu 1"]


def test_updated_fields_read_back_as_written_and_the_others_stay(customer):
    tickets = [services.ticket_create(actor=customer, **{**REPORT, "title": f"Printer {n}"}) for n in range(3)]
    later = timezone.now() + timedelta(hours=3)
    for n, ticket in enumerate(tickets):
        ticket.status, ticket.sla_paused, ticket.version = "in_process", bool(n % 2), ticket.version + 1
        ticket.resolve_by, ticket.sla_pauses = later, [{"status": "wait_customer", "from": "x", "until": None}]
        ticket.title = "not written"

    bulk.update_many(tickets, ["status", "sla_paused", "version", "resolve_by", "sla_pauses"])

    for n, ticket in enumerate(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk")):
        assert (ticket.status, ticket.sla_paused, ticket.version) == ("in_process", bool(n % 2), 2)
        assert ticket.resolve_by == later and ticket.sla_pauses[0]["until"] is None
        assert ticket.title == f"Printer {n}"
