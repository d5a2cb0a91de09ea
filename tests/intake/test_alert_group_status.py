"""The group's own status decides: a resolved Alertmanager or Grafana group resolves its ticket.

Real payloads from ../shared/payloads, read in place; the later deliveries are those payloads as the tool
sends them once the group has recovered: the group ``status`` resolved, an alert that resolved earlier
gone from the list (expired out of the group). The module skips where the folder is absent.
"""

import copy
import json
from pathlib import Path

import pytest

from tickets.intake.models import Alert, AlertGroup, RawEvent
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "payloads"
pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared/payloads is not beside this checkout")

AM = "/api/v1/integrations/alertmanager/"
GRAFANA = "/api/v1/integrations/grafana/"


def payload(name: str) -> dict:
    [path] = sorted(PAYLOADS.glob(f"*/{name}*"))
    return json.loads(path.read_bytes())


def recovered(body: dict, *, keep: int, state: str = "") -> dict:
    """``body`` as its group's next delivery after every alert recovered, listing only alert ``keep``."""
    later = copy.deepcopy(body)
    alert = {**later["alerts"][keep], "status": "resolved", "endsAt": "2023-06-12T09:02:38.326Z"}
    later.update(status="resolved", alerts=[alert])
    if state:
        later["state"] = state
    return later


def alert_lines(ticket_id: int) -> list[tuple[str, str, str]]:
    return list(AuditEvent.objects.filter(ticket_id=ticket_id, action="alert").order_by("id")
                .values_list("field", "old_value", "new_value"))


def test_an_alertmanager_group_resolved_without_the_alert_that_expired_out_of_it_resolves(make_integration,
                                                                                         post_alert):
    integration = make_integration("alertmanager")
    firing = payload("am_v4_firing_2alerts")
    ticket_id = post_alert(integration, AM, firing).json()["ticket"]

    answer = post_alert(integration, AM, recovered(firing, keep=1)).json()

    assert answer["decision"] == "resolved"
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.status == Status.RESOLVED and ticket.automation_due_at is not None
    assert not AlertGroup.objects.get().is_open
    # The timeline records each alert the tool listed, as it listed it; the group's status covers the other.
    assert alert_lines(ticket_id) == [
        ("f404ecabc8dd5cd7", "", "firing: Instance localhost:8081 down"),
        ("f8f08d4e32c61a9d", "", "firing: Instance localhost:8082 down"),
        ("f8f08d4e32c61a9d", "firing", "resolved: Instance localhost:8082 down"),
    ]
    assert dict(Alert.objects.values_list("fingerprint", "status")) == {
        "f404ecabc8dd5cd7": "resolved", "f8f08d4e32c61a9d": "resolved"}
    assert AuditEvent.objects.get(ticket_id=ticket_id, action="status").new_value == "resolved"


def test_a_truncated_resolved_group_never_resolves_from_its_partial_list(make_integration, post_alert):
    integration = make_integration("alertmanager")
    firing = payload("am_v4_firing_2alerts")
    ticket_id = post_alert(integration, AM, firing).json()["ticket"]
    partial = {**recovered(firing, keep=1), "truncatedAlerts": 1}

    answer = post_alert(integration, AM, partial).json()

    assert answer["decision"] == "partly resolved"
    assert "truncatedAlerts" in RawEvent.objects.order_by("-id")[0].summary
    assert Ticket.objects.get(pk=ticket_id).status == Status.NEW
    assert AlertGroup.objects.get().is_open
    assert dict(Alert.objects.values_list("fingerprint", "status")) == {
        "f404ecabc8dd5cd7": "firing", "f8f08d4e32c61a9d": "resolved"}
    assert alert_lines(ticket_id)[-1] == ("f8f08d4e32c61a9d", "firing", "resolved: Instance localhost:8082 down")


def test_a_grafana_group_resolved_without_an_alert_seen_earlier_resolves(make_integration, post_alert):
    integration = make_integration("grafana")
    firing = payload("grafana_webhook_v1_firing_2alerts")
    ticket_id = post_alert(integration, GRAFANA, firing).json()["ticket"]

    answer = post_alert(integration, GRAFANA, recovered(firing, keep=0, state="ok")).json()

    assert answer["decision"] == "resolved"
    assert Ticket.objects.get(pk=ticket_id).status == Status.RESOLVED
    assert alert_lines(ticket_id)[-1] == ("c6eadffa33fcdf37", "firing",
                                          "resolved: This alert was triggered for zone us-1")
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}


def test_without_auto_resolve_the_resolved_group_is_noted_and_left_to_a_technician(make_integration, post_alert):
    integration = make_integration("alertmanager", auto_resolve=False)
    firing = payload("am_v4_firing_2alerts")
    ticket_id = post_alert(integration, AM, firing).json()["ticket"]

    answer = post_alert(integration, AM, recovered(firing, keep=1)).json()

    assert answer["decision"] == "recovered"
    assert Ticket.objects.get(pk=ticket_id).status == Status.NEW
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}


def test_the_alertmanager_bot_firing_and_resolved_pair_opens_then_resolves(make_integration, post_alert):
    integration = make_integration("alertmanager")
    ticket_id = post_alert(integration, AM, payload("am_v4_firing__alertmanager-bot")).json()["ticket"]

    answer = post_alert(integration, AM, payload("am_v4_resolved__alertmanager-bot")).json()

    assert answer == {**answer, "decision": "resolved", "ticket": ticket_id}
    assert Ticket.objects.get(pk=ticket_id).status == Status.RESOLVED
    assert [line[2].split(":")[0] for line in alert_lines(ticket_id)] == ["firing", "resolved"]
