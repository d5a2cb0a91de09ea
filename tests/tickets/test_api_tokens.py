"""API tokens: how scripts and monitoring tools sign in to the REST API."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tickets.models import ApiToken


@pytest.fixture
def issued(technician):
    return ApiToken.issue(user=technician, name="Nagios on mon01")


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_a_token_acts_as_its_user(issued, technician, scheme):
    token, key = issued

    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"{scheme} {key}")

    assert response.status_code == 200
    assert response.json()["username"] == technician.username
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_writes_without_a_csrf_token(issued):
    _, key = issued
    client = APIClient(enforce_csrf_checks=True)

    response = client.post("/api/v1/tickets/", {"title": "Disk 90% full on fs01", "impact": "department",
                                                "urgency": "impaired", "source": "monitoring"},
                           format="json", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "monitoring"


def test_only_a_digest_of_the_key_is_stored(issued):
    token, key = issued

    stored = ApiToken.objects.filter(pk=token.pk).values().get()

    assert key not in {str(value) for value in stored.values()}
    assert stored["prefix"] == key[:8]


@pytest.mark.parametrize("change", [
    {"revoked_at": timezone.now()},
    {"expires_at": timezone.now() - timedelta(minutes=1)},
])
def test_revoked_or_expired_tokens_are_refused(issued, change):
    token, key = issued
    ApiToken.objects.filter(pk=token.pk).update(**change)

    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked token."


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Bearer two parts", "Token \u00e9t\u00e9"])
def test_malformed_or_unknown_tokens_are_a_401(db, header):
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_deactivated_users_token_is_refused(issued, technician):
    _, key = issued
    technician.is_active = False
    technician.save()

    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_an_administrator_issues_a_token_in_the_admin_and_sees_its_key_once(client, admin_user, technician):
    client.force_login(admin_user)

    response = client.post("/admin/tickets/apitoken/add/", {"user": technician.pk, "name": "Grafana",
                                                            "scope": "personal"}, follow=True)

    token = ApiToken.objects.get(name="Grafana")
    [message] = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    key = message.split(" is ", 1)[1].split(" ", 1)[0]
    assert token.prefix == key[:8]
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    page = client.get(f"/admin/tickets/apitoken/{token.pk}/change/")
    assert key.encode() not in page.content

    client.post("/admin/tickets/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})

    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
