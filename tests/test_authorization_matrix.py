"""Who may do what under /api/v1/: every endpoint and method × every kind of caller, one test per row.

The callers (the matrix's columns, in this order):

==============  ==============================================================================
customer_a      Alice, a customer; owns the ticket every ``{id}`` of ``/tickets/`` points at
customer_b      Bob, another customer (owns a ticket of his own)
api_token       an Alertmanager integration's token (``Authorization: Bearer <key>``): it opens the Alertmanager
                door and nothing else, a 403 on every other endpoint (``/api/v1/me/`` included)
technician      staff, member of the Service Desk group
dispatcher      staff, member and dispatcher of the Service Desk group (the ticket's group)
administrator   a superuser
anonymous       no credentials: 401 (a row may say otherwise, but never a 2xx)
==============  ==============================================================================

Each row of ``MATRIX`` is one request (method, path template, a named scenario, the body) and the
status code each caller must get; ``check`` adds assertions on the answer. Every refused request
(4xx) and every read must leave the database exactly as it was (tickets, conversation, attachments,
audit trail, notifications, holidays, outage records): no cross-customer read or write, no customer write to a
staff field.

A new endpoint under /api/v1/ fails ``test_every_api_endpoint_has_a_row`` until it gets a row: add a
``Row("METHOD", "/api/v1/<path with {id}>", "scenario", E(a, b, token, tech, disp, admin), body=...)``
(``{id}`` is filled from ``Row.target``: the ticket, group, service, holiday, ...; ``{outage_id}`` from
``Row.outage``, an outage; ``E(..., anonymous=400)`` for an endpoint that authenticates by its body), add the
objects it needs to the ``world`` fixture and the tables it writes to ``SNAPSHOT_MODELS``.

Outages are staff's: customers and the integration get 403. Running one (choosing its incident manager, its
plan, updates, workaround, responders, reclassification, resolution, permanent fix, closing) is for its incident
manager, the service owner or an administrator, so the technician and the dispatcher (neither) are refused where
the administrator succeeds; approving a community message, deciding an RFC and publishing a review each need their
own permission; raising or promoting, linking children, RFCs and writing or submitting a review are any staff's.
Only the outage rows build the outages of the ``world`` (``Row.about_outages``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from outages import changes as outage_changes
from outages import reviews as outage_reviews
from outages import services as outage_services
from outages.models import AfterActionReview, ChangeRequest, Outage, Update
from sla.models import Calendar, Holiday
from tickets import services
from tickets.intake.integrations import integration_create
from tickets.intake.models import AlertGroup, Integration, RawEvent
from tickets.models import Attachment, AuditEvent, ConversationEntry, Group, Ticket
from tickets.notifications.models import Notification

ROLES = ("customer_a", "customer_b", "api_token", "technician", "dispatcher", "administrator", "anonymous")
CUSTOMERS = frozenset({"customer_a", "customer_b", "api_token"})
STAFF = frozenset({"technician", "dispatcher", "administrator"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
API_PREFIX = "api/v1/"


def E(customer_a: int, customer_b: int, api_token: int, technician: int, dispatcher: int, administrator: int,
      anonymous: int = 401) -> dict[str, int]:
    """One row's expected status codes, in the order of ``ROLES``."""
    return dict(zip(ROLES, (customer_a, customer_b, api_token, technician, dispatcher, administrator, anonymous),
                    strict=True))


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as in the OpenAPI schema: "/api/v1/tickets/{id}/"
    scenario: str
    expect: dict[str, int]
    body: Callable[[Any], Any] | None = None  # world -> request data
    format: str = "json"
    target: str = "ticket"  # which object fills {id}
    attachment: str = "public_attachment"  # which attachment fills {attachment_id}
    outage: str = "outage"  # which outage fills {outage_id}
    query: Callable[[Any], dict] | None = None  # world -> query parameters
    check: Callable[[Any, str, Any], None] | None = field(default=None, compare=False)
    error_key: str = "code"  # PagerDuty's door answers in PagerDuty's shape: {"status", "message", "errors"}

    @property
    def about_outages(self) -> bool:
        """The outage process's endpoints: only their rows build the outages of the ``world`` (they are slow)."""
        return self.path.startswith(("/api/v1/outage", "/api/v1/reviews/"))

    def url(self, world) -> str:
        names = {"id": self.target, "attachment_id": self.attachment, "outage_id": self.outage,
                 "user_id": "responder"}
        url = self.path.format(**{key: getattr(world, name).pk for key, name in names.items()
                                  if "{" + key + "}" in self.path})
        return f"{url}?{urlencode(self.query(world))}" if self.query else url


# --- Checks on successful answers --------------------------------------------------------------

def _results(response) -> list[dict]:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def sees_only_own_tickets(world, role, response):
    seen = {item["id"] for item in _results(response)}
    if role in CUSTOMERS:
        assert seen == {t.pk for t in Ticket.objects.filter(requester=world.users[role])}
    else:
        assert {world.ticket.pk, world.bobs_ticket.pk} <= seen


