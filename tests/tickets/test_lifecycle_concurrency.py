"""Four beat runs at once (a doubled beat, redeliveries): every due ticket gets its step exactly once.

Runs on both databases: PostgreSQL serialises the runs with each ticket's row lock, SQLite with its
IMMEDIATE write transactions; either way the re-check under the lock sees the first run's change.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tickets import services
from tickets.automation import resolved_tickets_close, waiting_tickets_follow_up
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification

RUNS = 4
TICKETS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_take_each_step_once(customer, technician, email_service):
    resolved, waiting = [], []
    for index in range(TICKETS):
        ticket = services.ticket_create(actor=customer, title=f"Ticket {index}", impact="individual",
                                        urgency="impaired", service=email_service)
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
        to_status = Status.RESOLVED if index % 2 else Status.WAIT_CUSTOMER
        services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=to_status)
        (resolved if index % 2 else waiting).append(ticket.pk)
    later = timezone.now() + timedelta(days=6)  # past every first step, before any wait after a reminder ends
    barrier = threading.Barrier(RUNS)
    steps: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def beat(run):
        try:
            barrier.wait()
            steps.extend(run(now=later).done)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat, args=(run,))
               for run in [resolved_tickets_close, waiting_tickets_follow_up] * (RUNS // 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(steps) == sorted([(pk, "auto_close") for pk in resolved] + [(pk, "wait_reminder") for pk in waiting])
    assert set(Ticket.objects.filter(pk__in=resolved).values_list("status", flat=True)) == {Status.CLOSED}
    assert set(Ticket.objects.filter(pk__in=waiting).values_list("status", flat=True)) == {Status.WAIT_CUSTOMER}
    assert AuditEvent.objects.filter(action="automation").count() == TICKETS
    assert AuditEvent.objects.filter(action="status", new_value="closed").count() == len(resolved)
    assert sorted(Notification.objects.filter(kind="wait_reminder").values_list("ticket_id", flat=True)) == waiting
