"""Who may do what under /api/v1/: every endpoint and method × every kind of caller, one test per cell.

The callers (the matrix's columns, in this order):

==============  ==============================================================================
customer_a      Alice, a customer; owns the ticket every ``{id}`` of ``/tickets/`` points at
customer_b      Bob, another customer (owns a ticket of his own)
api_token       an Alertmanager integration's account: not staff, signs in with ``Authorization: Bearer <key>``
technician      staff, member of the Service Desk group
dispatcher      staff, member and dispatcher of the Service Desk group (the ticket's group)
administrator   a superuser
anonymous       no credentials: 401 (a row may say otherwise, but never a 2xx)
==============  ==============================================================================

Each row of ``MATRIX`` is one request (method, path template, a named scenario, the body) and the
status code each caller must get; ``check`` adds assertions on the answer. Every refused request
(4xx) and every read must leave the database exactly as it was (tickets, conversation, attachments,
audit trail, notifications, holidays): no cross-customer read or write, no customer write to a
staff field.

A new endpoint under /api/v1/ fails ``test_every_api_endpoint_has_a_row`` until it gets a row: add a
``Row("METHOD", "/api/v1/<path with {id}>", "scenario", E(a, b, token, tech, disp, admin), body=...)``
(``{id}`` is filled from ``Row.target``: the ticket, group, service, holiday, ...; ``E(..., anonymous=400)``
for an endpoint that authenticates by its body), add the objects it needs to the ``world`` fixture and the
tables it writes to ``SNAPSHOT_MODELS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from sla.models import Calendar, Holiday
from tickets import services
from tickets.intake.integrations import integration_create
from tickets.models import (
    AlertGroup,
    Attachment,
    AuditEvent,
    ConversationEntry,
    Group,
    Integration,
    Notification,
    RawEvent,
    Ticket,
)

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
    query: Callable[[Any], dict] | None = None  # world -> query parameters
    check: Callable[[Any, str, Any], None] | None = field(default=None, compare=False)
    error_key: str = "code"  # PagerDuty's door answers in PagerDuty's shape: {"status", "message", "errors"}

    def url(self, world) -> str:
        url = self.path.format(id=getattr(world, self.target).pk, attachment_id=getattr(world, self.attachment).pk)
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
MATRIX: list[Row] = [
    # Tickets: customers see and act on their own only (another's is a 404, not a 403: no existence leak).
    Row("GET", T, "list", E(200, 200, 200, 200, 200, 200), check=sees_only_own_tickets),
    Row("GET", T, "filter by another requester", E(200, 200, 200, 200, 200, 200),
        query=lambda w: {"requester": w.bobs_ticket.requester_id}, check=filtered_to_bobs_ticket),
    Row("GET", T, "search another's title", E(200, 200, 200, 200, 200, 200),
        query=lambda w: {"search": "printer"}, check=filtered_to_bobs_ticket),
    Row("POST", T, "report", E(201, 201, 201, 201, 201, 201), body=lambda w: REPORT, check=reported_as_self),
    Row("POST", T, "report with staff fields", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {**REPORT, "assignee": w.users["technician"].pk, "group": w.desk.pk,
                        "classification": "outage"}),
    Row("POST", T, "report for someone else", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {**REPORT, "requester": w.users["customer_b"].pk}, check=reported_for_someone_else),
    Row("POST", T, "report for an e-mail address", E(403, 403, 403, 201, 201, 201),
        body=lambda w: {**REPORT, "requester_email": "carol@example.edu"}),
    Row("GET", TID, "read", E(200, 404, 404, 200, 200, 200), check=customer_view_of_ticket),
    Row("PATCH", TID, "assign", E(403, 404, 404, 200, 200, 200),
        body=lambda w: {"assignee": w.users["technician"].pk},
        check=changed_to(assignee=lambda w: w.users["technician"])),
    Row("PATCH", TID, "move group", E(403, 404, 404, 200, 200, 200), body=lambda w: {"group": w.network.pk},
        check=changed_to(group=lambda w: w.network)),
    Row("PATCH", TID, "raise impact", E(403, 404, 404, 200, 200, 200), body=lambda w: {"impact": "university"},
        check=changed_to(impact="university")),
    Row("PATCH", TID, "reclassify", E(403, 404, 404, 200, 200, 200), body=lambda w: {"classification": "outage"},
        check=changed_to(classification="outage")),
    Row("PATCH", TID, "take in process", E(403, 404, 404, 200, 200, 200), body=lambda w: {"status": "in_process"},
        check=changed_to(status="in_process")),
    Row("PATCH", TID, "withdraw", E(200, 404, 404, 200, 200, 200), body=lambda w: {"status": "cancelled"},
        check=changed_to(status="cancelled")),
    Row("PATCH", TID, "read-only priority", E(400, 404, 404, 400, 400, 400), body=lambda w: {"priority": "emergency"}),
    Row("GET", TID + "entries/", "conversation", E(200, 404, 404, 200, 200, 200),
        check=public_entries_only_for_customers),
    Row("POST", TID + "entries/", "public reply", E(201, 404, 404, 201, 201, 201),
        body=lambda w: {"body": "Still broken."}, check=stored_public_reply),
    Row("POST", TID + "entries/", "internal note", E(403, 404, 404, 201, 201, 201),
        body=lambda w: {"body": "Probably the lamp.", "internal": True}, check=stored_internal_note),
    Row("GET", TID + "timeline/", "timeline", E(200, 404, 404, 200, 200, 200), check=timeline_without_internal_items),
    Row("GET", TID + "attachments/", "attachments", E(200, 404, 404, 200, 200, 200),
        check=public_attachments_only_for_customers),
    Row("POST", TID + "attachments/", "public upload", E(201, 404, 404, 201, 201, 201), body=_upload(),
        format="multipart", check=stored_attachment("public")),
    Row("POST", TID + "attachments/", "internal upload", E(403, 404, 404, 201, 201, 201), body=_upload(internal=True),
        format="multipart", check=stored_attachment("internal")),
    Row("GET", TID + "attachments/{attachment_id}/download/", "public file", E(200, 404, 404, 200, 200, 200),
        check=downloaded),
    Row("GET", TID + "attachments/{attachment_id}/download/", "internal file", E(404, 404, 404, 200, 200, 200),
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
    Row("GET", "/api/v1/services/", "list", E(200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/v1/services/{id}/", "read", E(200, 200, 200, 200, 200, 200), target="service"),
    Row("GET", "/api/v1/groups/", "list", E(200, 200, 200, 200, 200, 200), check=groups_hidden_from_customers),
    Row("GET", "/api/v1/groups/{id}/", "read", E(404, 404, 404, 200, 200, 200), target="desk"),
    Row("GET", "/api/v1/me/", "me", E(200, 200, 200, 200, 200, 200), check=me_is_me),
    # Business calendar: staff read, administrators write.
    Row("GET", "/api/v1/calendar/holidays/", "list", E(403, 403, 403, 200, 200, 200)),
    Row("POST", "/api/v1/calendar/holidays/", "add", E(403, 403, 403, 403, 403, 201),
        body=lambda w: {"date": "2031-12-24", "name": "Matrix day"}, check=holiday_added),
    Row("GET", "/api/v1/calendar/holidays/{id}/", "read", E(403, 403, 403, 200, 200, 200), target="holiday"),
    Row("DELETE", "/api/v1/calendar/holidays/{id}/", "delete", E(403, 403, 403, 403, 403, 204), target="holiday",
        check=holiday_deleted),
]


def _cell_id(row: Row, role: str) -> str:
    return f"{row.method} {row.path.removeprefix('/api/v1/')} [{row.scenario}] {role}"


CELLS = [pytest.param(row, role, id=_cell_id(row, role)) for row in MATRIX for role in ROLES]


# --- The world every cell runs in ------------------------------------------------------------------

@pytest.fixture
def world(make_user, customer, other_customer, technician, dispatcher, admin_user, service_desk, email_service,
          settings, tmp_path):
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
    return SimpleNamespace(users=users, client=client, ticket=ticket, bobs_ticket=bobs_ticket, desk=service_desk,
                           network=network, service=email_service, holiday=holiday, public_attachment=public,
                           internal_attachment=internal, integration=alertmanager)


# The tables a refused request must not touch; add the models a new endpoint writes.
SNAPSHOT_MODELS = [Ticket, ConversationEntry, Attachment, AuditEvent, Notification, Holiday, Group, Integration,
                   RawEvent, AlertGroup]


def snapshot() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


@pytest.mark.parametrize("row, role", CELLS)
def test_cell(world, row: Row, role: str):
    before = snapshot()
    url = row.url(world)
    data = row.body(world) if row.body else None

    response = getattr(world.client(role), row.method.lower())(url, data, format=row.format)

    expected = row.expect[role]
    body = b"" if getattr(response, "streaming", False) else response.content[:500]
    assert response.status_code == expected, f"{role} {row.method} {url} [{row.scenario}]: {body!r}"
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