def filtered_to_bobs_ticket(world, role, response):
    seen = [item["id"] for item in _results(response)]
    assert seen == ([] if role in {"customer_a", "api_token"} else [world.bobs_ticket.pk])


def reported_as_self(world, role, response):
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.requester == world.users[role]
    if role in CUSTOMERS:
        assert (ticket.group, ticket.assignee, ticket.classification) == (None, None, "incident")


def reported_for_someone_else(world, role, response):
    assert Ticket.objects.get(pk=response.json()["id"]).requester == world.users["customer_b"]


def customer_view_of_ticket(world, role, response):
    assert response.json()["id"] == world.ticket.pk
    assert ("sla_process" in response.json()) is (role in STAFF)


def changed_to(**values):
    def check(world, role, response):
        world.ticket.refresh_from_db()
        for name, value in values.items():
            value = value(world) if callable(value) else value
            assert getattr(world.ticket, name) == value, name
    return check


def public_entries_only_for_customers(world, role, response):
    visibilities = {item["visibility"] for item in response.json()}
    assert visibilities == ({"public"} if role in CUSTOMERS else {"public", "internal"})


def stored_public_reply(world, role, response):
    entry = ConversationEntry.objects.get(pk=response.json()["id"])
    assert (entry.author, entry.visibility, entry.ticket) == (world.users[role], "public", world.ticket)


def stored_internal_note(world, role, response):
    assert role in STAFF  # a customer's "internal" note is refused, never stored (as internal or public)
    entry = ConversationEntry.objects.get(pk=response.json()["id"])
    assert entry.visibility == "internal"


def timeline_without_internal_items(world, role, response):
    actions = {item.get("action") for item in response.json() if item["type"] == "change"}
    if role in CUSTOMERS:
        assert actions <= {"created", "status", "replied", "attached"}
        assert all(item["kind"] != "assigned_to_group" for item in response.json() if item["type"] == "notification")
    else:
        assert "noted" in actions


def public_attachments_only_for_customers(world, role, response):
    seen = {item["id"] for item in response.json()}
    expected = {world.public_attachment.pk}
    if role in STAFF:
        expected.add(world.internal_attachment.pk)
    assert seen == expected


def stored_attachment(visibility):
    def check(world, role, response):
        attachment = Attachment.objects.get(pk=response.json()["id"])
        assert (attachment.visibility, attachment.uploaded_by, attachment.ticket) == (
            visibility, world.users[role], world.ticket)
    return check


def downloaded(world, role, response):
    assert b"".join(response.streaming_content) == PNG


def groups_hidden_from_customers(world, role, response):
    names = {item["name"] for item in _results(response)}
    assert names == (set() if role in CUSTOMERS else {"Service Desk", "Network"})


def me_is_me(world, role, response):
    assert response.json()["username"] == world.users[role].username


def bulk_assigned(world, role, response):
    assert response.json()["updated"] == [world.ticket.pk]
    world.ticket.refresh_from_db()
    assert world.ticket.assignee == world.users["technician"]


def bulk_moved(world, role, response):
    world.ticket.refresh_from_db()
    assert world.ticket.group == world.network


def integration_created(world, role, response):
    assert response.json()["token"] and Integration.objects.filter(name="Zabbix", kind="webhook").exists()


def alert_ticket_opened(world, role, response):
    ticket = Ticket.objects.get(pk=response.json()["ticket"])
    assert (ticket.source, ticket.requester) == ("monitoring", world.users["api_token"])


def holiday_added(world, role, response):
    assert Holiday.objects.filter(name="Matrix day").exists()


def holiday_deleted(world, role, response):
    assert not Holiday.objects.filter(pk=world.holiday.pk).exists()


# Outages.

def _ids(response) -> set[int]:
    return {item["id"] for item in _results(response)}


def _reloaded(world, name: str) -> Outage:
    return Outage.objects.select_related("ticket").get(pk=getattr(world, name).pk)


def lists_the_outages(world, role, response):
    assert {world.outage.pk, world.problem.pk, world.resolved.pk} <= _ids(response)


def raised_by(world, role, response):
    outage = Outage.objects.select_related("ticket").get(pk=response.json()["id"])
    assert (outage.ticket.title, outage.ticket.classification) == ("Matrix outage", "outage")
    assert outage.ticket.requester == world.users[role]


def raised_with_incident_manager(world, role, response):
    outage = Outage.objects.select_related("ticket").get(pk=response.json()["id"])
    assert outage.incident_manager == outage.ticket.assignee == world.deputy


def promoted(world, role, response):
    world.incident.refresh_from_db()
    assert world.incident.parent_id == response.json()["id"] != world.outage.pk
    assert Outage.objects.filter(pk=response.json()["id"]).exists()


def outage_read(world, role, response):
    body = response.json()
    assert (body["id"], body["incident_manager"]["id"]) == (world.outage.pk, world.im.pk)
    assert world.child.pk in {child["id"] for child in body["children"]}


