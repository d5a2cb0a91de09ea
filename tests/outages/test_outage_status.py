"""An outage someone is running is In Process, and its mails say the status it has when they go out."""

import pytest

from outages import services as outages
from outages.models import Audience
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification


@pytest.fixture
def raised(make_user, email_service):
    """A new outage raised by a service desk analyst; its service owner will run it."""
    owner = make_user("owner", staff=True)
    email_service.owner = owner
    email_service.save()
    analyst = make_user("analyst", staff=True)
    outage = outages.outage_raise(actor=analyst, title="Campus e-mail down", impact="university",
                                  urgency="stopped_no_workaround", service=email_service)
    assert outage.ticket.status == Status.NEW
    return outage, owner, analyst


def status_events(ticket_id: int) -> list[tuple]:
    return list(AuditEvent.objects.filter(ticket_id=ticket_id, action="status").order_by("id")
                .values_list("old_value", "new_value", "actor__username", "channel"))


def test_naming_the_incident_manager_puts_a_new_outage_in_process(raised, incident_manager):
    outage, owner, analyst = raised

    named = outages.incident_manager_set(actor=owner, outage_id=outage.pk, user=incident_manager)

    assert named.ticket.status == Status.IN_PROCESS
    ticket = Ticket.objects.get(pk=outage.ticket_id)
    assert (ticket.status, ticket.assignee, ticket.responded_at is not None) == (Status.IN_PROCESS, incident_manager,
                                                                                 True)
    assert status_events(ticket.pk) == [("new", "in_process", "owner", "api")]
    # The analyst who raised it (its requester) is not told "a technician is working on your request".
    assert ticket.requester == analyst
    assert not Notification.objects.filter(ticket=ticket, kind="in_process").exists()


def test_the_first_update_puts_a_new_outage_in_process_and_its_mail_says_so(raised, customer):
    outage, owner, analyst = raised
    outages.plan_set(actor=owner, outage_id=outage.pk, audiences=[Audience.TICKET, Audience.ITS_ALERTS],
                     cadence_minutes=60)

    first = outages.update_post(actor=owner, outage_id=outage.pk, text="Mail delivery is failing; we are on it.")
    outages.update_post(actor=owner, outage_id=outage.pk, text="The cause is identified.")

    assert Ticket.objects.get(pk=outage.ticket_id).status == Status.IN_PROCESS
    assert status_events(outage.ticket_id) == [("new", "in_process", "owner", "api")]  # once, not per update
    mails = list(Notification.objects.filter(ticket_id=outage.ticket_id, kind="outage_update").order_by("id"))
    assert sorted(tuple(mail.to) for mail in mails) == sorted([(analyst.email,), ("its-alerts@example.edu",)] * 2)
    for mail in mails:
        assert "Status: In Process" in mail.body_text and "Status: In Process" in mail.body_html
    assert first.text in mails[0].body_text


def test_the_all_clear_mail_says_resolved(raised, incident_manager):
    outage, owner, analyst = raised
    outages.incident_manager_set(actor=owner, outage_id=outage.pk, user=incident_manager)
    outages.plan_set(actor=incident_manager, outage_id=outage.pk, audiences=[Audience.TICKET, Audience.USDC_L],
                     cadence_minutes=30)

    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk,
                           all_clear="A certificate expired on the relay; it was renewed.")

    assert Ticket.objects.get(pk=outage.ticket_id).status == Status.RESOLVED
    mails = list(Notification.objects.filter(ticket_id=outage.ticket_id, kind="outage_all_clear"))
    assert sorted(mail.to[0] for mail in mails) == sorted([analyst.email, "usdc-l@example.edu"])
    for mail in mails:
        assert "Status: Resolved" in mail.body_text and "Status: Resolved" in mail.body_html
        assert "This is the last update" in mail.body_text
    assert status_events(outage.ticket_id) == [("new", "in_process", "owner", "api"),
                                               ("in_process", "resolved", "im", "api")]
