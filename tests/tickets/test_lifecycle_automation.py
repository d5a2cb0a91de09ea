"""The lifecycle automation: resolved tickets close, silent customers are reminded, then resolved or cancelled.

Time is frozen and moved across weekends; the beat tasks run twice at each step (two beats, or a
redelivered task), and the mail is received by a real SMTP server on loopback.
The default calendar is Monday-Friday 08:00-17:00 America/New_York; 3 December 2026 is a Thursday.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from outages import services as outages
from tickets import automation, services
from tickets.automation_plan import Step
from tickets.lifecycle import Status
from tickets.models import AuditEvent, ConversationEntry, Service, Ticket
from tickets.notifications.models import Notification
from tickets.tasks import close_resolved_task, follow_up_wait_customer_task

pytestmark = pytest.mark.usefixtures("eager_tasks")

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service (or a task) and let its after-commit dispatch happen, as a request or a worker would."""

    def call(action, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(**kwargs)

    return call


@pytest.fixture
def beat(run):
    """Both lifecycle tasks, twice each: what a doubled beat or a redelivery would do. Steps taken per task."""

    def tick() -> tuple[int, int]:
        closed = run(close_resolved_task) + run(close_resolved_task)
        followed = run(follow_up_wait_customer_task) + run(follow_up_wait_customer_task)
        return closed, followed

    return tick


@pytest.fixture
def report(run, customer, email_service):
    def make() -> Ticket:
        return run(services.ticket_create, actor=customer, title="Printer on floor 3 jams", impact="individual",
                   urgency="impaired", service=email_service)

    return make


def subjects(messages) -> list[str]:
    return [message["Subject"].split("] ", 1)[1].split(":")[0] for message in messages]


def text(message) -> str:
    return message.get_body(("plain",)).get_content()


def automation_events(ticket: Ticket) -> list[tuple]:
    return list(AuditEvent.objects.filter(ticket=ticket, action__in=["automation", "status"])
                .order_by("created_at", "id").values_list("action", "field", "old_value", "new_value", "actor",
                                                           "channel"))


def test_a_resolved_ticket_closes_by_itself_three_business_days_later_across_a_weekend(
        smtp, run, beat, report, customer, technician, client):
    with time_machine.travel(ny(2026, 12, 3, 15), tick=False) as clock:  # Thursday 15:00
        ticket = report()
        run(services.ticket_update, ticket_id=ticket.pk, actor=technician,
            changes={"assignee": technician, "status": Status.IN_PROCESS})
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
        ticket.refresh_from_db()
        assert ticket.status_changed_at == ny(2026, 12, 3, 15)
        assert ticket.automation_due_at == ny(2026, 12, 8, 15)  # Friday, Monday, Tuesday
        resolved_mail = smtp.to(customer.email)[-1]
        assert "If we do not hear from you within 3 business days, the request will close by itself." \
            in text(resolved_mail)
        mail_before = len(smtp.messages)

        for moment in (ny(2026, 12, 5, 12), ny(2026, 12, 7, 15), ny(2026, 12, 8, 14, 59)):  # Sat, Mon, Tue 14:59
            clock.move_to(moment)
            assert beat() == (0, 0)
            assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED

        clock.move_to(ny(2026, 12, 8, 15))
        assert beat() == (1, 0)
        assert beat() == (0, 0)

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at == ny(2026, 12, 8, 15)
    assert ticket.automation_due_at is None
    assert automation_events(ticket)[-2:] == [
        ("automation", "auto_close", "", "closed it: no answer from the customer 3 business days after it was "
                                         "resolved", None, "task"),
        ("status", "status", "resolved", "closed", None, "task"),
    ]
    # The resolved mail announced it: closing sends nothing more.
    assert len(smtp.messages) == mail_before
    assert subjects(smtp.to(customer.email)) == ["We received your request", "A technician is working on your "
                                                 "request", "Resolved, please check"]
    # The staff timeline says who closed it and why.
    client.force_login(technician)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "The system closed it: no answer from the customer 3 business days after it was resolved" in page


def test_a_silent_customer_is_reminded_then_the_ticket_is_resolved_with_a_note_then_closed(
        smtp, run, beat, report, customer, technician):
    with time_machine.travel(ny(2026, 12, 3, 10), tick=False) as clock:  # Thursday 10:00
        ticket = report()
        run(services.ticket_update, ticket_id=ticket.pk, actor=technician,
            changes={"assignee": technician, "status": Status.IN_PROCESS})
        run(services.entry_add, ticket_id=ticket.pk, actor=technician, body="Which printer model is it?")
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
        assert Ticket.objects.get(pk=ticket.pk).automation_due_at == ny(2026, 12, 7, 10)  # Friday, Monday
        before = len(smtp.messages)

        for moment in (ny(2026, 12, 4, 10), ny(2026, 12, 6, 10), ny(2026, 12, 7, 9, 59)):  # Fri, Sun, Mon 09:59
            clock.move_to(moment)
            assert beat() == (0, 0)

        clock.move_to(ny(2026, 12, 7, 10))  # Monday: the reminder, once
        assert beat() == (0, 1)
        assert beat() == (0, 0)
        ticket.refresh_from_db()
        assert ticket.status == Status.WAIT_CUSTOMER and ticket.wait_reminded_at == ny(2026, 12, 7, 10)
        assert ticket.automation_due_at == ny(2026, 12, 14, 10)  # five business days: Tue-Fri and Monday
        [reminder] = smtp.messages[before:]
        assert reminder["To"] == customer.email
        assert reminder["Subject"] == f"[#{ticket.pk}] Reminder, we need your reply: Printer on floor 3 jams"
        assert "If we do not hear from you by Mon 14 Dec 2026 10:00 EST, we will resolve the request" \
            in text(reminder)

        clock.move_to(ny(2026, 12, 12, 10))  # Saturday
        assert beat() == (0, 0)
        clock.move_to(ny(2026, 12, 14, 10))  # Monday: resolved with a public note, once
        assert beat() == (0, 1)
        assert beat() == (0, 0)
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        assert ticket.automation_due_at == ny(2026, 12, 17, 10)
        note = ConversationEntry.objects.filter(ticket=ticket).latest("id")
        assert (note.author, note.visibility, note.channel) == (None, "public", "task")
        assert note.body == ("We asked you for more information on Thu 03 Dec 2026 and have not heard back, so "
                             "we have marked this request as resolved.")
        [resolved] = smtp.messages[before + 1:]
        assert resolved["To"] == customer.email
        assert resolved["Subject"] == f"[#{ticket.pk}] Resolved, please check: Printer on floor 3 jams"
        assert note.body in text(resolved)
        assert "within 3 business days, the request will close by itself" in text(resolved)

        clock.move_to(ny(2026, 12, 17, 10))  # Thursday: three business days after the automatic resolution
        assert beat() == (1, 0)
        assert beat() == (0, 0)

    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert [(action, field, old, new) for action, field, old, new, actor, channel in automation_events(ticket)
            if actor is None][-5:] == [
        ("automation", "wait_reminder", "", "reminded the customer: no answer 2 business days after the question"),
        ("automation", "wait_expired", "", "resolved it: no answer from the customer 5 business days after the "
                                           "reminder"),
        ("status", "status", "wait_customer", "resolved"),
        ("automation", "auto_close", "", "closed it: no answer from the customer 3 business days after it was "
                                         "resolved"),
        ("status", "status", "resolved", "closed"),
    ]
    assert all(channel == "task" for *_, actor, channel in automation_events(ticket) if actor is None)
    assert AuditEvent.objects.filter(ticket=ticket, action="replied", actor=None, new_value=str(note.pk)).count() == 1
    # Two mails from the automation, both to the customer: the reminder and the resolution with its note.
    assert len(smtp.messages) == before + 2
    assert list(Notification.objects.filter(ticket=ticket, kind__in=["wait_reminder", "resolved"])
                .values_list("kind", "to")) == [("wait_reminder", [customer.email]), ("resolved", [customer.email])]


def test_the_customers_answer_after_the_reminder_stops_the_automation(smtp, run, beat, report, customer, technician):
    with time_machine.travel(ny(2026, 12, 3, 10), tick=False) as clock:
        ticket = report()
        run(services.ticket_update, ticket_id=ticket.pk, actor=technician,
            changes={"assignee": technician, "status": Status.IN_PROCESS})
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
        clock.move_to(ny(2026, 12, 7, 10))
        assert beat() == (0, 1)

        clock.move_to(ny(2026, 12, 8, 9))
        run(services.entry_add, ticket_id=ticket.pk, actor=customer, body="It is an HP LaserJet M607.")
        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROCESS and ticket.automation_due_at is None
        before = len(smtp.messages)

        for moment in (ny(2026, 12, 14, 10), ny(2026, 12, 21, 10)):
            clock.move_to(moment)
            assert beat() == (0, 0)

    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROCESS
    assert not AuditEvent.objects.filter(ticket=ticket, field="wait_expired").exists()
    assert len(smtp.messages) == before


def test_the_customer_saying_it_is_not_fixed_keeps_a_resolved_ticket_open(run, beat, report, customer,
                                                                          technician):
    with time_machine.travel(ny(2026, 12, 3, 15), tick=False) as clock:
        ticket = report()
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
        clock.move_to(ny(2026, 12, 7, 9))
        run(services.entry_add, ticket_id=ticket.pk, actor=customer, body="Still jams on page two.")
        clock.move_to(ny(2026, 12, 15, 15))
        assert beat() == (0, 0)

    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_RESPONDED and ticket.automation_due_at is None
    assert not AuditEvent.objects.filter(ticket=ticket, action="automation").exists()


def test_a_follower_answering_starts_the_count_again(run, beat, report, make_user, technician):
    follower = make_user("carol")
    with time_machine.travel(ny(2026, 12, 3, 15), tick=False) as clock:
        ticket = report()
        ticket.followers.add(follower)
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
        clock.move_to(ny(2026, 12, 7, 12))  # Monday: a follower writes; the ticket does not move
        run(services.entry_add, ticket_id=ticket.pk, actor=follower, body="Mine still jams too.")

        clock.move_to(ny(2026, 12, 8, 15))  # the original time: only the timer moves, to Thursday 12:00
        assert beat() == (0, 0)
        assert Ticket.objects.get(pk=ticket.pk).automation_due_at == ny(2026, 12, 10, 12)
        clock.move_to(ny(2026, 12, 10, 12))
        assert beat() == (1, 0)

    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_a_ticket_changed_since_it_was_picked_is_left_alone(run, report, technician):
    with time_machine.travel(ny(2026, 12, 3, 10), tick=False) as clock:
        ticket = report()
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
        clock.move_to(ny(2026, 12, 7, 10))
        row = Ticket.objects.get(pk=ticket.pk)
        picked = automation.Picked(ticket_id=row.pk, status=row.status, status_changed_at=row.status_changed_at,
                                   due_at=row.automation_due_at)
        # Between the run's read and its lock, the technician takes the ticket back and asks again.
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)

        assert automation.automation_step(picked, now=ny(2026, 12, 7, 10)) is None

    row = Ticket.objects.get(pk=ticket.pk)
    assert row.wait_reminded_at is None and row.automation_due_at == ny(2026, 12, 9, 10)
    assert not AuditEvent.objects.filter(ticket=ticket, action="automation").exists()
    assert not Notification.objects.filter(ticket=ticket, kind="wait_reminder").exists()