def incident_manager_chosen(world, role, response):
    outage = _reloaded(world, "outage")
    assert outage.incident_manager == outage.ticket.assignee == world.deputy


def responders_set(world, role, response):
    assert list(_reloaded(world, "outage").responders.all()) == [world.users["technician"]]


def responders_replaced(world, role, response):
    assert list(_reloaded(world, "staffed").responders.all()) == [world.deputy]


def responder_removed(world, role, response):
    assert list(_reloaded(world, "staffed").responders.all()) == []


def child_linked(world, role, response):
    world.incident.refresh_from_db()
    assert world.incident.parent_id == world.outage.pk
    assert [item["id"] for item in response.json()] == [world.incident.pk]


def child_unlinked(world, role, response):
    world.child.refresh_from_db()
    assert world.child.parent_id is None
    assert [item["id"] for item in response.json()] == [world.child.pk]


def reclassified_as_problem(world, role, response):
    assert _reloaded(world, "outage").ticket.classification == "problem"


def plan_changed(world, role, response):
    outage = _reloaded(world, "outage")
    assert (outage.audiences, outage.cadence_minutes) == (["ticket", "its-alerts"], 60)


def lists_the_held_update(world, role, response):
    assert world.held_update.pk in _ids(response)


def update_sent(world, role, response):
    update = Update.objects.get(pk=response.json()["id"])
    assert (update.outage_id, update.posted_by) == (world.outage.pk, world.users[role])
    assert (update.text, update.audiences) == ("Mail flows again.", ["ticket"])
    told = Notification.objects.filter(ticket_id=world.outage.pk, kind="outage_update", body_text__contains="flows")
    assert {address for notification in told for address in notification.to} >= {world.carol.email}


def workaround_published(world, role, response):
    problem = _reloaded(world, "problem")
    assert problem.workaround == "Use webmail." and problem.workaround_published_at is not None
    assert Update.objects.get(pk=response.json()["id"]).kind == "workaround"
    assert Notification.objects.filter(ticket_id=problem.pk, kind="outage_workaround").exists()


def outage_resolved(world, role, response):
    outage = _reloaded(world, "outage")
    assert (outage.ticket.status, outage.all_clear) == ("resolved", "The relay is back.")
    world.child.refresh_from_db()
    assert world.child.status == "resolved"
    assert Update.objects.filter(outage=outage, kind="all_clear").exists()


def permanent_fix_recorded(world, role, response):
    assert _reloaded(world, "outage").permanent_fix == "Mirrored spool disks."


def outage_closed(world, role, response):
    assert _reloaded(world, "resolved").ticket.status == "closed"


def community_update(state):
    def check(world, role, response):
        world.held_update.refresh_from_db()
        assert (world.held_update.community_state, world.held_update.decided_by) == (state, world.users[role])
        sent = Notification.objects.filter(ticket_id=world.outage.pk, distribution_list__slug="community").exists()
        assert sent is (state == "approved")
    return check


def lists_the_changes(world, role, response):
    assert [item["id"] for item in _results(response)] == [world.change.pk, world.approved_change.pk]


def change_requested(world, role, response):
    change = ChangeRequest.objects.get(pk=response.json()["id"])
    assert (change.outage_id, change.state, change.requested_by) == (world.outage.pk, "requested", world.users[role])


def change_read(world, role, response):
    assert (response.json()["id"], response.json()["state"]) == (world.change.pk, "requested")


def change_now(state, name="change"):
    def check(world, role, response):
        change = getattr(world, name)
        change.refresh_from_db()
        assert change.state == state
        if state in ("approved", "rejected"):
            assert change.decided_by == world.users[role]
    return check


def review_read(world, role, response):
    assert (response.json()["outage"], response.json()["state"]) == (world.outage.pk, "draft")


def review_sections(**sections):
    def check(world, role, response):
        review = AfterActionReview.objects.get(outage=world.outage)
        assert {name: getattr(review, name) for name in sections} == sections
        assert review.state == "draft"
    return check


def review_now(state, name):
    def check(world, role, response):
        review = AfterActionReview.objects.get(outage=getattr(world, name))
        assert review.state == state
        if state == "published":
            assert review.published_by == world.users[role]
    return check


def review_markdown(world, role, response):
    assert response["Content-Type"].startswith("text/markdown")
    assert response.content.decode().startswith(f"# After-Action Review: #{world.published.pk} ")


def lists_published_reviews_only(world, role, response):
    assert _ids(response) == {world.published_review.pk}


def published_review_read(world, role, response):
    assert (response.json()["id"], response.json()["state"]) == (world.published_review.pk, "published")


def _upload(internal: bool = False):
    def body(world):
        data: dict[str, Any] = {"file": SimpleUploadedFile("screen.png", PNG, content_type="image/png")}
        if internal:
            data["internal"] = "true"
        return data
    return body


REPORT = {"title": "Projector in room 101 is dark", "impact": "individual", "urgency": "impaired"}

