"""A reply moves its ticket the same way whichever door it comes through: e-mail, the portal or the API
(the rule is ``tickets.lifecycle.reply_move``)."""

import pytest
from rest_framework.test import APIClient

from tickets import services
from tickets.intake.email_intake import receive_email
from tickets.lifecycle import FOLLOW_UP, Status, reply_move
from tickets.models import AuditEvent, ConversationEntry, Ticket


def api_reply(user, ticket: Ticket, body: str):
    api = APIClient()
    api.force_authenticate(user)
    return api.post(f"/api/v1/tickets/{ticket.pk}/entries/", {"body": body}, format="json")


def portal_reply(client, user, ticket: Ticket, body: str):
    client.force_login(user)
    return client.post(f"/portal/requests/{ticket.pk}/reply/", {"body": body})


def mail_reply(user, ticket: Ticket, body: str):
    raw = (f"From: {user.email}\r\nTo: servicedesk@example.edu\r\nSubject: Re: [#{ticket.pk}] VPN\r\n"
           f"Message-ID: <reply-{ticket.pk}-{ticket.status}@example.edu>\r\n\r\n{body}\r\n").encode()
    return receive_email(raw)


@pytest.fixture
def report(customer, technician, email_service):
    def make(status: str) -> Ticket:
        ticket = services.ticket_create(actor=customer, title="VPN drops", impact="individual", urgency="impaired",
                                        service=email_service)
        path = {Status.WAIT_CUSTOMER: [Status.IN_PROCESS, Status.WAIT_CUSTOMER],
                Status.RESOLVED: [Status.IN_PROCESS, Status.RESOLVED],
                Status.CLOSED: [Status.IN_PROCESS, Status.RESOLVED, Status.CLOSED]}[status]
        for step in path:
            ticket = services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=step)
        return ticket
    return make


@pytest.mark.parametrize("door", ["api", "mail", "service"])
@pytest.mark.parametrize("status, moved_to", [(Status.WAIT_CUSTOMER, Status.IN_PROCESS),
                                              (Status.RESOLVED, Status.CUSTOMER_RESPONDED)])
def test_the_requesters_reply_moves_the_ticket_by_every_door(report, customer, door, status, moved_to):
    ticket = report(status)
    if door == "api":
        assert api_reply(customer, ticket, "Still drops every hour.").status_code == 201
    elif door == "mail":
        mail_reply(customer, ticket, "Still drops every hour.")
    else:
        services.entry_add(ticket_id=ticket.pk, actor=customer, body="Still drops every hour.", channel="web")

    ticket.refresh_from_db()
    assert ticket.status == moved_to
    assert ConversationEntry.objects.get(ticket=ticket).body == "Still drops every hour."


def test_the_requesters_reply_in_the_portal_says_it_is_not_fixed(client, report, customer):
    ticket = report(Status.RESOLVED)
    assert portal_reply(client, customer, ticket, "It is not fixed.").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_RESPONDED


def test_a_portal_reply_to_a_closed_request_lands_on_its_follow_up(client, report, customer):
    old = report(Status.CLOSED)
    response = portal_reply(client, customer, old, "It is back.")
    new = Ticket.objects.exclude(pk=old.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/portal/requests/{new.pk}/"
    assert ConversationEntry.objects.get(ticket=new).body == "It is back."


@pytest.mark.parametrize("door", ["api", "mail"])
def test_a_reply_to_a_closed_ticket_opens_a_follow_up_by_every_door(report, customer, door):
    old = report(Status.CLOSED)
    if door == "api":
        response = api_reply(customer, old, "It is back since this morning.")
        assert response.status_code == 201
    else:
        mail_reply(customer, old, "It is back since this morning.")

    old.refresh_from_db()
    assert old.status == Status.CLOSED
    new = Ticket.objects.exclude(pk=old.pk).get()
    assert new.requester == customer and new.status == Status.NEW and new.service_id == old.service_id
    assert new.description.startswith(f"Follow-up to #{old.pk} (VPN drops), which is closed.")
    assert ConversationEntry.objects.get(ticket=new).body == "It is back since this morning."
    assert AuditEvent.objects.filter(ticket=old, field="follow_up", new_value=str(new.pk)).exists()
    assert not ConversationEntry.objects.filter(ticket=old).exists()


def test_staff_replies_and_followers_replies_move_nothing(report, technician, other_customer):
    resolved = report(Status.RESOLVED)
    resolved.followers.add(other_customer)
    services.entry_add(ticket_id=resolved.pk, actor=other_customer, body="Same here.")
    services.entry_add(ticket_id=resolved.pk, actor=technician, body="Please test again.")
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_the_reply_rule_in_one_table():
    assert reply_move(Status.NEW, from_requester=True, from_staff=False) is None
    assert reply_move(Status.WAIT_VENDOR, from_requester=True, from_staff=False) is None
    assert reply_move(Status.WAIT_CUSTOMER, from_requester=False, from_staff=False) is None
    assert reply_move(Status.CANCELLED, from_requester=False, from_staff=False) == FOLLOW_UP
    assert reply_move(Status.CLOSED, from_requester=True, from_staff=True) is None
