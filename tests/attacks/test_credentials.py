"""Issue 15's attacks on credentials, retries and the audit trail, replayed as an attacker would, each refused.

- An integration's bearer token (the one pasted into an Alertmanager config) is no API login: at every
  endpoint but its intake door it is a 403, and nothing changes.
- The same token keeps working at its door.
- A read-only personal token cannot write.
- A client that lost the answer to a create and retries it with its Idempotency-Key makes one ticket.
- Plain SQL cannot rewrite or delete the audit trail (PostgreSQL; on SQLite the ORM refuses).
"""

import re

import pytest
from django.db import InternalError, connection, transaction
from rest_framework.test import APIClient

from tickets import services
from tickets.intake.models import Integration, RawEvent
from tickets.models import ApiToken, AuditEvent, ConversationEntry, Ticket, TokenScope

AM = "/api/v1/integrations/alertmanager/"
ALERT = {"version": "4", "status": "firing", "groupKey": '{}:{alertname="DiskFull"}', "receiver": "itsm",
         "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
         "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "instance": "files01"},
                     "annotations": {"summary": "Disk full on files01"}, "fingerprint": "c6f1b5e4d2a39807"}]}
REPORT = {"title": "Disk 90% full on fs01", "impact": "department", "urgency": "impaired"}
INTEGRATION_REFUSAL = ("This is an integration's token: it opens its intake door only "
                       "(/api/v1/integrations/<kind>/). Use a personal token for the rest of the API.")


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def stolen(make_integration):
    """An Alertmanager integration whose token leaked, with the ticket its alert opened."""
    integration = make_integration("alertmanager")
    answer = bearer(integration.issued.token).post(AM, ALERT, format="json")
    assert answer.json()["decision"] == "created"
    integration.ticket = Ticket.objects.get(pk=answer.json()["ticket"])
    return integration


def everything() -> dict[str, list]:
    """What an attacker could change: tickets, their conversation and history, tokens, integrations, events."""
    return {
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "entries": list(ConversationEntry.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values("pk", "user", "scope", "key_digest", "revoked_at")),
        "integrations": list(Integration.objects.order_by("pk").values()),
        "events": list(RawEvent.objects.order_by("pk").values("pk", "state")),
    }


ATTACKS = [
    ("get", "/api/v1/tickets/", None),
    ("patch", "/api/v1/tickets/{ticket}/", {"status": "cancelled"}),
    ("post", "/api/v1/tickets/", REPORT),
    ("get", "/api/v1/me/", None),
    ("get", "/api/v1/tickets/{ticket}/", None),
    ("post", "/api/v1/tickets/{ticket}/entries/", {"body": "Please close this, it was a false alarm."}),
    ("post", "/api/v1/integrations/{integration}/rotate/", None),
    ("get", "/api/v1/services/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ATTACKS, ids=[f"{m.upper()} {p}" for m, p, _ in ATTACKS])
def test_an_integration_token_opens_no_other_endpoint(stolen, method, path, body):
    before = everything()
    url = path.format(ticket=stolen.ticket.pk, integration=stolen.pk)

    response = getattr(bearer(stolen.issued.token), method)(url, body, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": INTEGRATION_REFUSAL, "code": "permission_denied"}
    assert stolen.ticket.title.encode() not in response.content
    assert everything() == before


def test_the_integration_token_still_opens_its_own_door(stolen):
    resolved = {**ALERT, "status": "resolved", "alerts": [{**ALERT["alerts"][0], "status": "resolved"}]}

    response = bearer(stolen.issued.token).post(AM, resolved, format="json")

    assert response.status_code == 200
    assert (response.json()["decision"], response.json()["ticket"]) == ("resolved", stolen.ticket.pk)
    stolen.ticket.refresh_from_db()
    assert stolen.ticket.status == "resolved"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/v1/tickets/", REPORT),
    ("patch", "/api/v1/tickets/{ticket}/", {"status": "cancelled"}),
    ("post", "/api/v1/tickets/{ticket}/entries/", {"body": "Closing."}),
    ("delete", "/api/v1/calendar/holidays/1/", None),
])
def test_a_read_only_personal_token_cannot_write(admin_user, customer, method, path, body):
    ticket = services.ticket_create(actor=customer, title="Printer jams", impact="individual", urgency="impaired")
    _, key = ApiToken.issue(user=admin_user, name="Grafana dashboard", scope=TokenScope.PERSONAL_READ_ONLY)
    before = everything()

    response = getattr(bearer(key), method)(path.format(ticket=ticket.pk), body, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == (f"This token is read-only: it may GET, HEAD and OPTIONS, not "
                                         f"{method.upper()}. Use a personal token with write access to change "
                                         "anything.")
    assert everything() == before
    assert bearer(key).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200


def test_a_create_retried_after_a_lost_answer_makes_one_ticket(technician):
    _, key = ApiToken.issue(user=technician, name="Provisioning script")
    client = bearer(key)

    answers = [client.post("/api/v1/tickets/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="fs01-disk-2026-11-26")
               for _ in range(4)]  # the first answer is "lost"; the client retries three times

    assert [a.status_code for a in answers] == [201] * 4
    assert {a.content for a in answers} == {answers[0].content}
    assert [a.get("Idempotent-Replayed") for a in answers] == [None, "true", "true", "true"]
    assert Ticket.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE tickets_auditevent SET new_value = 'cancelled', actor_id = NULL WHERE ticket_id = %s",
    "DELETE FROM tickets_auditevent WHERE ticket_id = %s",
])
def test_plain_sql_on_the_audit_trail_is_refused(stolen, statement):
    """PostgreSQL's trigger refuses it; SQLite has none, and there the ORM refuses instead."""
    before = list(AuditEvent.objects.filter(ticket=stolen.ticket).order_by("pk").values())
    if connection.vendor == "postgresql":
        refusal = f"The audit trail is append-only: {statement.split()[0]} on tickets_auditevent is refused."
        with pytest.raises(InternalError, match=re.escape(refusal)), transaction.atomic(), connection.cursor() as c:
            c.execute(statement, [stolen.ticket.pk])
    else:
        events = AuditEvent.objects.filter(ticket=stolen.ticket)
        with pytest.raises(TypeError, match="Audit events are append-only"):
            events.update(new_value="cancelled") if statement.startswith("UPDATE") else events.delete()
    assert list(AuditEvent.objects.filter(ticket=stolen.ticket).order_by("pk").values()) == before
