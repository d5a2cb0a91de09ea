"""The ticket resource as REST clients see it: roles, isolation, errors, conflicts."""

import json

import pytest

from tickets import services
from tickets.models import AuditEvent, Ticket

REPORT = {"title": "Wi-Fi drops in the library", "description": "Every few minutes", "impact": "building",
          "urgency": "impaired"}


@pytest.fixture
def alices_ticket(customer):
    return services.ticket_create(actor=customer, title="Laptop will not boot", impact="individual",
                                  urgency="stopped_no_workaround")


def test_customer_creates_ticket_and_gets_full_representation(api, customer, email_service):
    response = api(customer).post("/api/v1/tickets/", {**REPORT, "service": email_service.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new"
    assert body["requester"]["username"] == "alice"
    assert body["group"] == email_service.default_group_id
    assert (body["impact_category"], body["priority"], body["sla_clock"]) == ("minor", "standard", "business_hours")
    assert body["respond_by"].endswith(("-05:00", "-04:00"))
    assert body["allowed_next_statuses"] == ["cancelled"]
    assert response["ETag"] == '"v1"'


def test_customer_sees_only_own_tickets(api, customer, other_customer, alices_ticket):
    services.ticket_create(actor=other_customer, title="Bob's problem", impact="individual", urgency="impaired")

    listing = api(customer).get("/api/v1/tickets/").json()

    assert [t["id"] for t in listing["results"]] == [alices_ticket.pk]


@pytest.mark.parametrize("method, suffix", [
    ("get", ""), ("patch", ""), ("get", "entries/"), ("post", "entries/"), ("get", "timeline/"),
    ("get", "attachments/"),
])
def test_another_customers_ticket_is_a_404(api, other_customer, alices_ticket, method, suffix):
    client = api(other_customer)
    data = {"status": "cancelled"} if method == "patch" else {"body": "me too"}
    response = getattr(client, method)(f"/api/v1/tickets/{alices_ticket.pk}/{suffix}", data, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    alices_ticket.refresh_from_db()
    assert alices_ticket.status == "new"
    assert not alices_ticket.entries.exists()


def test_anonymous_client_is_refused(api, alices_ticket):
    response = api().get("/api/v1/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "detail" in response.json()


@pytest.mark.parametrize("field, value", [("assignee", "tech"), ("group", "desk"), ("status", "in_process"),
                                           ("classification", "outage")])
def test_customer_setting_staff_field_on_create_is_refused(api, customer, technician, service_desk, field, value):
    value = {"tech": technician.pk, "desk": service_desk.pk}.get(value, value)
    response = api(customer).post("/api/v1/tickets/", {**REPORT, field: value}, format="json")

    assert response.status_code in (400, 403)
    assert not Ticket.objects.exists()


def test_customer_patching_staff_fields_is_refused(api, customer, technician, alices_ticket):
    response = api(customer).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"assignee": technician.pk},
                                   format="json")
    assert response.status_code == 403
    alices_ticket.refresh_from_db()
    assert alices_ticket.assignee is None


def test_customer_withdraws_own_ticket(api, customer, alices_ticket):
    response = api(customer).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"status": "cancelled"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_unknown_enum_value_is_a_400_naming_the_field(api, customer):
    response = api(customer).post("/api/v1/tickets/", {**REPORT, "urgency": "whenever"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["urgency"]


def test_missing_required_fields_are_listed(api, customer):
    response = api(customer).post("/api/v1/tickets/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "impact", "urgency"}


def test_read_only_fields_are_refused_not_ignored(api, technician, alices_ticket):
    response = api(technician).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"priority": "emergency"},
                                     format="json")
    assert response.status_code == 400
    assert "priority" in response.json()["errors"]


def test_malformed_json_is_a_400(api, customer):
    response = api(customer).generic("POST", "/api/v1/tickets/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_an_oversized_body_is_a_413_in_the_error_shape_and_stores_nothing(api, customer, settings):
    body = {"title": "Huge", "description": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "impact": "individual",
            "urgency": "impaired"}
    response = api(customer).post("/api/v1/tickets/", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Ticket.objects.exists()


def test_null_byte_is_a_400_not_a_500(api, customer):
    response = api(customer).post("/api/v1/tickets/", {**REPORT, "title": "bad\x00title"}, format="json")
    assert response.status_code == 400


def test_invalid_transition_is_409_with_allowed_statuses(api, technician, alices_ticket):
    response = api(technician).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"status": "closed"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["allowed"] == ["in_process", "resolved", "cancelled"]
    alices_ticket.refresh_from_db()
    assert alices_ticket.status == "new"


def test_stale_if_match_is_412_and_nothing_changes(api, technician, dispatcher, alices_ticket):
    etag = api(technician).get(f"/api/v1/tickets/{alices_ticket.pk}/")["ETag"]
    api(dispatcher).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"title": "Laptop dead"}, format="json",
                          HTTP_IF_MATCH=etag)

    response = api(technician).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"title": "Boot failure"},
                                     format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert response.json()["code"] == "stale_version"
    alices_ticket.refresh_from_db()
    assert alices_ticket.title == "Laptop dead"


def test_stale_version_in_body_is_409(api, technician, alices_ticket):
    services.ticket_update(ticket_id=alices_ticket.pk, actor=technician, changes={"title": "Changed"})
    response = api(technician).patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"title": "Mine", "version": 1},
                                     format="json")
    assert response.status_code == 409