# --- The matrix ------------------------------------------------------------------------------------
#                                                                        A    B  token tech disp admin
T, TID, INT = "/api/v1/tickets/", "/api/v1/tickets/{id}/", "/api/v1/integrations/"
ALERT = {"version": "4", "status": "firing", "groupKey": "{}:{alertname=\"DiskFull\"}", "receiver": "itsm",
         "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}, "annotations": {},
                     "fingerprint": "0123456789abcdef"}]}
OUT, OID = "/api/v1/outages/", "/api/v1/outages/{id}/"
CH, RV = "/api/v1/outages/{outage_id}/changes/", "/api/v1/outages/{outage_id}/review/"
STAFF_ONLY, RUNNER = E(403, 403, 403, 200, 200, 200), E(403, 403, 403, 403, 403, 200)
OUTAGE = {"title": "Matrix outage", "impact": "department", "urgency": "impaired"}
RFC = {"title": "Fail over the relay", "reason": "It is down.", "implementation_plan": "Switch DNS.",
       "backout_plan": "Switch back.", "risk": "low"}
SECTIONS = {name: f"The {name.replace('_', ' ')}." for name in AfterActionReview.REQUIRED_FIELDS}
MATRIX: list[Row] = [
    # Tickets: customers see and act on their own only (another's is a 404, not a 403: no existence leak).
    Row("GET", T, "list", E(200, 200, 403, 200, 200, 200), check=sees_only_own_tickets),
    Row("GET", T, "filter by another requester", E(200, 200, 403, 200, 200, 200),
        query=lambda w: {"requester": w.bobs_ticket.requester_id}, check=filtered_to_bobs_ticket),
    Row("GET", T, "search another's title", E(200, 200, 403, 200, 200, 200),
        query=lambda w: {"search": "printer"}, check=filtered_to_bobs_ticket),
    Row("POST", T, "report", E(201, 201, 403, 201, 201, 201), body=lambda w: REPORT, check=reported_as_self),
    Row("POST", T, "report with staff fields", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {**REPORT, "assignee": w.users["technician"].pk, "group": w.desk.pk,
                        "classification": "incident"}),
    Row("POST", T, "report for someone else", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {**REPORT, "requester": w.users["customer_b"].pk}, check=reported_for_someone_else),
    Row("POST", T, "report for an e-mail address", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {**REPORT, "requester_email": "carol@example.edu"}),
    Row("GET", TID, "read", E(200, 404, 403, 200, 200, 200), check=customer_view_of_ticket),
    Row("PATCH", TID, "assign", E(403, 404, 403, 200, 200, 200),
        body=lambda w: {"assignee": w.users["technician"].pk},
        check=changed_to(assignee=lambda w: w.users["technician"])),
    Row("PATCH", TID, "move group", E(403, 404, 403, 200, 200, 200), body=lambda w: {"group": w.network.pk},
        check=changed_to(group=lambda w: w.network)),
    Row("PATCH", TID, "raise impact", E(403, 404, 403, 200, 200, 200), body=lambda w: {"impact": "university"},
        check=changed_to(impact="university")),
    Row("PATCH", TID, "reclassify (the outage process's)", E(403, 404, 403, 409, 409, 409),
        body=lambda w: {"classification": "outage"}),
    Row("PATCH", TID, "take in process", E(403, 404, 403, 200, 200, 200), body=lambda w: {"status": "in_process"},
        check=changed_to(status="in_process")),
    Row("PATCH", TID, "withdraw", E(200, 404, 403, 200, 200, 200), body=lambda w: {"status": "cancelled"},
        check=changed_to(status="cancelled")),
    Row("PATCH", TID, "read-only priority", E(400, 404, 403, 400, 400, 400), body=lambda w: {"priority": "emergency"}),
    Row("GET", TID + "entries/", "conversation", E(200, 404, 403, 200, 200, 200),
        check=public_entries_only_for_customers),
    Row("POST", TID + "entries/", "public reply", E(201, 404, 403, 201, 201, 201),
        body=lambda w: {"body": "Still broken."}, check=stored_public_reply),
    Row("POST", TID + "entries/", "internal note", E(403, 404, 403, 201, 201, 201),
        body=lambda w: {"body": "Probably the lamp.", "internal": True}, check=stored_internal_note),
    Row("GET", TID + "timeline/", "timeline", E(200, 404, 403, 200, 200, 200), check=timeline_without_internal_items),
    Row("GET", TID + "attachments/", "attachments", E(200, 404, 403, 200, 200, 200),
        check=public_attachments_only_for_customers),
    Row("POST", TID + "attachments/", "public upload", E(201, 404, 403, 201, 201, 201), body=_upload(),
        format="multipart", check=stored_attachment("public")),
    Row("POST", TID + "attachments/", "internal upload", E(403, 404, 403, 201, 201, 201), body=_upload(internal=True),
        format="multipart", check=stored_attachment("internal")),
    Row("GET", TID + "attachments/{attachment_id}/download/", "public file", E(200, 404, 403, 200, 200, 200),
        check=downloaded),
    Row("GET", TID + "attachments/{attachment_id}/download/", "internal file", E(404, 404, 403, 200, 200, 200),
        attachment="internal_attachment", check=downloaded),
    # Bulk routing: dispatchers of the ticket's group and administrators only.
    Row("POST", T + "bulk-assign/", "assign", E(403, 403, 403, 403, 200, 200),
        body=lambda w: {"tickets": [w.ticket.pk], "assignee": w.users["technician"].pk}, check=bulk_assigned),
    Row("POST", T + "bulk-move/", "move", E(403, 403, 403, 403, 200, 200),
        body=lambda w: {"tickets": [w.ticket.pk], "group": w.network.pk}, check=bulk_moved),
    # Monitoring integrations: administrators manage them; each webhook takes only its own kind's token.
    Row("GET", INT, "list", E(403, 403, 403, 403, 403, 200)),
    Row("POST", INT, "create", E(403, 403, 403, 403, 403, 201), body=lambda w: {
        "name": "Zabbix", "kind": "webhook", "service": w.service.pk}, check=integration_created),
    Row("GET", INT + "{id}/", "read", E(403, 403, 403, 403, 403, 200), target="integration"),
    Row("PATCH", INT + "{id}/", "stop auto-resolving", E(403, 403, 403, 403, 403, 200), target="integration",
        body=lambda w: {"auto_resolve": False}),
    Row("POST", INT + "{id}/rotate/", "rotate secrets", E(403, 403, 403, 403, 403, 200), target="integration"),
    Row("POST", INT + "alertmanager/", "alert", E(403, 403, 200, 403, 403, 403), body=lambda w: ALERT,
        check=alert_ticket_opened),
    Row("POST", INT + "grafana/", "alert", E(403, 403, 403, 403, 403, 403), body=lambda w: ALERT),
    Row("POST", INT + "webhook/", "alert", E(403, 403, 403, 403, 403, 403),
        body=lambda w: {"alert_uid": "1", "title": "x", "state": "alerting"}),
    Row("POST", INT + "email/", "raw message", E(403, 403, 403, 403, 403, 403),
        body=lambda w: "From: a@example.edu\r\nSubject: hi\r\n\r\nhello\r\n"),
    Row("POST", INT + "pagerduty/v2/enqueue/", "unknown routing key", E(400, 400, 400, 400, 400, 400, anonymous=400),
        error_key="status", body=lambda w: {"routing_key": "0" * 32, "event_action": "trigger",
                                            "payload": {"summary": "x", "source": "y", "severity": "info"}}),
    # Reference data: services for everyone signed in; groups are staff's (customers get an empty list).
    Row("GET", "/api/v1/services/", "list", E(200, 200, 403, 200, 200, 200)),
    Row("GET", "/api/v1/services/{id}/", "read", E(200, 200, 403, 200, 200, 200), target="service"),
    Row("GET", "/api/v1/groups/", "list", E(200, 200, 403, 200, 200, 200), check=groups_hidden_from_customers),
    Row("GET", "/api/v1/groups/{id}/", "read", E(404, 404, 403, 200, 200, 200), target="desk"),
    Row("GET", "/api/v1/me/", "me", E(200, 200, 403, 200, 200, 200), check=me_is_me),
    # Business calendar: staff read, administrators write.
    Row("GET", "/api/v1/calendar/holidays/", "list", E(403, 403, 403, 200, 200, 200)),
    Row("POST", "/api/v1/calendar/holidays/", "add", E(403, 403, 403, 403, 403, 201),
        body=lambda w: {"date": "2031-12-24", "name": "Matrix day"}, check=holiday_added),
    Row("GET", "/api/v1/calendar/holidays/{id}/", "read", E(403, 403, 403, 200, 200, 200), target="holiday"),
    Row("DELETE", "/api/v1/calendar/holidays/{id}/", "delete", E(403, 403, 403, 403, 403, 204), target="holiday",
        check=holiday_deleted),
    # Outages: staff only. Running one is its incident manager's, the service owner's or an administrator's;
    # linking children, promoting an incident, RFCs and writing the review are any staff's.
    Row("GET", OUT, "list", STAFF_ONLY, check=lists_the_outages),
    Row("POST", OUT, "raise", E(403, 403, 403, 201, 201, 201), body=lambda w: {**OUTAGE, "service": w.service.pk},
        check=raised_by),
    Row("POST", OUT, "raise naming its incident manager", E(403, 403, 403, 403, 403, 201),
        body=lambda w: {**OUTAGE, "service": w.service.pk, "incident_manager": w.deputy.pk},
        check=raised_with_incident_manager),
    Row("POST", OUT + "promote/", "promote an incident", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {"ticket": w.incident.pk}, check=promoted),
    Row("GET", OID, "read", STAFF_ONLY, target="outage", check=outage_read),
    Row("POST", OID + "incident-manager/", "choose the incident manager", RUNNER, target="outage",
        body=lambda w: {"user": w.deputy.pk}, check=incident_manager_chosen),
    Row("POST", OID + "responders/", "add responders", RUNNER, target="outage",
        body=lambda w: {"users": [w.users["technician"].pk]}, check=responders_set),
    Row("POST", OID + "responders/", "the incident manager is no responder", E(403, 403, 403, 403, 403, 400),
        target="outage", body=lambda w: {"user": w.im.pk}),
    Row("PUT", OID + "responders/", "replace the responders", RUNNER, target="staffed",
        body=lambda w: {"users": [w.deputy.pk]}, check=responders_replaced),
    Row("DELETE", OID + "responders/{user_id}/", "remove a responder", RUNNER, target="staffed",
        check=responder_removed),
    Row("POST", OID + "children/", "link an incident", STAFF_ONLY, target="outage",
        body=lambda w: {"tickets": [w.incident.pk]}, check=child_linked),
    Row("POST", OID + "children/unlink/", "unlink a child", STAFF_ONLY, target="outage",
        body=lambda w: {"tickets": [w.child.pk]}, check=child_unlinked),
    Row("POST", OID + "reclassify/", "to problem", RUNNER, target="outage",
        body=lambda w: {"classification": "problem"}, check=reclassified_as_problem),
    Row("PUT", OID + "plan/", "communication plan", RUNNER, target="outage",
        body=lambda w: {"audiences": ["its-alerts", "ticket"], "cadence_minutes": 60}, check=plan_changed),
    Row("GET", OID + "updates/", "updates", STAFF_ONLY, target="outage", check=lists_the_held_update),
    Row("POST", OID + "updates/", "post an update", E(403, 403, 403, 403, 403, 201), target="outage",
        body=lambda w: {"text": "Mail flows again.", "audiences": ["ticket"]}, check=update_sent),
    Row("POST", OID + "workaround/", "publish a workaround", E(403, 403, 403, 403, 403, 201), target="problem",
        body=lambda w: {"text": "Use webmail."}, check=workaround_published),
    Row("POST", OID + "resolve/", "all clear", RUNNER, target="outage",
        body=lambda w: {"all_clear": "The relay is back."}, check=outage_resolved),
    Row("POST", OID + "permanent-fix/", "record the fix", RUNNER, target="outage",
        body=lambda w: {"text": "Mirrored spool disks."}, check=permanent_fix_recorded),
    Row("POST", OID + "close/", "close", RUNNER, target="resolved", check=outage_closed),
    # Community messages: Communications / Senior Leadership (outages.approve_community_update) decide them.
    Row("GET", "/api/v1/outage-updates/held/", "held", STAFF_ONLY, check=lists_the_held_update),
    Row("POST", "/api/v1/outage-updates/{id}/approve/", "approve", RUNNER, target="held_update",
        check=community_update("approved")),
    Row("POST", "/api/v1/outage-updates/{id}/reject/", "reject", RUNNER, target="held_update",
        check=community_update("rejected")),
    # Requests for change: any staff requests and reports them implemented; approvers (outages.approve_change) decide.
    Row("GET", CH, "list", STAFF_ONLY, check=lists_the_changes),
    Row("POST", CH, "request", E(403, 403, 403, 201, 201, 201), body=lambda w: RFC, check=change_requested),
    Row("GET", CH + "{id}/", "read", STAFF_ONLY, target="change", check=change_read),
    Row("POST", CH + "{id}/approve/", "approve", RUNNER, target="change", check=change_now("approved")),
    Row("POST", CH + "{id}/reject/", "reject", RUNNER, target="change", check=change_now("rejected")),
    Row("POST", CH + "{id}/implemented/", "implemented", STAFF_ONLY, target="approved_change",
        check=change_now("implemented", "approved_change")),
    # After-Action Reviews: any staff writes and submits one; reviewers (outages.publish_review) publish it.
    Row("GET", RV, "read", STAFF_ONLY, check=review_read),
    Row("PUT", RV, "rewrite", STAFF_ONLY, body=lambda w: SECTIONS, check=review_sections(**SECTIONS)),
    Row("PATCH", RV, "edit a section", STAFF_ONLY, body=lambda w: {"prevention": "Mirror the disks."},
        check=review_sections(prevention="Mirror the disks.", root_cause="A full spool disk.")),
    Row("POST", RV + "submit/", "submit", STAFF_ONLY, outage="resolved", check=review_now("submitted", "resolved")),
    Row("POST", RV + "publish/", "publish", RUNNER, outage="submitted", check=review_now("published", "submitted")),
    Row("GET", RV + "markdown/", "export", STAFF_ONLY, outage="published", check=review_markdown),
    Row("GET", "/api/v1/reviews/", "published", STAFF_ONLY, check=lists_published_reviews_only),
    Row("GET", "/api/v1/reviews/{id}/", "read", STAFF_ONLY, target="published_review", check=published_review_read),
]


