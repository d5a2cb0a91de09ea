"""Notifications survive an unreachable broker, a missing worker and a worker killed mid-batch.

A real worker process on the configured broker (Redis in CI, the filesystem transport otherwise)
sends through SMTP to a server on loopback in this test; every notification arrives, and none
twice beyond the one message a killed worker may have had in flight.
"""

import time
import uuid
from collections import Counter

import pytest
from kombu.exceptions import OperationalError as BrokerError

from tests.workers import delete_queue, tasks_sent_to, worker_process
from tickets import services
from tickets.notifications import outbox
from tickets.notifications.models import Notification
from tickets.notifications.tasks import send_notifications

BATCH = 60


def wait_until(condition, timeout: float, what: str, log=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s\n{log()}")


def report(customer, n: int) -> None:
    for i in range(n):
        services.ticket_create(actor=customer, title=f"Printer {i} offline", impact="individual", urgency="impaired")


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_every_notification_is_delivered_once_after_outages(smtp, customer, settings, monkeypatch, tmp_path):
    queue = f"test-outbox-{uuid.uuid4().hex[:12]}"
    settings.NOTIFICATION_REDISPATCH_SECONDS = 1
    worker_env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{settings.EMAIL_PORT}", "NOTIFICATION_LEASE_SECONDS": "2",
        "NOTIFICATION_REDISPATCH_SECONDS": "1",
    }
    log_path = tmp_path / "worker.log"

    try:
        with tasks_sent_to(queue):
            # While no worker runs, changes commit and their notifications wait in the broker.
            report(customer, BATCH)
            # While the broker cannot be reached, changes still commit; their notifications wait as rows.
            with monkeypatch.context() as patch:
                patch.setattr(send_notifications, "delay",
                              lambda *a, **k: (_ for _ in ()).throw(BrokerError("refused")))
                report(customer, BATCH)
            assert Notification.objects.filter(state="pending").count() == 2 * BATCH
            assert smtp.messages == []

            # A worker starts on the messages waiting in the broker and is killed in the middle of them.
            with worker_process(queue, log_path, **worker_env) as worker:
                wait_until(lambda: len(smtp.messages) >= BATCH // 3, 60, "the first worker sent nothing",
                           lambda: worker.log)
                worker.kill()
            in_flight = Notification.objects.filter(state="sending").count()
            sent_before_restart = len(smtp.messages)
            assert sent_before_restart < 2 * BATCH

            # A new worker, and the relay (beat's job) dispatching what the broker never had or lost.
            with worker_process(queue, log_path, **worker_env) as worker:
                def all_sent() -> bool:
                    outbox.relay()
                    return not Notification.objects.exclude(state="sent").exists()

                wait_until(all_sent, 90, "not every notification was sent", lambda: worker.log)
    finally:
        delete_queue(queue)

    message_ids = Counter(message["Message-ID"] for message in smtp.messages)
    expected = set(Notification.objects.values_list("message_id", flat=True))
    assert set(message_ids) == expected and len(expected) == 2 * BATCH
    duplicates = sum(count - 1 for count in message_ids.values())
    print(f"sent before the kill: {sent_before_restart}, in flight: {in_flight}, duplicates: {duplicates}")
    assert duplicates <= max(in_flight, 1), (duplicates, in_flight)
