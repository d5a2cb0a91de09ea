"""Emergency Requests for Change on an outage: what staff, change approvers and customers see and may do."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from outages import changes
from outages.models import ChangeRequest, Outage
from tickets import services as tickets
from tickets.models import AuditEvent
from tickets.process import process_ticket_create

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
RFC = {
    "title": "Fail over to the standby database",
    "reason": "The primary database host lost its storage.",
    "implementation_plan": "Promote db02 and point the mail servers at it.",
    "backout_plan": "Point the mail servers back at db01.",
    "risk": "high",
}


@pytest.fixture
def outage(incident_manager, email_service) -> Outage:
    ticket = process_ticket_create(actor=incident_manager, title="E-mail is down campus-wide", impact="university",
                                   urgency="stopped_no_workaround", classification="outage", service=email_service)
    return Outage.objects.create(ticket=ticket, incident_manager=incident_manager, created_at=timezone.now())


@pytest.fixture
def approver(make_user):
    user = make_user("cab", staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="outages", codename="approve_change"))
    return user


def changes_url(outage: Outage) -> str:
    return f"/api/v1/outages/{outage.pk}/changes/"


def rfc_lines(outage: Outage) -> list[str]:
    return list(AuditEvent.objects.filter(ticket_id=outage.ticket_id, action=AuditEvent.Action.OUTAGE, field="rfc")
                .order_by("id").values_list("new_value", flat=True))


def request_change(api, user, outage: Outage, **overrides) -> dict:
    response = api(user).post(changes_url(outage), {**RFC, **overrides}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_staff_request_an_emergency_change_listed_on_the_outage_and_on_its_timeline(api, outage, technician):
    with time_machine.travel(START, tick=False):
        response = api(technician).post(changes_url(outage), RFC, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in (*RFC, "outage", "emergency", "state", "decided_by", "implemented_at")} == {
        **RFC, "outage": outage.pk, "emergency": True, "state": "requested", "decided_by": None,
        "implemented_at": None,
    }
    assert body["requested_by"]["username"] == "tech"
    assert datetime.fromisoformat(body["requested_at"]) == START

    listed = api(technician).get(changes_url(outage))
    assert listed.status_code == 200
    assert [(item["id"], item["title"], item["state"]) for item in listed.json()["results"]] == [
        (body["id"], "Fail over to the standby database", "requested")]
    assert api(technician).get(f"{changes_url(outage)}{body['id']}/").json()["title"] == RFC["title"]

    # Staff reading the outage ticket's timeline see the request, by whom and when.
    timeline = api(technician).get(f"/api/v1/tickets/{outage.ticket_id}/timeline/").json()
    steps = [item for item in timeline if item["type"] == "change" and item["field"] == "rfc"]
    assert [(s["new_value"], s["actor"]["username"], datetime.fromisoformat(s["created_at"])) for s in steps] == [
        (f"Emergency RFC {body['id']} requested (high risk): Fail over to the standby database", "tech", START)]


def test_a_request_missing_its_texts_is_refused_naming_each_missing_field(api, outage, technician):
    response = api(technician).post(changes_url(outage), {"title": "  ", "implementation_plan": ""}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {"title", "reason", "implementation_plan", "backout_plan", "risk"}
    assert response.json()["errors"]["reason"] == ["This field is required."]
    assert not ChangeRequest.objects.exists()
    assert rfc_lines(outage) == []


def test_the_service_names_each_blank_text_too(outage, technician):
    with pytest.raises(ValidationError) as refused:
        changes.change_request(actor=technician, outage_id=outage.pk, title="Fail over", reason=" ",
                               implementation_plan="", backout_plan="\n", risk="extreme")

    assert refused.value.message_dict == {
        "reason": ["This field is required."], "implementation_plan": ["This field is required."],
        "backout_plan": ["This field is required."], "risk": ["Choose one of: low, medium, high."],
    }
    assert not ChangeRequest.objects.exists()


def test_customers_can_neither_request_nor_read_changes(api, outage, customer, technician):
    request_change(api, technician, outage)

    assert api(customer).post(changes_url(outage), RFC, format="json").status_code == 403
    listed = api(customer).get(changes_url(outage))
    assert listed.status_code == 403
    assert listed.json()["code"] == "permission_denied"
    assert ChangeRequest.objects.count() == 1


def test_approving_without_the_change_approver_permission_is_refused(api, outage, technician, incident_manager):
    change = request_change(api, technician, outage)

    for user in (technician, incident_manager):
        refused = api(user).post(f"{changes_url(outage)}{change['id']}/approve/")
        assert refused.status_code == 403
        assert refused.json()["code"] == "permission_denied"
    assert ChangeRequest.objects.get(pk=change["id"]).state == "requested"
    assert len(rfc_lines(outage)) == 1


def test_an_approved_change_is_implemented_each_step_on_the_timeline(api, outage, technician, approver):
    change = request_change(api, technician, outage, emergency=False, risk="low")
    url = f"{changes_url(outage)}{change['id']}/"

    with time_machine.travel(START, tick=False):
        approved = api(approver).post(url + "approve/")
    assert approved.status_code == 200
    assert (approved.json()["state"], approved.json()["decided_by"]["username"]) == ("approved", "cab")
    assert datetime.fromisoformat(approved.json()["decided_at"]) == START

    implemented = api(technician).post(url + "implemented/")
    assert implemented.status_code == 200
    assert implemented.json()["state"] == "implemented"
    assert implemented.json()["implemented_at"] is not None

    number = change["id"]
    assert rfc_lines(outage) == [
        f"RFC {number} requested (low risk): Fail over to the standby database",
        f"RFC {number} approved: Fail over to the standby database",
        f"RFC {number} implemented: Fail over to the standby database",
    ]


def test_a_rejected_change_cannot_be_implemented_or_approved_later(api, outage, technician, approver):
    change = request_change(api, technician, outage)
    url = f"{changes_url(outage)}{change['id']}/"
    rejected = api(approver).post(url + "reject/")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"

    implemented = api(technician).post(url + "implemented/")
    approved = api(approver).post(url + "approve/")

    assert implemented.status_code == 409
    assert implemented.json() == {
        "detail": f"RFC {change['id']} is rejected: only approved changes can be implemented.",
        "code": "invalid_state",
    }
    assert approved.status_code == 409 and approved.json()["code"] == "invalid_state"
    assert ChangeRequest.objects.get(pk=change["id"]).state == "rejected"
    assert rfc_lines(outage)[-1] == f"RFC {change['id']} rejected: Fail over to the standby database"
    assert len(rfc_lines(outage)) == 2


def test_a_change_still_waiting_for_a_decision_cannot_be_implemented(api, outage, technician):
    change = request_change(api, technician, outage)

    response = api(technician).post(f"{changes_url(outage)}{change['id']}/implemented/")

    assert response.status_code == 409
    assert ChangeRequest.objects.get(pk=change["id"]).state == "requested"


def test_no_change_is_requested_for_a_cancelled_outage(api, outage, technician):
    tickets.ticket_transition(ticket_id=outage.ticket_id, actor=technician, to_status="cancelled")

    response = api(technician).post(changes_url(outage), RFC, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert not ChangeRequest.objects.exists()


def test_a_change_is_reached_only_through_its_own_outage(api, outage, technician, incident_manager, email_service):
    change = request_change(api, technician, outage)
    other_ticket = process_ticket_create(actor=incident_manager, title="VPN down", impact="university",
                                         urgency="stopped_no_workaround", classification="outage",
                                         service=email_service)
    other = Outage.objects.create(ticket=other_ticket, created_at=timezone.now())

    assert api(technician).get(f"{changes_url(other)}{change['id']}/").status_code == 404
    assert api(technician).get(changes_url(other)).json()["results"] == []
    assert api(technician).get("/api/v1/outages/999999/changes/").status_code == 404
    assert api(technician).post("/api/v1/outages/999999/changes/", RFC, format="json").status_code == 404


def test_an_outage_number_no_row_can_have_is_not_found(api, technician):
    huge = 10**30

    for response in (api(technician).get(f"/api/v1/outages/{huge}/changes/"),
                     api(technician).post(f"/api/v1/outages/{huge}/changes/", RFC, format="json"),
                     api(technician).post(f"/api/v1/outages/{huge}/changes/{huge}/approve/")):
        assert response.status_code == 404
