"""Token scopes: personal (all of the person's rights), personal read-only (reads only), integration (its intake
door only). Enforced once, where a token is authenticated, for every API view; session users are not affected."""

import logging

import pytest
from rest_framework.test import APIClient

from tickets import policies, services
from tickets.intake.integrations import integration_rotate_secrets
from tickets.models import ApiToken, Ticket, TokenScope

AM = "/api/v1/integrations/alertmanager/"
ALERT = {"version": "4", "status": "firing", "groupKey": '{}:{alertname="DiskFull"}', "receiver": "itsm",
         "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}, "annotations": {},
                     "fingerprint": "0123456789abcdef"}]}
REPORT = {"title": "Disk 90% full on fs01", "impact": "department", "urgency": "impaired"}
INTEGRATION_REFUSAL = ("This is an integration's token: it opens its intake door only "
                       "(/api/v1/integrations/<kind>/). Use a personal token for the rest of the API.")


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# --- The policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "method", "intake_door", "allowed"), [
    (TokenScope.PERSONAL, "GET", False, True),
    (TokenScope.PERSONAL, "POST", False, True),
    (TokenScope.PERSONAL, "DELETE", False, True),
    (TokenScope.PERSONAL, "POST", True, False),
    (TokenScope.PERSONAL_READ_ONLY, "GET", False, True),
    (TokenScope.PERSONAL_READ_ONLY, "HEAD", False, True),
    (TokenScope.PERSONAL_READ_ONLY, "OPTIONS", False, True),
    (TokenScope.PERSONAL_READ_ONLY, "POST", False, False),
    (TokenScope.PERSONAL_READ_ONLY, "PATCH", False, False),
    (TokenScope.PERSONAL_READ_ONLY, "PUT", False, False),
    (TokenScope.PERSONAL_READ_ONLY, "DELETE", False, False),
    (TokenScope.PERSONAL_READ_ONLY, "POST", True, False),
    (TokenScope.INTEGRATION, "GET", False, False),
    (TokenScope.INTEGRATION, "POST", False, False),
    (TokenScope.INTEGRATION, "POST", True, True),
    ("admin", "GET", False, False),
])
def test_which_scope_may_make_which_request(scope, method, intake_door, allowed):
    assert policies.may_use_token_for(scope, method=method, intake_door=intake_door) is allowed


def test_the_refusals_say_what_the_token_may_do():
    assert policies.token_refusal(TokenScope.INTEGRATION, method="GET", intake_door=False) == INTEGRATION_REFUSAL
    assert policies.token_refusal(TokenScope.PERSONAL_READ_ONLY, method="patch", intake_door=False) == (
        "This token is read-only: it may GET, HEAD and OPTIONS, not PATCH. "
        "Use a personal token with write access to change anything.")
    assert policies.token_refusal(TokenScope.PERSONAL, method="POST", intake_door=True) == (
        "The intake doors take an integration's token only.")


# --- Personal tokens -----------------------------------------------------------------------------


def test_a_token_is_personal_unless_said_otherwise(technician):
    token, _ = ApiToken.issue(user=technician, name="script")

    assert token.scope == TokenScope.PERSONAL


def test_a_read_only_token_reads(technician, email_service):
    _, key = ApiToken.issue(user=technician, name="dashboard", scope=TokenScope.PERSONAL_READ_ONLY)
    client = bearer(key)

    assert client.get("/api/v1/tickets/").status_code == 200
    assert client.head("/api/v1/tickets/").status_code == 200
    assert client.options("/api/v1/tickets/").status_code == 200
    assert client.get("/api/v1/me/").json()["username"] == "tech"


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/v1/tickets/"),
    ("patch", "/api/v1/tickets/{id}/"),
    ("post", "/api/v1/tickets/{id}/entries/"),
    ("post", "/api/v1/outages/"),
    ("post", "/api/v1/calendar/holidays/"),
])
def test_a_read_only_token_cannot_write(admin_user, email_service, method, path):
    ticket = services.ticket_create(actor=admin_user, title="Printer jams", impact="individual", urgency="impaired",
                                    service=email_service)
    _, key = ApiToken.issue(user=admin_user, name="dashboard", scope=TokenScope.PERSONAL_READ_ONLY)

    response = getattr(bearer(key), method)(path.format(id=ticket.pk), {**REPORT, "body": "x", "status": "cancelled"},
                                            format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": f"This token is read-only: it may GET, HEAD and OPTIONS, not {method.upper()}. "
                  "Use a personal token with write access to change anything.",
        "code": "permission_denied",
    }
    ticket.refresh_from_db()
    assert (Ticket.objects.count(), ticket.status, ticket.version, ticket.entries.count()) == (1, "new", 1, 0)


