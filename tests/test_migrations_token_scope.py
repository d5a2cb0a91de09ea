"""Tokens issued before token scopes existed: an integration's keeps opening its door (and only it), a person's
keeps all of the person's rights.

The test database is taken back to before the scope (tickets 0011, intake 0001), tokens are issued there through
the historical models exactly as ``ApiToken.issue`` did then, and the database is migrated forward again. It
leaves the database fully migrated for the tests after it.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from tickets.intake.models import RawEvent
from tickets.models import ApiToken, Ticket
from tickets.models_tokens import digest

BEFORE_SCOPES = [("tickets", "0011_notifications_and_intake_apps"), ("intake", "0001_initial")]
ALERT = {"version": "4", "status": "firing", "groupKey": '{}:{alertname="DiskFull"}', "receiver": "itsm",
         "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}, "annotations": {},
                     "fingerprint": "0123456789abcdef"}]}
MONITOR_KEY = "monitor-key-issued-before-scopes-0123456789"
PERSON_KEY = "person-key-issued-before-scopes-0123456789"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def issue_the_old_way(old, user, name: str, key: str) -> None:
    old.get_model("tickets", "ApiToken").objects.create(user=user, name=name, prefix=key[:8], key_digest=digest(key),
                                                        created_at=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_tokens_issued_before_scopes_keep_their_doors_and_their_persons_rights():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE_SCOPES)
    user_model = old.get_model("tickets", "User")
    monitor = user_model.objects.create(username="integration-prometheus", email="")
    person = user_model.objects.create(username="carol", email="carol@example.edu")
    service = old.get_model("tickets", "Service").objects.create(name="Old mail", slug="old-mail")
    old.get_model("intake", "Integration").objects.create(name="Prometheus", kind="alertmanager", service=service,
                                                          user=monitor)
    issue_the_old_way(old, monitor, "Integration “Prometheus”", MONITOR_KEY)
    issue_the_old_way(old, person, "Carol's report script", PERSON_KEY)

    migrate(latest)

    assert dict(ApiToken.objects.values_list("user__username", "scope")) == {
        "integration-prometheus": "integration", "carol": "personal"}
    monitor_client, person_client = APIClient(), APIClient()
    monitor_client.credentials(HTTP_AUTHORIZATION=f"Bearer {MONITOR_KEY}")
    person_client.credentials(HTTP_AUTHORIZATION=f"Bearer {PERSON_KEY}")
    alert = monitor_client.post("/api/v1/integrations/alertmanager/", ALERT, format="json")
    assert (alert.status_code, alert.json()["decision"]) == (200, "created")
    assert RawEvent.objects.get().state == "processed"
    assert Ticket.objects.get().requester.username == "integration-prometheus"
    assert monitor_client.get("/api/v1/me/").status_code == 403
    assert monitor_client.get("/api/v1/tickets/").status_code == 403
    assert person_client.get("/api/v1/me/").json()["username"] == "carol"
    report = person_client.post("/api/v1/tickets/", {"title": "Printer jams", "impact": "individual",
                                                     "urgency": "impaired"}, format="json")
    assert report.status_code == 201
