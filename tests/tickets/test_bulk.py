"""Bulk assign and bulk move: dispatchers route a queue in one request, all or nothing."""

import threading

import pytest
from django.db import connection

from tickets import services
from tickets.models import AuditEvent, Group, Ticket
from tickets.notifications.models import Notification

ASSIGN = "/api/v1/tickets/bulk-assign/"
MOVE = "/api/v1/tickets/bulk-move/"


@pytest.fixture
def network(db):
    return Group.objects.create(name="Network", slug="network")


@pytest.fixture
def netops(make_user, network):
    user = make_user("netops", staff=True)
    network.members.add(user)
    return user


@pytest.fixture
def queue(customer, email_service):
    """Three new incidents in the Service Desk queue (the e-mail service's default group)."""
    return [
        services.ticket_create(actor=customer, title=f"Mailbox problem {n}", impact="individual",
                               urgency="impaired", service=email_service)
        for n in range(3)
    ]


def ids(tickets):
    return [ticket.pk for ticket in tickets]


def snapshot():
    """Everything a refused bulk action must leave as it was."""
    return (
        sorted(Ticket.objects.values_list("pk", "group_id", "assignee_id", "status", "version")),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def test_dispatcher_assigns_three_tickets(api, dispatcher, technician, queue):
    notifications_before = Notification.objects.count()

    response = api(dispatcher).post(ASSIGN, {"tickets": ids(queue), "assignee": technician.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"updated": ids(queue), "unchanged": [], "count": 3}
    for ticket in queue:
        ticket.refresh_from_db()
        assert ticket.assignee == technician
        assert ticket.version == 2
        event = AuditEvent.objects.get(ticket=ticket, field="assignee")
        assert (event.actor, event.channel, event.old_value, event.new_value) == (
            dispatcher, "api", "", str(technician.pk))
        assert ticket.notifications.filter(kind=Notification.Kind.ASSIGNED_TO_YOU).exists()
    assert Notification.objects.count() == notifications_before + 3


def test_duplicates_are_removed_and_tickets_already_so_are_reported_unchanged(api, dispatcher, technician, queue):
    services.ticket_update(ticket_id=queue[0].pk, actor=dispatcher, changes={"assignee": technician})

    response = api(dispatcher).post(ASSIGN, {"tickets": [queue[1].pk, queue[0].pk, queue[1].pk],
                                             "assignee": technician.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"updated": [queue[1].pk], "unchanged": [queue[0].pk], "count": 1}
    assert AuditEvent.objects.filter(ticket=queue[1], field="assignee").count() == 1


def test_null_assignee_unassigns(api, dispatcher, technician, queue):
    services.ticket_update(ticket_id=queue[0].pk, actor=dispatcher, changes={"assignee": technician})

    response = api(dispatcher).post(ASSIGN, {"tickets": [queue[0].pk], "assignee": None}, format="json")

    assert response.status_code == 200, response.json()
    queue[0].refresh_from_db()
    assert queue[0].assignee is None


def test_move_to_another_group_unassigns_non_members_and_keeps_members(api, dispatcher, technician, netops,
                                                                        network, queue):
    both = technician
    network.members.add(both)
    other = queue[1]
    services.ticket_update(ticket_id=queue[0].pk, actor=dispatcher, changes={"assignee": both})
    services.ticket_update(ticket_id=other.pk, actor=dispatcher, changes={"assignee": dispatcher})

    response = api(dispatcher).post(MOVE, {"tickets": ids(queue), "group": network.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 3
    for ticket in queue:
        ticket.refresh_from_db()
        assert ticket.group == network
    assert queue[0].assignee == both  # a member of the new group keeps the ticket
    assert other.assignee is None  # the dispatcher is no member of Network: unassigned, Network's queue told
    assert AuditEvent.objects.filter(ticket=other, field="assignee", new_value="").exists()
    assert other.notifications.filter(kind=Notification.Kind.ASSIGNED_TO_GROUP).exists()
    assert AuditEvent.objects.filter(ticket=queue[2], field="group", new_value=str(network.pk)).exists()


def test_assign_with_group_moves_and_assigns_together(api, dispatcher, netops, network, queue):
    response = api(dispatcher).post(ASSIGN, {"tickets": ids(queue[:2]), "assignee": netops.pk,
                                             "group": network.pk}, format="json")

    assert response.status_code == 200, response.json()
    for ticket in queue[:2]:
        ticket.refresh_from_db()
        assert (ticket.group, ticket.assignee, ticket.version) == (network, netops, 2)


def test_administrator_may_route_any_queue(api, admin_user, netops, network, queue):
    response = api(admin_user).post(MOVE, {"tickets": ids(queue), "group": network.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert set(Ticket.objects.values_list("group_id", flat=True)) == {network.pk}


@pytest.mark.parametrize("who", ["technician", "customer", "netops"])
def test_non_dispatchers_are_refused(api, request, who, technician, network, queue):
    before = snapshot()
    user = request.getfixturevalue(who)

    for path, body in [(ASSIGN, {"tickets": ids(queue), "assignee": technician.pk}),
                       (MOVE, {"tickets": ids(queue), "group": network.pk})]:
        response = api(user).post(path, body, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert snapshot() == before


def test_anonymous_is_401(api, technician, queue):
    response = api().post(ASSIGN, {"tickets": ids(queue), "assignee": technician.pk}, format="json")
    assert response.status_code == 401


def test_dispatcher_of_another_group_is_refused_naming_the_tickets(api, make_user, network, netops, queue):
    network_dispatcher = make_user("netdispatch", staff=True)
    network.dispatchers.add(network_dispatcher)
    mine = services.ticket_create(actor=network_dispatcher, title="Switch down", impact="individual",
                                  urgency="impaired", group=network)
    before = snapshot()

    response = api(network_dispatcher).post(ASSIGN, {"tickets": [mine.pk, *ids(queue)], "assignee": netops.pk},
                                            format="json")

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["failed"] == ids(queue)
    assert set(body["errors"]) == {"tickets", *(str(pk) for pk in ids(queue))}
    assert snapshot() == before


def test_a_ticket_in_no_group_may_be_taken_into_a_group_the_dispatcher_dispatches(api, dispatcher, technician,
                                                                                  customer, service_desk, network):
    unrouted = services.ticket_create(actor=customer, title="Something is wrong", impact="individual",
                                      urgency="impaired")
    assert unrouted.group is None
    client = api(dispatcher)

    refused = client.post(ASSIGN, {"tickets": [unrouted.pk], "assignee": technician.pk}, format="json")
    refused_elsewhere = client.post(MOVE, {"tickets": [unrouted.pk], "group": network.pk}, format="json")
    taken = client.post(ASSIGN, {"tickets": [unrouted.pk], "assignee": technician.pk, "group": service_desk.pk},
                        format="json")

    assert (refused.status_code, refused_elsewhere.status_code, taken.status_code) == (403, 403, 200)
    unrouted.refresh_from_db()
    assert (unrouted.group, unrouted.assignee) == (service_desk, technician)


def test_one_closed_ticket_fails_the_whole_batch(api, dispatcher, technician, queue):
    closed = queue[1]
    for status in ("resolved", "closed"):
        services.ticket_transition(ticket_id=closed.pk, actor=dispatcher, to_status=status)
    before = snapshot()

    response = api(dispatcher).post(ASSIGN, {"tickets": ids(queue), "assignee": technician.pk}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["failed"] == [closed.pk]
    assert "closed" in body["errors"][str(closed.pk)][0]
    assert body["errors"]["tickets"] == [f"Refused: ticket {closed.pk}. No ticket was changed."]
    assert snapshot() == before
    assert not Ticket.objects.filter(assignee=technician).exists()


def test_assignee_not_in_group_is_400_naming_each_ticket(api, dispatcher, netops, queue):
    before = snapshot()

    response = api(dispatcher).post(ASSIGN, {"tickets": ids(queue), "assignee": netops.pk}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["failed"] == ids(queue)
    assert body["errors"][str(queue[0].pk)] == [
        f"assignee: {netops} is not a member of the group “Service Desk”."]
    assert snapshot() == before


def test_mixed_failures_answer_with_the_most_severe_status(api, dispatcher, netops, technician, queue):
    services.ticket_update(ticket_id=queue[0].pk, actor=dispatcher, changes={"status": "cancelled"})
    services.ticket_update(ticket_id=queue[1].pk, actor=dispatcher, changes={"assignee": technician})
    before = snapshot()

    response = api(dispatcher).post(ASSIGN, {"tickets": ids(queue), "assignee": netops.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["failed"] == ids(queue)
    assert snapshot() == before


def test_too_many_ids_is_400(api, dispatcher, technician, queue):
    response = api(dispatcher).post(ASSIGN, {"tickets": list(range(1, 102)), "assignee": technician.pk},
                                    format="json")

    assert response.status_code == 400
    assert "tickets" in response.json()["errors"]


def test_a_hundred_ids_with_duplicates_is_not_too_many(api, dispatcher, technician, queue):
    response = api(dispatcher).post(ASSIGN, {"tickets": ids(queue) * 40, "assignee": technician.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 3


def test_unknown_ids_are_400_and_named(api, dispatcher, technician, queue):
    before = snapshot()
    missing = [queue[-1].pk + 100, queue[-1].pk + 7]

    response = api(dispatcher).post(ASSIGN, {"tickets": [*ids(queue), *missing], "assignee": technician.pk},
                                    format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["tickets"] == [f"Unknown ticket ids: {min(missing)}, {max(missing)}."]
    assert snapshot() == before


@pytest.mark.parametrize("body, field", [
    ({"tickets": []}, "tickets"),
    ({"tickets": ["x"]}, "tickets"),
    ({"tickets": [0]}, "tickets"),
    ({}, "tickets"),
    ({"tickets": [1], "status": "closed"}, "status"),
])
def test_malformed_bodies_are_400(api, dispatcher, technician, queue, body, field):
    response = api(dispatcher).post(ASSIGN, {"assignee": technician.pk, **body}, format="json")

    assert response.status_code == 400
    # An item of the list may be named by its path ("tickets.0").
    assert any(key.split(".")[0] == field for key in response.json()["errors"]), response.json()


def test_move_needs_a_group_and_assign_an_explicit_assignee(api, dispatcher, queue):
    assert "group" in api(dispatcher).post(MOVE, {"tickets": ids(queue)}, format="json").json()["errors"]
    assert "assignee" in api(dispatcher).post(ASSIGN, {"tickets": ids(queue)}, format="json").json()["errors"]


def test_service_refuses_fields_other_than_routing(dispatcher, queue):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.tickets_bulk_update(actor=dispatcher, ticket_ids=ids(queue), changes={"impact": "university"})


@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_moves_in_opposite_orders_do_not_deadlock(make_user, customer, service_desk, network):
    dispatchers = [make_user(f"d{i}", staff=True) for i in range(2)]
    service_desk.dispatchers.add(*dispatchers)
    network.dispatchers.add(*dispatchers)
    tickets = [services.ticket_create(actor=dispatchers[0], title=f"T{n}", impact="individual", urgency="impaired",
                                      group=service_desk) for n in range(20)]
    orders = [ids(tickets), list(reversed(ids(tickets)))]
    targets = [network, service_desk]
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def move(actor, order, group):
        try:
            barrier.wait()
            services.tickets_bulk_update(actor=actor, ticket_ids=order, changes={"group": group})
        except Exception as error:  # pragma: no cover - the assertion shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=args) for args in zip(dispatchers, orders, targets, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    groups = set(Ticket.objects.values_list("group_id", flat=True))
    assert len(groups) == 1  # one batch ran entirely after the other


def test_an_outage_in_a_bulk_assignment_is_refused_by_name_and_nothing_changes(api, dispatcher, technician, queue,
                                                                              incident_manager, email_service):
    from outages import services as outages

    outage = outages.outage_raise(actor=dispatcher, title="Mail down", impact="university",
                                  urgency="stopped_no_workaround", service=email_service).ticket
    before = snapshot()

    response = api(dispatcher).post(ASSIGN, {"tickets": [*ids(queue), outage.pk], "assignee": technician.pk},
                                    format="json")

    assert response.status_code == 409
    assert response.json()["failed"] == [outage.pk]
    assert "incident-manager" in response.json()["errors"][str(outage.pk)][0]
    assert snapshot() == before
