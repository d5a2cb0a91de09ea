"""The outage process cannot be bypassed: every generic ticket door refuses its changes with a 409 naming the
outage endpoint and changes nothing, and the outage endpoints still do the job."""

import pytest

from outages import services as outages
from outages.models import Outage
from tickets import services as tickets
from tickets.errors import ProcessConflict
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification


@pytest.fixture
def child(outage, customer, technician, email_service) -> Ticket:
    report = tickets.ticket_create(actor=customer, title="Cannot send mail", impact="individual",
                                   urgency="stopped_no_workaround", service=email_service)
    return outages.children_link(actor=technician, outage_id=outage.pk, ticket_ids=[report.pk])[0]


def state(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.classification, ticket.status, ticket.parent_id, ticket.assignee_id, ticket.version


def test_an_outage_with_open_children_cannot_become_an_incident(api, outage, child, technician):
    before = state(outage.ticket), state(child)
    response = api(technician).patch(f"/api/v1/tickets/{outage.pk}/", {"classification": "incident"},
                                        format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "outage_process"
    assert response.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/reclassify/"
    assert (state(outage.ticket), state(child)) == before


def test_an_incident_becomes_an_outage_only_by_promotion_which_opens_its_record(api, customer, technician,
                                                                                  email_service):
    incident = tickets.ticket_create(actor=customer, title="Mail down for me and my office", impact="individual",
                                     urgency="stopped_no_workaround", service=email_service)
    refused = api(technician).patch(f"/api/v1/tickets/{incident.pk}/", {"classification": "outage"},
                                       format="json")
    assert refused.status_code == 409
    assert refused.json()["endpoint"] == "POST /api/v1/outages/promote/"
    assert Ticket.objects.get(pk=incident.pk).classification == "incident"

    promoted = api(technician).post("/api/v1/outages/promote/", {"ticket": incident.pk}, format="json")
    assert promoted.status_code == 201
    outage_id = promoted.json()["id"]
    assert api(technician).get(f"/api/v1/outages/{outage_id}/").status_code == 200
    assert Ticket.objects.get(pk=incident.pk).parent_id == outage_id


def test_outages_and_their_children_are_not_created_through_the_ticket_door(api, outage, technician, email_service):
    caller = api(technician)
    body = {"title": "Everything is down", "impact": "university", "urgency": "stopped_no_workaround",
            "service": email_service.pk}
    raised = caller.post("/api/v1/tickets/", {**body, "classification": "outage"}, format="json")
    assert raised.status_code == 409 and raised.json()["endpoint"].startswith("POST /api/v1/outages/")
    joined = caller.post("/api/v1/tickets/", {**body, "parent": outage.pk}, format="json")
    assert joined.status_code == 409 and joined.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/children/"
    assert Ticket.objects.count() == 1


def test_a_technician_cannot_resolve_an_outage_without_its_all_clear(api, outage, child, technician):
    before = state(outage.ticket), state(child)
    response = api(technician).patch(f"/api/v1/tickets/{outage.pk}/", {"status": "resolved"}, format="json")

    assert response.status_code == 409
    assert response.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/resolve/"
    assert (state(outage.ticket), state(child)) == before
    assert not Notification.objects.filter(ticket=child, kind="resolved").exists()
    # The door it names resolves the outage, its open child, and tells the child's requester.
    resolved = api(outage.incident_manager).post(f"/api/v1/outages/{outage.pk}/resolve/",
                                                    {"all_clear": "A new relay carries the mail."}, format="json")
    assert resolved.status_code == 200
    assert state(outage.ticket)[1] == state(child)[1] == Status.RESOLVED
    assert Notification.objects.filter(ticket=child, kind="resolved").count() == 1


def test_an_outage_with_open_children_cannot_be_cancelled(outage, child, incident_manager):
    with pytest.raises(ProcessConflict) as refused:
        tickets.ticket_transition(ticket_id=outage.pk, actor=incident_manager, to_status=Status.CANCELLED)
    assert f"#{child.pk}" in str(refused.value)
    assert refused.value.endpoint == f"POST /api/v1/outages/{outage.pk}/children/unlink/"
    assert state(outage.ticket)[1] == Status.IN_PROCESS  # as naming its incident manager left it


def test_an_outage_without_children_can_be_cancelled_as_a_false_alarm(outage, incident_manager):
    tickets.ticket_transition(ticket_id=outage.pk, actor=incident_manager, to_status=Status.CANCELLED)
    assert state(outage.ticket)[1] == Status.CANCELLED


def test_the_incident_manager_is_never_a_responder(api, outage, incident_manager):
    caller = api(incident_manager)
    url = f"/api/v1/outages/{outage.pk}/responders/"
    for body in ({"user": incident_manager.pk}, {"users": [incident_manager.pk]}):
        refused = caller.post(url, body, format="json")
        assert refused.status_code == 400
        assert str(incident_manager) in refused.json()["errors"]["responders"][0]
    assert caller.put(url, {"users": [incident_manager.pk]}, format="json").status_code == 400
    assert not Outage.objects.get(pk=outage.pk).responders.exists()


def test_naming_a_responder_incident_manager_takes_them_off_the_responders(api, outage, admin_user, make_user):
    deputy = make_user("deputy", staff=True)
    deputy.user_permissions.add(*incident_manager_permission())
    fixer = make_user("fixer", staff=True)
    caller = api(outage.incident_manager)
    url = f"/api/v1/outages/{outage.pk}/responders/"
    caller.post(url, {"users": [deputy.pk, fixer.pk]}, format="json")

    response = api(admin_user).post(f"/api/v1/outages/{outage.pk}/incident-manager/", {"user": deputy.pk},
                                       format="json")

    assert response.status_code == 200
    assert [person["id"] for person in response.json()["responders"]] == [fixer.pk]
    assert response.json()["incident_manager"]["id"] == deputy.pk
    assert AuditEvent.objects.filter(ticket=outage.ticket, new_value__contains="no longer counts as a responder")


def test_responders_are_added_and_removed_one_by_one(api, outage, make_user):
    first, second = make_user("first", staff=True), make_user("second", staff=True)
    caller = api(outage.incident_manager)
    url = f"/api/v1/outages/{outage.pk}/responders/"

    assert caller.post(url, {"user": first.pk}, format="json").status_code == 200
    added = caller.post(url, {"user": second.pk}, format="json")
    assert [person["id"] for person in added.json()["responders"]] == [first.pk, second.pk]
    assert caller.post(url, {"user": second.pk}, format="json").status_code == 200  # already there: no change

    removed = caller.delete(f"{url}{first.pk}/")
    assert removed.status_code == 200
    assert [person["id"] for person in removed.json()["responders"]] == [second.pk]
    again = caller.delete(f"{url}{first.pk}/")
    assert again.status_code == 400 and "user" in again.json()["errors"]
    assert caller.delete(f"{url}999999/").status_code == 404
    assert list(Outage.objects.get(pk=outage.pk).responders.all()) == [second]


def test_a_customer_cannot_be_a_responder(api, outage, customer):
    response = api(outage.incident_manager).post(f"/api/v1/outages/{outage.pk}/responders/",
                                                    {"user": customer.pk}, format="json")
    assert response.status_code == 400 and "responders" in response.json()["errors"]


def incident_manager_permission():
    from django.contrib.auth.models import Permission

    return [Permission.objects.get(codename="act_as_incident_manager")]


def test_the_ticket_page_sends_an_outage_to_its_console_to_resolve_or_close(client, outage, incident_manager):
    client.force_login(incident_manager)
    page = client.get(f"/tickets/{outage.pk}/").content.decode()

    assert f'href="/outages/{outage.pk}/">Resolve or close on the outage console' in page
    assert 'name="to_status" value="resolved"' not in page
    refused = client.post(f"/tickets/{outage.pk}/status/", {"to_status": "resolved", "note": "Fixed",
                                                                "version": state(outage.ticket)[4]})
    assert refused.status_code == 409
    assert f"That is done on the outage console (/outages/{outage.pk}/)." in refused.content.decode()
    assert Ticket.objects.get(pk=outage.pk).status == Status.IN_PROCESS  # as naming its incident manager left it