def test_staff_moves_ticket_and_the_timeline_shows_it(api, technician, alices_ticket):
    client = api(technician)
    assert client.patch(f"/api/v1/tickets/{alices_ticket.pk}/", {"status": "in_process"},
                        format="json").status_code == 200

    timeline = client.get(f"/api/v1/tickets/{alices_ticket.pk}/timeline/").json()
    timeline = [item for item in timeline if item["type"] == "change"]

    assert [(e["action"], e["new_value"]) for e in timeline] == [("created", "new"), ("status", "in_process")]
    assert timeline[1]["actor"]["username"] == "tech"
    assert timeline[1]["channel"] == "api"


def test_customer_sees_replies_but_not_internal_notes(api, customer, technician, alices_ticket):
    api(technician).post(f"/api/v1/tickets/{alices_ticket.pk}/entries/", {"body": "Try safe mode"}, format="json")
    api(technician).post(f"/api/v1/tickets/{alices_ticket.pk}/entries/",
                         {"body": "Disk is probably dead", "internal": True}, format="json")

    seen_by_customer = api(customer).get(f"/api/v1/tickets/{alices_ticket.pk}/entries/").json()
    seen_by_staff = api(technician).get(f"/api/v1/tickets/{alices_ticket.pk}/entries/").json()

    assert [e["body"] for e in seen_by_customer] == ["Try safe mode"]
    assert [e["visibility"] for e in seen_by_staff] == ["public", "internal"]
    customer_timeline = api(customer).get(f"/api/v1/tickets/{alices_ticket.pk}/timeline/").json()
    assert [e["action"] for e in customer_timeline if e["type"] == "change"] == ["created", "replied"]


def test_customer_internal_note_is_refused(api, customer, alices_ticket):
    response = api(customer).post(f"/api/v1/tickets/{alices_ticket.pk}/entries/",
                                  {"body": "hi", "internal": True}, format="json")
    assert response.status_code == 403
    assert not alices_ticket.entries.exists()


def test_filters_by_status_and_breached(api, technician, customer, alices_ticket):
    other = services.ticket_create(actor=customer, title="Other", impact="individual", urgency="impaired")
    services.ticket_transition(ticket_id=other.pk, actor=technician, to_status="in_process")
    Ticket.objects.filter(pk=alices_ticket.pk).update(resolve_breached=True)
    client = api(technician)

    assert [t["id"] for t in client.get("/api/v1/tickets/?status=in_process").json()["results"]] == [other.pk]
    assert [t["id"] for t in client.get("/api/v1/tickets/?breached=true").json()["results"]] == [alices_ticket.pk]
    assert client.get("/api/v1/tickets/?status=bogus").status_code == 400


def test_no_deletes(api, technician, alices_ticket):
    assert api(technician).delete(f"/api/v1/tickets/{alices_ticket.pk}/").status_code == 405
    assert Ticket.objects.filter(pk=alices_ticket.pk).exists()
    assert AuditEvent.objects.filter(ticket=alices_ticket).count() == 1
