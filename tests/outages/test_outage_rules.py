"""The outage process's refusals and its smaller rules, one behaviour each."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from outages import services as outages
from outages.models import Outage
from tickets import services as tickets
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def report(customer, email_service) -> Ticket:
    return tickets.ticket_create(actor=customer, title="VPN will not connect", impact="individual",
                                 urgency="stopped_no_workaround", service=email_service)


def test_a_ticket_joins_or_leaves_an_outage_only_through_the_outage_process(outage, customer, technician,
                                                                            email_service):
    child = report(customer, email_service)
    api = client(technician)
    refused = api.patch(f"/api/v1/tickets/{child.pk}/", {"parent": outage.pk}, format="json")
    assert refused.status_code == 409
    assert refused.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/children/"
    assert Ticket.objects.get(pk=child.pk).parent_id is None

    children = f"/api/v1/outages/{outage.pk}/children/"
    assert api.post(children, {"tickets": [child.pk]}, format="json").status_code == 200
    leaving = api.patch(f"/api/v1/tickets/{child.pk}/", {"parent": None}, format="json")
    assert leaving.status_code == 409
    assert leaving.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/children/unlink/"
    assert api.post(children + "unlink/", {"tickets": [child.pk]}, format="json").status_code == 200
    assert api.post(children, {"tickets": [child.pk]}, format="json").status_code == 200

    # However often it is linked, its requester hears once that the issue is known.
    known = Notification.objects.filter(ticket=child, kind="outage_known")
    assert [n.to for n in known] == [[customer.email]]
    assert "VPN concentrator down" in known[0].body_text
    assert Ticket.objects.get(pk=child.pk).parent_id == outage.pk


def test_an_outage_is_assigned_only_by_naming_its_incident_manager(outage, technician, incident_manager):
    response = client(technician).patch(f"/api/v1/tickets/{outage.pk}/", {"assignee": technician.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/incident-manager/"
    assert Ticket.objects.get(pk=outage.pk).assignee == incident_manager


@pytest.mark.parametrize("who", ["customer", "technician"])
def test_only_an_incident_manager_can_be_named(outage, admin_user, customer, technician, who):
    person = {"customer": customer, "technician": technician}[who]
    response = client(admin_user).post(f"/api/v1/outages/{outage.pk}/incident-manager/", {"user": person.pk},
                                       format="json")

    assert response.status_code == 400 and "incident_manager" in response.json()["errors"]
    assert Ticket.objects.get(pk=outage.pk).assignee == outage.incident_manager


def test_customers_cannot_raise_or_read_outages(outage, customer):
    api = client(customer)
    body = {"title": "Everything is down", "impact": "university", "urgency": "stopped_no_workaround"}
    assert api.post("/api/v1/outages/", body, format="json").status_code == 403
    assert api.get(f"/api/v1/outages/{outage.pk}/").status_code == 403


def test_only_an_incident_can_be_promoted_and_only_once(outage, customer, dispatcher, email_service):
    incident = report(customer, email_service)
    api = client(dispatcher)
    assert api.post("/api/v1/outages/promote/", {"ticket": incident.pk}, format="json").status_code == 201
    again = api.post("/api/v1/outages/promote/", {"ticket": incident.pk}, format="json")
    assert again.status_code == 400 and "already a child" in again.json()["errors"]["ticket"][0]
    assert api.post("/api/v1/outages/promote/", {"ticket": outage.pk}, format="json").status_code == 400


def test_a_workaround_belongs_to_a_problem(outage, incident_manager):
    api = client(incident_manager)
    refused = api.post(f"/api/v1/outages/{outage.pk}/workaround/", {"text": "Use webmail."}, format="json")
    assert refused.status_code == 400 and "classification" in refused.json()["errors"]

    api.post(f"/api/v1/outages/{outage.pk}/reclassify/", {"classification": "problem"}, format="json")
    assert api.post(f"/api/v1/outages/{outage.pk}/workaround/", {"text": "Use webmail."}, format="json").status_code \
        == 201
    assert Outage.objects.get(pk=outage.pk).workaround == "Use webmail."
    changes = AuditEvent.objects.filter(ticket_id=outage.pk, field="classification")
    assert [(e.old_value, e.new_value) for e in changes] == [("outage", "problem")]


def test_resolving_needs_an_all_clear_in_words(outage, incident_manager):
    response = client(incident_manager).post(f"/api/v1/outages/{outage.pk}/resolve/", {"all_clear": " "},
                                             format="json")
    assert response.status_code == 400 and "all_clear" in response.json()["errors"]
    assert Ticket.objects.get(pk=outage.pk).status == Status.IN_PROCESS  # as naming its incident manager left it


def test_a_plan_needs_known_audiences_and_a_sane_cadence(outage, incident_manager):
    api = client(incident_manager)
    for body, field in [({"audiences": ["everyone"], "cadence_minutes": 30}, "audiences.0"),
                        ({"audiences": ["ticket"], "cadence_minutes": 1}, "cadence_minutes")]:
        response = api.put(f"/api/v1/outages/{outage.pk}/plan/", body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]


def test_someone_not_running_the_outage_cannot_speak_for_it(outage, technician):
    response = client(technician).post(f"/api/v1/outages/{outage.pk}/updates/", {"text": "All good."},
                                       format="json")
    assert response.status_code == 403
    assert not outage.updates.exists()


def test_an_unknown_outage_number_is_a_404(technician):
    assert client(technician).get("/api/v1/outages/99999999999999999999999/").status_code == 404


def test_only_those_running_it_close_an_outage_and_only_through_its_door(outage, incident_manager, technician):
    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk, all_clear="The concentrator was replaced.")
    for who in (technician, incident_manager):
        refused = client(who).patch(f"/api/v1/tickets/{outage.pk}/", {"status": "closed"}, format="json")
        assert refused.status_code == 409
        assert refused.json()["endpoint"] == f"POST /api/v1/outages/{outage.pk}/close/"
    assert client(technician).post(f"/api/v1/outages/{outage.pk}/close/").status_code == 403
    assert Ticket.objects.get(pk=outage.pk).status == Status.RESOLVED

    assert client(incident_manager).post(f"/api/v1/outages/{outage.pk}/close/").status_code == 200
    assert Ticket.objects.get(pk=outage.pk).status == Status.CLOSED


def test_staff_without_the_incident_manager_role_cannot_be_named_incident_manager(outage, admin_user, technician,
                                                                                 incident_manager):
    events = AuditEvent.objects.filter(ticket_id=outage.pk).count()

    response = client(admin_user).post(f"/api/v1/outages/{outage.pk}/incident-manager/", {"user": technician.pk},
                                       format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"incident_manager": [
        f"{technician} cannot run an outage: incident managers are ITS staff with the incident manager role."]}
    outage.refresh_from_db()
    assert (outage.incident_manager, outage.ticket.assignee) == (incident_manager, incident_manager)
    assert AuditEvent.objects.filter(ticket_id=outage.pk).count() == events


def test_an_incident_manager_may_not_name_another_once_the_service_has_an_owner(outage, make_user, incident_manager,
                                                                                email_service):
    email_service.owner = make_user("owner", staff=True)
    email_service.save(update_fields=["owner"])
    deputy = make_user("deputy", staff=True)
    deputy.user_permissions.add(Permission.objects.get(codename="act_as_incident_manager"))

    refused = client(incident_manager).post(f"/api/v1/outages/{outage.pk}/incident-manager/", {"user": deputy.pk},
                                            format="json")
    named = client(email_service.owner).post(f"/api/v1/outages/{outage.pk}/incident-manager/",
                                             {"user": deputy.pk}, format="json")

    assert (refused.status_code, refused.json()["detail"]) == (403, "The service owner chooses the incident manager.")
    assert named.status_code == 200
    assert Outage.objects.get(pk=outage.pk).incident_manager == deputy
