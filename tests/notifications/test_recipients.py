"""Audiences into addresses, once: who gets a copy, who does not, and in which order."""

import pytest
from django.contrib.auth.models import Permission

from tickets import policies, services
from tickets.models import Group
from tickets.notifications import recipients
from tickets.notifications import services as notifications
from tickets.notifications.models import DistributionList, Notification

REPORT = {"title": "VPN drops every hour", "impact": "individual", "urgency": "impaired"}


@pytest.fixture
def person(db, django_user_model):
    def make(username: str, email: str, **extra):
        return django_user_model.objects.create_user(username=username, email=email, password="pw-for-tests-only",
                                                     **extra)

    return make


def test_two_spellings_of_one_address_are_one_mailbox_and_the_first_spelling_is_kept():
    assert recipients.unique(["Alice@Example.edu", "bob@example.edu", " alice@example.edu ", ""]) == [
        "Alice@Example.edu", "bob@example.edu",
    ]


def test_people_come_in_alphabetical_order_ignoring_case(person):
    zoe, adam = person("zoe", "zoe@example.edu"), person("adam", "Adam@example.edu")
    mia = person("mia", "mia@example.edu")

    assert recipients.people([zoe, adam, None, mia]) == ["Adam@example.edu", "mia@example.edu", "zoe@example.edu"]


def test_the_inactive_and_those_without_an_address_get_nothing(person):
    gone = person("gone", "gone@example.edu", is_active=False)
    silent = person("silent", "")
    here = person("here", "here@example.edu")

    assert recipients.people([gone, silent, here]) == ["here@example.edu"]
    assert recipients.people([gone]) == []


def test_the_actor_gets_no_copy_unless_the_caller_asks(person):
    alice, bob = person("alice", "alice@example.edu"), person("bob", "bob@example.edu")

    assert recipients.people([alice, bob], actor=alice) == ["bob@example.edu"]
    assert recipients.people([alice, bob], actor=alice, include_actor=True) == ["alice@example.edu",
                                                                                 "bob@example.edu"]


def test_a_tickets_staff_is_its_assignee_else_its_dispatchers_else_the_groups_address(person):
    desk = Group.objects.create(name="Network", slug="network", email="network@example.edu")
    tech, lead, other = (person(name, f"{name}@example.edu") for name in ("tech", "lead", "other"))
    desk.dispatchers.add(lead, other)

    assert recipients.ticket_staff(assignee=tech, group=desk) == ["tech@example.edu"]
    assert recipients.ticket_staff(assignee=tech, group=desk, actor=tech) == []
    assert recipients.ticket_staff(assignee=None, group=desk, actor=lead) == ["other@example.edu"]
    desk.dispatchers.remove(other)
    assert recipients.ticket_staff(assignee=None, group=desk, actor=lead) == ["network@example.edu"]
    assert recipients.ticket_staff(assignee=None, group=None) == []


def test_a_distribution_list_is_its_own_address_else_its_members_each_once(db):
    members = DistributionList(name="Deans", slug="deans", member_addresses="Dean@Example.edu\ndean@example.edu\n"
                                                                              "arts@example.edu\n")
    own = DistributionList(name="All staff", slug="all-staff", email="staff@example.edu",
                           member_addresses="ignored@example.edu")

    assert recipients.distribution_list(members) == ["arts@example.edu", "Dean@Example.edu"]
    assert recipients.distribution_list(own) == ["staff@example.edu"]


def test_the_first_reachable_candidate_answers_and_later_ones_are_not_asked(person):
    owner = person("owner", "owner@example.edu")
    asked = []

    def candidates():
        for candidate in (None, person("nomail", ""), owner, "never read"):
            asked.append(candidate)
            yield candidate

    assert recipients.first_reachable(candidates()) == ["owner@example.edu"]
    assert asked[-1] is owner


def test_the_approvers_of_a_community_message_are_active_staff_and_superusers(person):
    approve = Permission.objects.get(content_type__app_label="outages", codename="approve_community_update")
    granted = person("granted", "granted@example.edu", is_staff=True)
    granted.user_permissions.add(approve)
    not_staff = person("customer", "customer@example.edu")
    not_staff.user_permissions.add(approve)
    retired = person("retired", "retired@example.edu", is_staff=True, is_active=False)
    retired.user_permissions.add(approve)
    person("root", "root@example.edu", is_staff=True, is_superuser=True)
    person("plain", "plain@example.edu", is_staff=True)

    holders = policies.community_approvers()  # whom an approval request is addressed to

    assert sorted(holders.values_list("username", flat=True)) == ["granted", "root"]


@pytest.mark.usefixtures("eager_tasks")
def test_a_queued_message_to_two_spellings_of_one_address_is_one_mail(smtp, customer,
                                                                       django_capture_on_commit_callbacks):
    ticket = services.ticket_create(actor=customer, **REPORT)

    with django_capture_on_commit_callbacks(execute=True):
        [row] = notifications.queue(notifications.Message(
            ticket_id=ticket.pk, kind=notifications.Kind.OUTAGE_UPDATE, subject="Update", body_text="Back.",
            to=["Dean@Example.edu", "dean@example.edu"],
        ))

    assert row.to == ["Dean@Example.edu"]
    assert [message["To"] for message in smtp.messages if message["Subject"] == "Update"] == ["Dean@Example.edu"]


def test_a_message_with_nobody_to_tell_is_not_written(db, customer):
    ticket = services.ticket_create(actor=customer, **REPORT)
    before = Notification.objects.count()

    rows = notifications.queue(notifications.Message(ticket_id=ticket.pk, kind=notifications.Kind.OUTAGE_UPDATE,
                                                     subject="Update", body_text="Back.", to=[]))

    assert rows == []
    assert Notification.objects.count() == before


def test_the_actor_gets_their_receipt_but_no_copy_of_their_own_actions(db, technician):
    ticket = services.ticket_create(actor=technician, **REPORT)  # reported for themselves

    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": technician})
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Replaced the token myself.")

    assert list(Notification.objects.filter(ticket=ticket).values_list("kind", "to")) == [
        ("received", [technician.email]),
    ]


def test_an_inactive_requester_gets_no_mail(db, customer, technician):
    ticket = services.ticket_create(actor=technician, requester=customer, **REPORT)
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    services.entry_add(ticket_id=ticket.pk, actor=technician, body="We replaced the token.")

    assert not Notification.objects.filter(ticket=ticket, kind=Notification.Kind.PUBLIC_REPLY).exists()