def test_cancel_instead_of_resolve_tells_the_customer_with_the_note(smtp, run, beat, report, customer, technician,
                                                                     settings):
    settings.WAIT_CUSTOMER_EXPIRY_ACTION = "cancel"
    with time_machine.travel(ny(2026, 12, 3, 10), tick=False) as clock:
        ticket = report()
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
        run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
        clock.move_to(ny(2026, 12, 7, 10))
        assert beat() == (0, 1)
        assert "we will close the request as cancelled" in text(smtp.messages[-1])
        before = len(smtp.messages)
        clock.move_to(ny(2026, 12, 14, 10))
        assert beat() == (0, 1)

    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED and ticket.automation_due_at is None
    assert AuditEvent.objects.get(ticket=ticket, field="wait_expired").new_value == (
        "cancelled it: no answer from the customer 5 business days after the reminder")
    [cancelled] = smtp.messages[before:]
    assert cancelled["To"] == customer.email
    assert cancelled["Subject"] == f"[#{ticket.pk}] Request closed without an answer: Printer on floor 3 jams"
    assert "so we have closed this request." in text(cancelled)


def test_a_service_sets_its_own_days_or_turns_a_step_off(smtp, run, beat, report, customer, technician,
                                                          email_service, service_desk):
    email_service.auto_close_days = 1
    email_service.save()
    printing = Service.objects.create(name="Printing", slug="printing", default_group=service_desk,
                                      auto_close_days=0)
    with time_machine.travel(ny(2026, 12, 4, 15), tick=False) as clock:  # Friday
        quick = report()
        run(services.ticket_transition, ticket_id=quick.pk, actor=technician, to_status=Status.RESOLVED)
        assert "within 1 business day, the request" in text(smtp.to(customer.email)[-1])
        never = run(services.ticket_create, actor=customer, title="Toner low", impact="individual",
                    urgency="impaired", service=printing)
        run(services.ticket_transition, ticket_id=never.pk, actor=technician, to_status=Status.RESOLVED)
        assert "close by itself" not in text(smtp.to(customer.email)[-1])

        clock.move_to(ny(2026, 12, 7, 15))  # Monday
        assert beat() == (1, 0)
        clock.move_to(ny(2026, 12, 31, 15))
        assert beat() == (0, 0)

    assert Ticket.objects.get(pk=quick.pk).status == Status.CLOSED
    never.refresh_from_db()
    assert never.status == Status.RESOLVED and never.automation_due_at is None


