"""``tickets.policies``: the "may …" questions, asked directly and through the services and doors that ask them."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.auth.models import Group as Role
from django.core.exceptions import ValidationError

from tickets import policies, services
from tickets.errors import NotAllowed
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Classification, Group, Ticket
from tickets.process import process_ticket_assign, process_ticket_create


@pytest.fixture
def network(db):
    return Group.objects.create(name="Network", slug="network")


@pytest.fixture
def report(customer, email_service):
    return services.ticket_create(actor=customer, title="Mailbox full", impact="individual", urgency="impaired",
                                  service=email_service)


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


# --- Seeing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), [
    ("customer", True), ("follower", True), ("other_customer", False), ("technician", True), ("anonymous", False),
])
def test_may_view_ticket_says_what_visible_tickets_lists(request, report, make_user, who, sees):
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "follower":
        user = make_user("carol")
        report.followers.add(user)
    else:
        user = request.getfixturevalue(who)

    assert policies.may_view_ticket(user, report) is sees
    assert list(policies.visible_tickets(user, Ticket.objects.all())) == ([report] if sees else [])


def test_an_inactive_staff_account_is_not_staff(make_user):
    former = make_user("former", staff=True, is_active=False)

    assert policies.is_staff(former) is False
    assert policies.may_see_internal(former) is False
    assert policies.may_be_assigned(former) is False


# --- Fields and moves -------------------------------------------------------------------------------


def test_a_customer_may_change_only_the_status(customer, technician, report):
    assert policies.editable_fields(customer) == frozenset({"status"})
    assert policies.may_edit_field(technician, "assignee") and not policies.may_edit_field(customer, "assignee")

    with pytest.raises(NotAllowed) as refused:
        services.ticket_update(ticket_id=report.pk, actor=customer, changes={"urgency": "stopped_no_workaround"})
    assert str(refused.value) == "Only ITS staff may set: urgency."
    report.refresh_from_db()
    assert (report.urgency, report.version) == ("impaired", 1)


def test_only_staff_log_a_ticket_for_someone_else(api, customer, other_customer, technician):
    body = {"title": "Printer jam", "impact": "individual", "urgency": "impaired",
            "requester_email": "someone.new@example.edu"}

    refused = api(customer).post("/api/v1/tickets/", body, format="json")
    logged = api(technician).post("/api/v1/tickets/", body, format="json")

    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only ITS staff may log a ticket for someone else."
    assert logged.status_code == 201
    assert Ticket.objects.get().requester.email == "someone.new@example.edu"


def test_the_requester_is_offered_their_moves_and_a_follower_none(api, customer, make_user, technician, report):
    follower = make_user("carol")
    report.followers.add(follower)

    def offered(user) -> list[str]:
        return api(user).get(f"/api/v1/tickets/{report.pk}/").json()["allowed_next_statuses"]

    assert offered(customer) == ["cancelled"]
    assert offered(follower) == []
    assert offered(technician) == ["in_process", "resolved", "cancelled"]
    assert policies.may_transition(customer, report, Status.CANCELLED)
    assert not policies.may_transition(follower, report, Status.CANCELLED)
    assert not policies.may_transition(customer, report, Status.IN_PROCESS)


def test_a_customer_asking_for_a_staff_move_is_refused_by_role_not_by_the_machine(customer, report):
    assert policies.transition_refusal(customer, report, Status.RESOLVED) == \
        "Only ITS staff can move a ticket to “resolved”."
    assert policies.transition_refusal(customer, report, Status.CLOSED) is None  # the machine answers that one
    assert policies.transition_refusal(None, report, Status.RESOLVED) is None  # the system moves as staff do

    with pytest.raises(NotAllowed) as refused:
        services.ticket_transition(ticket_id=report.pk, actor=customer, to_status=Status.RESOLVED)
    assert str(refused.value) == "Only ITS staff can move a ticket to “resolved”."
    assert Ticket.objects.get(pk=report.pk).status == Status.NEW


# --- Routing ----------------------------------------------------------------------------------------


def test_a_dispatcher_routes_only_the_queues_they_dispatch(dispatcher, technician, network, report):
    theirs = services.ticket_create(actor=technician, title="Switch down", impact="individual", urgency="impaired",
                                    group=network)
    unplaced = services.ticket_create(actor=technician, title="Unsorted", impact="individual", urgency="impaired")

    assert policies.may_dispatch(dispatcher, report)
    assert not policies.may_dispatch(dispatcher, theirs)
    assert not policies.may_dispatch(dispatcher, unplaced)
    assert policies.may_dispatch(dispatcher, unplaced, report.group)
    assert policies.may_dispatch_group(dispatcher, report.group) and not policies.may_dispatch_group(dispatcher,
                                                                                                    network)
    assert list(policies.dispatchable_groups(dispatcher)) == [report.group]
    assert policies.dispatched_group_ids(dispatcher) == {report.group_id}


def test_a_dispatcher_of_another_group_may_not_route_by_the_service(make_user, network, technician, report):
    network_dispatcher = make_user("netdispatch", staff=True)
    network.dispatchers.add(network_dispatcher)
    events = AuditEvent.objects.count()

    with pytest.raises(services.BulkUpdateFailed) as refused:
        services.tickets_bulk_update(actor=network_dispatcher, ticket_ids=[report.pk],
                                     changes={"assignee": technician})

    assert refused.value.failures == {report.pk: ("not_allowed", "You do not dispatch this ticket's group.")}
    report.refresh_from_db()
    assert (report.assignee, report.version, AuditEvent.objects.count()) == (None, 1, events)


def test_only_administrators_and_dispatchers_route_in_bulk(admin_user, dispatcher, technician, customer):
    assert [policies.may_bulk_route(user) for user in (admin_user, dispatcher, technician, customer)] == \
        [True, True, False, False]
    assert list(policies.dispatchable_groups(technician)) == []


def test_pickers_offer_only_active_staff(make_user, technician, customer):
    make_user("gone", staff=True, is_active=False)

    assert list(policies.assignable_staff()) == [technician]


# --- Outages, through a plain object shaped like one (tickets core does not import outages) ----------


def outage_like(*, owner=None, incident_manager=None) -> SimpleNamespace:
    service = SimpleNamespace(owner_id=owner.pk if owner else None)
    return SimpleNamespace(ticket=SimpleNamespace(service=service),
                           incident_manager_id=incident_manager.pk if incident_manager else None)


def test_who_may_be_an_incident_manager(incident_manager, admin_user, technician, customer, make_user):
    by_role = make_user("duty", staff=True)
    role = Role.objects.create(name="Incident managers")
    role.permissions.add(permission("act_as_incident_manager"))
    by_role.groups.add(role)
    holder_who_left = make_user("left", staff=True, is_active=False)
    holder_who_left.user_permissions.add(permission("act_as_incident_manager"))

    assert [policies.may_be_incident_manager(user) for user in
            (incident_manager, by_role, admin_user, technician, customer, holder_who_left)] == \
        [True, True, True, False, False, False]


def test_the_service_owner_chooses_the_incident_manager(make_user, incident_manager, admin_user, technician):
    owner = make_user("owner", staff=True)

    owned = outage_like(owner=owner)
    unowned = outage_like()

    assert [policies.may_choose_incident_manager(u, owned) for u in (owner, incident_manager, admin_user)] == \
        [True, False, True]
    assert [policies.may_choose_incident_manager(u, unowned) for u in (incident_manager, technician)] == \
        [True, False]


def test_the_incident_manager_the_owner_and_administrators_run_an_outage(make_user, incident_manager, admin_user,
                                                                         technician, customer):
    owner = make_user("owner", staff=True)
    running = outage_like(owner=owner, incident_manager=incident_manager)

    assert [policies.may_run_outage(u, running) for u in (incident_manager, owner, admin_user, technician,
                                                           customer)] == [True, True, True, False, False]


def test_a_staff_member_without_the_role_cannot_be_assigned_an_outage(technician, incident_manager, admin_user):
    outage = process_ticket_create(actor=admin_user, title="Mail down", impact="university",
                                   urgency="stopped_no_workaround", classification=Classification.OUTAGE)

    with pytest.raises(ValidationError) as refused:
        process_ticket_assign(actor=admin_user, ticket_id=outage.pk, assignee=technician)

    assert refused.value.message_dict == {
        "assignee": [f"{technician} is not an incident manager; outages and problems are assigned to one."]}
    assert Ticket.objects.get(pk=outage.pk).assignee is None
    process_ticket_assign(actor=admin_user, ticket_id=outage.pk, assignee=incident_manager)
    assert Ticket.objects.get(pk=outage.pk).assignee == incident_manager


def test_approvers_hold_the_permission_directly_through_a_role_or_as_administrators(make_user, admin_user,
                                                                                    technician):
    direct = make_user("comms", staff=True)
    direct.user_permissions.add(permission("approve_community_update"))
    by_role = make_user("leader", staff=True)
    role = Role.objects.create(name="Senior leadership")
    role.permissions.add(permission("approve_community_update"))
    by_role.groups.add(role)
    customer_with_it = make_user("odd")
    customer_with_it.user_permissions.add(permission("approve_community_update"))

    approvers = sorted(user.username for user in policies.community_approvers())

    assert approvers == ["comms", "leader", "root"]
    assert [policies.may_approve_community(u) for u in (direct, by_role, admin_user, technician, customer_with_it)] \
        == [True, True, True, False, False]


def test_change_and_review_decisions_need_their_own_permissions(make_user, technician):
    cab = make_user("cab", staff=True)
    cab.user_permissions.add(permission("approve_change"))
    reviewer = make_user("reviewer", staff=True)
    reviewer.user_permissions.add(permission("publish_review"))

    assert [policies.may_decide_change(u) for u in (cab, reviewer, technician)] == [True, False, False]
    assert [policies.may_publish_review(u) for u in (cab, reviewer, technician)] == [False, True, False]


def test_only_administrators_manage_integrations(api, admin_user, dispatcher, technician):
    assert api(dispatcher).get("/api/v1/integrations/").status_code == 403
    assert api(admin_user).get("/api/v1/integrations/").status_code == 200
    assert [policies.may_manage_integrations(u) for u in (admin_user, dispatcher, technician, None)] == \
        [True, False, False, False]
