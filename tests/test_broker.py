"""A real Celery worker process runs a task sent through the configured broker (not eager mode).

The broker is Redis when REDIS_URL is set, otherwise the filesystem transport under var/. The
worker is pointed at the test database, and the test watches the task's effect there: the SLA
sweep marking a threshold that is already due.
"""

import re
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from itsm.celery import app
from tests.workers import delete_queue, worker_process
from tickets import services
from tickets.models import AuditEvent, Ticket


@pytest.mark.broker
# Committed for real, so that the worker process sees the ticket.
@pytest.mark.django_db(transaction=True)
def test_worker_process_runs_the_sweep_sent_through_the_broker(customer, tmp_path):
    # Given a committed ticket whose 15-minute respond target passed half an hour ago
    with time_machine.travel(timezone.now() - timedelta(minutes=45), tick=False):
        ticket = services.ticket_create(actor=customer, title="Campus network down", impact="university",
                                        urgency="stopped_no_workaround")
    assert ticket.sla_next_check_at < timezone.now()

    # and a worker process on a queue of its own, on the same broker and the same database
    queue = f"test-broker-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    try:
        with worker_process(queue, log_path) as worker:
            # When the sweep is sent through the broker (send_task never runs a task eagerly)
            app.send_task("sla.sweep", queue=queue)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and worker.process.poll() is None:
                if "succeeded" in worker.log and Ticket.objects.filter(pk=ticket.pk, respond_breached=True):
                    break
                time.sleep(0.2)
    finally:
        delete_queue(queue)
    log = log_path.read_text()

    # Then the worker marked the warning and the breach, in the test's database, and said so
    ticket.refresh_from_db()
    assert ticket.respond_breached is True, f"the worker did not run the sweep within 30 s:\n{log}"
    marks = AuditEvent.objects.filter(ticket=ticket, action=AuditEvent.Action.SLA).values_list("field", flat=True)
    assert sorted(marks) == ["respond_breached", "respond_warned"]
    assert re.search(r"Task sla\.sweep\[[0-9a-f-]+\] succeeded in [0-9.]+s: 2\b", log), log
