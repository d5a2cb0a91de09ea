"""The outbox's promises: nothing sent for a rolled-back change, each row sent once, failures kept."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from tickets import services
from tickets.notifications import outbox
from tickets.notifications import services as notifications
from tickets.notifications.models import Notification
from tickets.notifications.tasks import send_notifications

REPORT = {"title": "Eduroam keeps dropping", "impact": "individual", "urgency": "impaired"}


def later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(smtp, eager_tasks, customer):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_create(actor=customer, **REPORT)
        raise RuntimeError("the request failed after the ticket was written")

    assert Notification.objects.count() == 0
    assert smtp.messages == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_sent_after_commit(smtp, eager_tasks, customer):
    ticket = services.ticket_create(actor=customer, **REPORT)

    assert [m["Subject"] for m in smtp.messages] == [f"[#{ticket.pk}] We received your request: {REPORT['title']}"]


@pytest.mark.django_db
def test_a_row_dispatched_twice_is_delivered_once(smtp, customer):
    ticket = services.ticket_create(actor=customer, **REPORT)
    [pk] = Notification.objects.filter(ticket=ticket).values_list("pk", flat=True)

    assert outbox.deliver(pk) is True
    assert outbox.deliver(pk) is False
    outbox.relay(now=later(10))

    assert len(smtp.messages) == 1
    assert Notification.objects.get(pk=pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_eight_workers_racing_for_one_row_send_it_once(smtp, customer):
    ticket = services.ticket_create(actor=customer, **REPORT)
    pk = Notification.objects.get(ticket=ticket).pk
    barrier, results = threading.Barrier(8), []

    def worker():
        try:
            barrier.wait()
            results.append(outbox.deliver(pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_commit_delays_the_mail_but_does_not_lose_it(smtp, eager_tasks, customer, monkeypatch):
    def broker_unreachable(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(send_notifications, "delay", broker_unreachable)
        ticket = services.ticket_create(actor=customer, **REPORT)  # the change itself succeeds

    notification = Notification.objects.get(ticket=ticket)
    assert notification.state == "pending"
    assert smtp.messages == []

    assert outbox.relay(now=later(0)) == 0  # too fresh: its first dispatch may still be on its way
    assert outbox.relay(now=later(2)) == 1

    assert len(smtp.messages) == 1
    assert Notification.objects.get(pk=notification.pk).state == "sent"


@pytest.mark.django_db
def test_a_worker_that_died_while_sending_loses_its_claim_when_the_lease_ends(smtp, eager_tasks, customer):
    ticket = services.ticket_create(actor=customer, **REPORT)
    notification = Notification.objects.get(ticket=ticket)
    held = Notification.objects.filter(pk=notification.pk)
    held.update(state="sending", attempts=1, lease_until=later(4))

    assert outbox.deliver(notification.pk) is False  # a live worker holds it
    assert outbox.relay() == 0
    assert smtp.messages == []

    held.update(lease_until=later(-1))  # that worker was killed and its lease ran out
    assert outbox.relay() == 1

    assert len(smtp.messages) == 1
    assert Notification.objects.get(pk=notification.pk).state == "sent"


@pytest.mark.django_db
def test_a_refused_delivery_is_retried_with_backoff_then_kept_with_its_error(smtp, eager_tasks, customer, settings,
                                                                            client, admin_user):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    ticket = services.ticket_create(actor=customer, **REPORT)
    pk = Notification.objects.get(ticket=ticket).pk
    smtp.refuse = True

    assert outbox.deliver(pk) is False
    first = Notification.objects.get(pk=pk)
    assert (first.state, first.attempts) == ("pending", 1)
    assert first.last_error == "SMTP 451: 4.3.0 Mailbox temporarily unavailable"
    assert first.next_attempt_at >= later(1) - timedelta(seconds=5)
    assert outbox.deliver(pk) is False  # not due yet: no second try before the backoff ends

    for minutes in (3, 10):  # after each backoff
        moment = later(minutes)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(outbox.timezone, "now", lambda moment=moment: moment)
            outbox.deliver(pk)

    failed = Notification.objects.get(pk=pk)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert smtp.messages == []
    client.force_login(admin_user)
    page = client.get("/admin/notifications/notification/", {"state__exact": "failed"})
    assert b"SMTP 451: 4.3.0 Mailbox temporarily unavailable" in page.content

    smtp.refuse = False
    client.post("/admin/notifications/notification/", {"action": "send_again", "_selected_action": [pk]})
    outbox.deliver(pk)
    assert Notification.objects.get(pk=pk).state == "sent"
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_ticket_wakes_the_workers_once_for_all_its_mail(customer, email_service, dispatcher, monkeypatch):
    dispatched = []
    monkeypatch.setattr(send_notifications, "delay", dispatched.append)

    ticket = services.ticket_create(actor=customer, service=email_service, **REPORT)

    kinds = dict(Notification.objects.filter(ticket=ticket).values_list("pk", "kind"))
    assert sorted(kinds.values()) == ["assigned_to_group", "received"]
    assert dispatched == [sorted(kinds)]


@pytest.mark.django_db(transaction=True)
def test_many_rows_go_to_the_broker_in_batches_and_out_over_one_connection(smtp, customer, monkeypatch):
    dispatched = []
    monkeypatch.setattr(send_notifications, "delay", dispatched.append)
    ticket = services.ticket_create(actor=customer, **REPORT)
    dispatched.clear()
    count = outbox.DISPATCH_BATCH * 2 + 7
    with transaction.atomic():
        notifications.queue([
            notifications.Message(ticket_id=ticket.pk, kind="outage_update", for_customer=True,
                                  to=[f"user{i}@example.edu"], subject=f"Update {i}", body_text="Wi-Fi is back.")
            for i in range(count)
        ])
        assert dispatched == []  # nothing before commit

    assert [len(batch) for batch in dispatched] == [outbox.DISPATCH_BATCH, outbox.DISPATCH_BATCH, 7]
    assert sum(outbox.deliver_many(batch) for batch in dispatched) == count
    assert len(smtp.messages) == count
    assert len(smtp.peers) == len(dispatched)  # one SMTP session a batch, not one a message
    assert not Notification.objects.filter(kind="outage_update").exclude(state="sent").exists()


@pytest.mark.django_db
def test_a_batch_skips_rows_another_worker_holds_and_keeps_failures_for_retry(smtp, customer):
    tickets = [services.ticket_create(actor=customer, **{**REPORT, "title": f"Printer {i} jammed"}) for i in range(3)]
    held, refused, fine = (Notification.objects.get(ticket=ticket).pk for ticket in tickets)
    Notification.objects.filter(pk=held).update(state="sending", attempts=1, lease_until=later(4))

    smtp.refuse = True
    assert outbox.deliver_many([held, refused]) == 0
    smtp.refuse = False
    assert outbox.deliver_many([held, refused, fine]) == 1  # the refused one waits for its retry time

    states = dict(Notification.objects.values_list("pk", "state"))
    assert states == {held: "sending", refused: "pending", fine: "sent"}
    assert "451" in Notification.objects.get(pk=refused).last_error
    assert len(smtp.messages) == 1