def test_an_outage_is_never_closed_by_it_but_its_children_are(run, beat, report, incident_manager, admin_user,
                                                               email_service):
    with time_machine.travel(ny(2026, 12, 3, 15), tick=False) as clock:
        child = report()
        outage = run(outages.outage_raise, actor=incident_manager, title="Print server down", impact="university",
                     urgency="stopped_no_workaround", service=email_service)
        run(outages.incident_manager_set, actor=admin_user, outage_id=outage.pk, user=incident_manager)
        run(outages.children_link, actor=incident_manager, outage_id=outage.pk, ticket_ids=[child.pk])
        run(outages.outage_resolve, actor=incident_manager, outage_id=outage.pk,
            all_clear="The print spooler crashed; it was restarted.")
        outage_ticket = Ticket.objects.get(pk=outage.ticket_id)
        assert outage_ticket.status == Status.RESOLVED and outage_ticket.automation_due_at is None
        assert Ticket.objects.get(pk=child.pk).automation_due_at == ny(2026, 12, 8, 15)

        clock.move_to(ny(2026, 12, 8, 15))
        assert beat() == (1, 0)
        run(outages.outage_close, actor=incident_manager, outage_id=outage.pk)

    assert Ticket.objects.get(pk=child.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=outage.ticket_id).status == Status.CLOSED
    assert not AuditEvent.objects.filter(ticket_id=outage.ticket_id, action="automation").exists()


def test_a_step_that_fails_is_logged_and_postponed_without_holding_up_the_others(run, report, technician,
                                                                                 monkeypatch, caplog):
    with time_machine.travel(ny(2026, 12, 3, 15), tick=False) as clock:
        first, second = report(), report()
        for ticket in (first, second):
            run(services.ticket_transition, ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
        real_close = automation._STEPS[Step.CLOSE]

        def close_all_but_the_first(ticket, plan, now, clocks):
            if ticket.pk == first.pk:
                raise RuntimeError("calendar unreadable")
            real_close(ticket, plan, now, clocks)

        monkeypatch.setitem(automation._STEPS, Step.CLOSE, close_all_but_the_first)
        clock.move_to(ny(2026, 12, 8, 15))
        result = automation.resolved_tickets_close()

    assert result.done == [(second.pk, Step.CLOSE)]
    assert Ticket.objects.get(pk=second.pk).status == Status.CLOSED
    failed = Ticket.objects.get(pk=first.pk)
    assert failed.status == Status.RESOLVED and failed.automation_due_at == ny(2026, 12, 8, 16)
    assert f"Lifecycle automation failed on ticket {first.pk}" in caplog.text
