"""Ticket mail through the outbox, received by a real SMTP server on loopback."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tickets import services
from tickets.models import Ticket
from tickets.notifications import outbox
from tickets.notifications.models import Notification
from tickets.sla_sweep import sla_sweep

pytestmark = pytest.mark.usefixtures("eager_tasks")


@pytest.fixture
def report(customer, email_service, django_capture_on_commit_callbacks):
    def make(**extra) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            return services.ticket_create(actor=customer, title="Cannot send mail from Outlook",
                                          description="Error 0x800CCC0E since this morning.", impact="individual",
                                          urgency="impaired", service=email_service, **extra)

    return make


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service and let its after-commit dispatch happen, as a request would."""

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


def test_the_requester_gets_a_received_mail_that_starts_the_thread(smtp, report, customer):
    ticket = report()

    [message] = smtp.to(customer.email)
    assert message["Subject"] == f"[#{ticket.pk}] We received your request: Cannot send mail from Outlook"
    assert message["To"] == customer.email
    assert message["Message-ID"] == f"<ticket-{ticket.pk}@example.edu>"
    assert message["Reply-To"] == f"servicedesk+{ticket.pk}@example.edu"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Error 0x800CCC0E since this morning." in text
    assert f"ticket #{ticket.pk}" in text and "respond by" in text
    assert "<blockquote" in html and "Error 0x800CCC0E" in html
    assert Notification.objects.get(ticket=ticket, kind="received").state == "sent"


def test_each_step_of_the_life_cycle_mails_the_requester_in_one_thread(smtp, report, run, customer, technician):
    ticket = report()
    run(services.ticket_update, ticket_id=ticket.pk, actor=technician,
        changes={"assignee": technician, "status": "in_process"})
    run(services.entry_add, ticket_id=ticket.pk, actor=technician, body="Which Outlook version do you use?")
    run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status="wait_customer")
    run(services.entry_add, ticket_id=ticket.pk, actor=customer, body="Outlook 2021")
    run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status="resolved")

    to_customer = smtp.to(customer.email)
    subjects = [m["Subject"].split("] ", 1)[1].split(":")[0] for m in to_customer]
    assert subjects == ["We received your request", "A technician is working on your request", "New reply",
                        "We need your reply", "Resolved, please check"]
    root = f"<ticket-{ticket.pk}@example.edu>"
    for message in to_customer[1:]:
        assert message["In-Reply-To"] == root and message["References"] == root
        assert message["Message-ID"] != root
    assert "Which Outlook version do you use?" in to_customer[2].get_body(("plain",)).get_content()
    assert "If it is not fixed, reply to this message" in to_customer[4].get_body(("plain",)).get_content()
    # The customer's own reply went to the technician working the ticket, not back to the customer.
    [reply] = [m for m in smtp.to(technician.email) if "New reply" in m["Subject"]]
    assert "Outlook 2021" in reply.get_body(("plain",)).get_content()


def test_assignment_mails_the_assignee_but_never_the_person_who_acted(smtp, report, run, technician, dispatcher):
    ticket = report()
    run(services.ticket_update, ticket_id=ticket.pk, actor=dispatcher, changes={"assignee": technician})
    run(services.ticket_update, ticket_id=ticket.pk, actor=dispatcher, changes={"assignee": dispatcher})

    assert [m["Subject"] for m in smtp.to(technician.email)] == [
        f"[#{ticket.pk}] Assigned to you: Cannot send mail from Outlook"
    ]
    assert not [m for m in smtp.to(dispatcher.email) if "Assigned to you" in m["Subject"]]


def test_a_new_unassigned_ticket_tells_the_groups_dispatchers(smtp, report, dispatcher, service_desk):
    ticket = report()

    [message] = smtp.to(dispatcher.email)
    assert message["Subject"] == f"[#{ticket.pk}] New in the Service Desk queue: Cannot send mail from Outlook"


def test_sla_warning_and_breach_go_to_the_assignee_once(smtp, report, run, technician, dispatcher):
    ticket = report()
    run(services.ticket_update, ticket_id=ticket.pk, actor=dispatcher, changes={"assignee": technician})
    ticket.refresh_from_db()

    with transaction.atomic():
        sla_sweep(now=ticket.respond_warn_at)
    outbox.relay(now=timezone.now() + timedelta(minutes=5))
    sla_sweep(now=ticket.respond_warn_at)  # a second sweep finds nothing new
    outbox.relay(now=timezone.now() + timedelta(minutes=5))

    warnings = [m for m in smtp.to(technician.email) if "SLA warning" in m["Subject"]]
    assert len(warnings) == 1
    assert warnings[0]["Subject"].startswith(f"[#{ticket.pk}] SLA warning, Respond By due ")
    assert not [m for m in smtp.to(dispatcher.email) if "SLA" in m["Subject"]]


def test_an_unassigned_breach_goes_to_the_groups_dispatchers(smtp, report, dispatcher):
    ticket = report()
    ticket.refresh_from_db()

    sla_sweep(now=ticket.resolve_by)
    outbox.relay(now=timezone.now() + timedelta(minutes=5))

    subjects = [m["Subject"] for m in smtp.to(dispatcher.email)]
    assert any(s.startswith(f"[#{ticket.pk}] SLA breached, Resolve By was due ") for s in subjects)
    assert any(s.startswith(f"[#{ticket.pk}] SLA breached, Respond By was due ") for s in subjects)


def test_everyone_sees_on_the_timeline_which_mail_went_out(smtp, report, run, api, customer, technician, dispatcher):
    ticket = report()
    run(services.ticket_update, ticket_id=ticket.pk, actor=dispatcher, changes={"assignee": technician})

    def mail_on_timeline(user):
        timeline = api(user).get(f"/api/v1/tickets/{ticket.pk}/timeline/").json()
        return [(item["kind"], item["to"], item["state"]) for item in timeline if item["type"] == "notification"]

    assert mail_on_timeline(customer) == [("received", [customer.email], "sent")]
    assert mail_on_timeline(technician) == [
        ("received", [customer.email], "sent"),
        ("assigned_to_group", [dispatcher.email], "sent"),
        ("assigned_to_you", [technician.email], "sent"),
    ]


def test_a_mail_tells_what_was_true_when_it_was_queued_and_the_row_keeps_what_was_sent(smtp, customer, technician,
                                                                                       email_service, monkeypatch,
                                                                                       django_capture_on_commit_callbacks):
    from tickets.notifications.tasks import send_notifications

    waiting = []
    monkeypatch.setattr(send_notifications, "delay", waiting.append)  # the worker is slow today
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(actor=customer, title="Cannot send mail from Outlook", impact="individual",
                                        urgency="impaired", service=email_service)
    received = Notification.objects.get(ticket=ticket, kind="received")
    assert received.body_text == ""  # rendered when it goes out, not in the reporter's request

    # Before the worker gets to it, the ticket is re-titled and taken on.
    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={
        "title": "Outlook: error 0x800CCC0E", "assignee": technician, "status": "in_process"})
    assert outbox.deliver_many(waiting[0]) == 1

    [message] = smtp.to(customer.email)
    text = message.get_body(("plain",)).get_content()
    assert "Cannot send mail from Outlook" in text and "Status: New" in text
    assert "0x800CCC0E" not in text and "In process" not in text
    received.refresh_from_db()
    assert received.state == "sent"
    def lines(body: str) -> list[str]:
        return [line.rstrip() for line in body.strip().splitlines()]

    assert lines(received.body_text) == lines(text) and "Cannot send mail from Outlook" in received.body_html