def test_a_personal_token_is_refused_at_an_intake_door(make_integration, admin_user):
    make_integration("alertmanager")
    _, key = ApiToken.issue(user=admin_user, name="script")

    response = bearer(key).post(AM, ALERT, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "The intake doors take an integration's token only."
    assert not Ticket.objects.exists()


def test_a_refused_token_is_logged_with_its_prefix_and_never_its_key(technician, caplog):
    _, key = ApiToken.issue(user=technician, name="dashboard", scope=TokenScope.PERSONAL_READ_ONLY)
    caplog.set_level(logging.WARNING, logger="itsm.security")

    bearer(key).post("/api/v1/tickets/", REPORT, format="json")

    [record] = [r for r in caplog.records if r.name == "itsm.security"]
    assert record.getMessage() == (f"API token {key[:8]}… (tech, personal_read_only) refused: POST /api/v1/tickets/")
    assert key not in caplog.text


def test_a_session_user_is_not_limited_by_any_token(client, technician, email_service):
    ApiToken.issue(user=technician, name="dashboard", scope=TokenScope.PERSONAL_READ_ONLY)
    client.force_login(technician)

    response = client.post("/api/v1/tickets/", {**REPORT, "service": email_service.pk}, content_type="application/json")

    assert response.status_code == 201


# --- Integration tokens --------------------------------------------------------------------------


def test_an_integration_is_issued_an_integration_token_and_so_is_its_rotation(make_integration):
    integration = make_integration("alertmanager")

    issued = integration_rotate_secrets(integration=integration)

    tokens = ApiToken.objects.filter(user=integration.user).order_by("pk")
    assert [(t.scope, t.revoked_at is not None) for t in tokens] == [("integration", True), ("integration", False)]
    assert bearer(issued.token).post(AM, ALERT, format="json").status_code == 200


def test_an_integration_token_opens_its_door(make_integration):
    integration = make_integration("alertmanager")

    response = bearer(integration.issued.token).post(AM, ALERT, format="json")

    assert response.status_code == 200
    assert response.json()["decision"] == "created"


def test_an_integration_token_is_refused_by_me(make_integration):
    integration = make_integration("alertmanager")

    response = bearer(integration.issued.token).get("/api/v1/me/")

    assert (response.status_code, response.json()) == (403, {"detail": INTEGRATION_REFUSAL,
                                                             "code": "permission_denied"})


# --- The admin -----------------------------------------------------------------------------------


def test_the_administrator_issues_a_read_only_token(client, admin_user, technician):
    client.force_login(admin_user)

    response = client.post("/admin/tickets/apitoken/add/", {"user": technician.pk, "name": "Dashboard",
                                                            "scope": "personal_read_only"}, follow=True)

    token = ApiToken.objects.get(name="Dashboard")
    assert token.scope == TokenScope.PERSONAL_READ_ONLY
    [message] = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    key = message.split(" is ", 1)[1].split(" ", 1)[0]
    assert bearer(key).get("/api/v1/me/").status_code == 200
    assert bearer(key).post("/api/v1/tickets/", REPORT, format="json").status_code == 403


def test_the_admin_does_not_issue_integration_tokens(client, admin_user, technician):
    client.force_login(admin_user)

    page = client.get("/admin/tickets/apitoken/add/")
    response = client.post("/admin/tickets/apitoken/add/", {"user": technician.pk, "name": "Sneaky",
                                                            "scope": "integration"})

    assert b'value="personal_read_only"' in page.content and b'value="integration"' not in page.content
    assert response.status_code == 200  # the form again, with its error
    assert not ApiToken.objects.filter(name="Sneaky").exists()


def test_a_tokens_scope_is_fixed_once_issued(client, admin_user, technician):
    token, _ = ApiToken.issue(user=technician, name="dashboard", scope=TokenScope.PERSONAL_READ_ONLY)
    client.force_login(admin_user)

    client.post(f"/admin/tickets/apitoken/{token.pk}/change/", {"name": "dashboard", "scope": "personal"})

    token.refresh_from_db()
    assert token.scope == TokenScope.PERSONAL_READ_ONLY