def _row_id(row: Row) -> str:
    return f"{row.method} {row.path.removeprefix('/api/v1/')} [{row.scenario}]"


ROWS = [pytest.param(row, id=_row_id(row)) for row in MATRIX]


# --- The world every row runs in ---------------------------------------------------------------------

@pytest.fixture
def world(request, make_user, customer, other_customer, technician, dispatcher, admin_user, incident_manager,
          service_desk, email_service, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    alertmanager, issued = integration_create(name="Prometheus", kind="alertmanager", service=email_service)
    integration, key = alertmanager.user, issued.token
    network = Group.objects.create(name="Network", slug="network")
    ticket = services.ticket_create(actor=customer, title="Alice's laptop will not boot", impact="individual",
                                    urgency="impaired", service=email_service)
    bobs_ticket = services.ticket_create(actor=other_customer, title="Bob's printer jams", impact="individual",
                                         urgency="impaired", service=email_service)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Looking into it.")
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Disk SMART errors.", internal=True)
    public = services.attachment_add(ticket_id=ticket.pk, actor=customer,
                                     uploaded=SimpleUploadedFile("photo.png", PNG, content_type="image/png"))
    internal = services.attachment_add(ticket_id=ticket.pk, actor=technician, internal=True,
                                       uploaded=SimpleUploadedFile("log.png", PNG, content_type="image/png"))
    holiday = Holiday.objects.create(calendar=Calendar.objects.get(is_default=True), date="2031-12-25",
                                     name="Christmas")
    users = {"customer_a": customer, "customer_b": other_customer, "api_token": integration,
             "technician": technician, "dispatcher": dispatcher, "administrator": admin_user, "anonymous": None}

    def client(role: str) -> APIClient:
        api = APIClient()
        if role == "api_token":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        elif users[role] is not None:
            api.force_authenticate(users[role])
        return api

    ticket.refresh_from_db()
    row = getattr(request.node, "callspec", None) and request.node.callspec.params.get("row")
    outages = _outage_world(make_user, incident_manager, admin_user, email_service) if row is None or \
        row.about_outages else {}
    return SimpleNamespace(users=users, client=client, ticket=ticket, bobs_ticket=bobs_ticket, desk=service_desk,
                           network=network, service=email_service, holiday=holiday, public_attachment=public,
                           internal_attachment=internal, integration=alertmanager, **outages)


def _outage_world(make_user, im, admin, service) -> dict[str, Any]:
    """Outages, each in the state one row starts from, run by ``im``, who is none of the matrix's callers."""
    deputy = make_user("deputy", staff=True)
    deputy.user_permissions.add(Permission.objects.get(codename="act_as_incident_manager"))
    carol = make_user("carol")

    def raised(title: str, classification: str = "outage") -> Outage:
        outage = outage_services.outage_raise(actor=im, title=title, impact="department", urgency="impaired",
                                              service=service, classification=classification)
        return outage_services.incident_manager_set(actor=admin, outage_id=outage.pk, user=im)

    def resolved(title: str, review: str = "") -> Outage:
        outage = raised(title)
        outage_services.outage_resolve(actor=im, outage_id=outage.pk, all_clear="Fixed.")
        if review:
            outage_reviews.review_save(actor=im, outage_id=outage.pk, **SECTIONS)
        if review in ("submitted", "published"):
            outage_reviews.review_submit(actor=im, outage_id=outage.pk)
        if review == "published":
            outage_reviews.review_publish(actor=admin, outage_id=outage.pk)
        return outage

    def incident(title: str):
        return services.ticket_create(actor=carol, title=title, impact="individual", urgency="impaired",
                                      service=service)

    outage = raised("Mail relay down")
    child, unlinked = incident("Cannot send mail"), incident("Mail bounces")
    outage_services.children_link(actor=im, outage_id=outage.pk, ticket_ids=[child.pk])
    outage_services.plan_set(actor=im, outage_id=outage.pk, audiences=["ticket", "community"], cadence_minutes=30)
    held = outage_services.update_post(actor=im, outage_id=outage.pk, text="We are on it.")
    assert held.community_state == Update.CommunityState.HELD

    def rfc(title: str) -> ChangeRequest:
        return outage_changes.change_request(actor=im, outage_id=outage.pk, **{**RFC, "title": title})

    change, approved = rfc("Fail over the relay"), rfc("Replace the spool disk")
    outage_changes.change_decide(actor=admin, change_id=approved.pk, approve=True)
    outage_reviews.review_save(actor=im, outage_id=outage.pk, root_cause="A full spool disk.")
    published = resolved("Wi-Fi down in the library", review="published")
    staffed = raised("Printing down")
    responder = make_user("responder", staff=True)
    outage_services.responder_add(actor=im, outage_id=staffed.pk, user=responder)
    return {"im": im, "deputy": deputy, "carol": carol, "outage": Outage.objects.get(pk=outage.pk),
            "staffed": Outage.objects.get(pk=staffed.pk), "responder": responder,
            "child": child, "incident": unlinked, "held_update": held, "change": change, "approved_change": approved,
            "problem": raised("Mail is slow", classification="problem"),
            "resolved": resolved("VPN down", review="draft"), "submitted": resolved("Eduroam down", review="submitted"),
            "published": published, "published_review": AfterActionReview.objects.get(outage=published)}


# The tables a refused request must not touch; add the models a new endpoint writes.
SNAPSHOT_MODELS = [Ticket, ConversationEntry, Attachment, AuditEvent, Notification, Holiday, Group, Integration,
                   RawEvent, AlertGroup, Outage, Outage.responders.through, Update, ChangeRequest, AfterActionReview]


def snapshot() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


def _fresh(world: SimpleNamespace) -> SimpleNamespace:
    """The world's objects read again from the database, so one caller's checks never see another's."""

    def reload(value):
        if isinstance(value, Model):
            return type(value)._default_manager.get(pk=value.pk)
        if isinstance(value, dict):
            return {key: reload(item) for key, item in value.items()}
        return value

    return SimpleNamespace(**{name: reload(value) for name, value in vars(world).items()})


def _check_cell(world, row: Row, role: str) -> None:
    before = snapshot()
    url = row.url(world)
    data = row.body(world) if row.body else None

    response = getattr(world.client(role), row.method.lower())(url, data, format=row.format)

    expected = row.expect[role]
    body = b"" if getattr(response, "streaming", False) else response.content[:500]
    assert response.status_code == expected, f"{row.method} {url} [{row.scenario}]: {body!r}"
    if response.status_code >= 400:
        assert snapshot() == before, f"refused {row.method} {url} [{row.scenario}] by {role} changed the database"
        assert world.ticket.title.encode() not in response.content
        assert response.json()[row.error_key]  # the one error shape (or the client protocol's own)
    elif row.method == "GET":
        assert snapshot() == before
        if role in CUSTOMERS and role != "customer_a":
            assert world.ticket.title.encode() not in (b"" if response.streaming else response.content)
    if response.status_code < 400 and row.check is not None:
        row.check(world, role, response)


@pytest.mark.parametrize("row", ROWS)
def test_row(world, row: Row):
    """Every caller against one row's request. The world is built once per row; each caller's request runs
    in a savepoint that is rolled back, so every caller meets the same state, and a failure names the caller."""
    failures = []
    for role in ROLES:
        with transaction.atomic():
            try:
                _check_cell(_fresh(world), row, role)
            except AssertionError as error:
                failures.append(f"{role}: {error}")
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


# --- Completeness: a new endpoint without a row fails here -----------------------------------------

_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_METHODS = ("get", "post", "put", "patch", "delete")


def _route(pattern) -> str:
    text = str(pattern).removeprefix("^").removesuffix("$")
    text = re.sub(r"/\?$", "/", text)  # an optional trailing slash
    return _CONVERTER.sub(r"{\1}", _REGEX_GROUP.sub(r"{\1}", text))


def _view_methods(callback) -> list[str]:
    if getattr(callback, "actions", None):  # a DRF viewset route
        return [method for method in callback.actions if method in _METHODS]
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ["get"]  # a plain function view: at least reachable with GET
    return [method for method in _METHODS if hasattr(view_class, method)]


def api_endpoints() -> set[tuple[str, str]]:
    """Every (METHOD, path) the URL resolver routes under /api/v1/, with path parameters as in the schema."""
    found: set[tuple[str, str]] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + _route(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.startswith(API_PREFIX) and "{format}" not in route:
                path = "/" + route.replace("{pk}", "{id}")
                found.update((method.upper(), path) for method in _view_methods(pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_endpoint_has_a_row():
    covered = {(row.method, row.path) for row in MATRIX}
    missing = sorted(api_endpoints() - covered)
    assert not missing, (
        "These endpoints under /api/v1/ have no row in MATRIX (tests/test_authorization_matrix.py); add at least "
        "one Row(method, path, scenario, E(customer_a, customer_b, api_token, technician, dispatcher, "
        "administrator)) for each:\n  " + "\n  ".join(f"{method} {path}" for method, path in missing)
    )


def test_no_row_for_an_endpoint_that_does_not_exist():
    stale = sorted({(row.method, row.path) for row in MATRIX} - api_endpoints())
    assert not stale, f"MATRIX rows for endpoints the URL resolver does not route: {stale}"


def test_the_resolver_finds_every_documented_operation(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {(method.upper(), path) for path, item in schema["paths"].items() for method in item
                  if method in _METHODS and path.startswith("/" + API_PREFIX)}
    assert documented <= api_endpoints(), sorted(documented - api_endpoints())


def test_every_row_names_every_role_and_scenarios_are_unique():
    assert all(set(row.expect) == set(ROLES) for row in MATRIX)
    keys = [(row.method, row.path, row.scenario) for row in MATRIX]
    assert len(keys) == len(set(keys))
    assert all(row.expect["anonymous"] >= 400 for row in MATRIX), "anonymous callers never succeed"
