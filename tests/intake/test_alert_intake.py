"""Monitoring alerts, with payloads written from each tool's documentation (real captures: test_conformance)."""

import copy
import json

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tickets.intake import services as intake
from tickets.intake.api import IntegrationThrottle
from tickets.intake.models import Alert, AlertGroup, RawEvent
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket

AM = "/api/v1/integrations/alertmanager/"
GRAFANA = "/api/v1/integrations/grafana/"
WEBHOOK = "/api/v1/integrations/webhook/"
PAGERDUTY = "/api/v1/integrations/pagerduty/v2/enqueue"


def am_alert(name: str, status: str = "firing", *, fingerprint: str | None = None, severity: str = "critical",
             instance: str = "files01:9100") -> dict:
    alert = {
        "status": status,
        "labels": {"alertname": name, "instance": instance, "severity": severity},
        "annotations": {"summary": f"{name} on {instance}", "runbook_url": "https://wiki.example.edu/runbooks"},
        "startsAt": "2026-11-26T09:58:01.123456789Z",
        "endsAt": "2026-11-26T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.edu/graph?g0.expr=up",
    }
    if fingerprint:
        alert["fingerprint"] = fingerprint
    return alert


def am_payload(*alerts: dict, group: str = "DiskFull", status: str | None = None) -> dict:
    """Alertmanager webhook version 4, as documented in its configuration reference."""
    return {
        "version": "4", "receiver": "itsm", "groupKey": f'{{}}/{{severity="critical"}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
        "status": status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
        "groupLabels": {"alertname": group}, "commonLabels": {"alertname": group},
        "commonAnnotations": {}, "externalURL": "http://alertmanager.example.edu:9093", "alerts": list(alerts),
    }


def timeline_alerts(ticket: Ticket) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(ticket=ticket, action=AuditEvent.Action.ALERT))


@pytest.fixture
def alertmanager(make_integration):
    return make_integration("alertmanager")


class TestAlertmanager:
    def test_a_firing_group_opens_one_monitoring_ticket_routed_by_the_integration(self, alertmanager, post_alert,
                                                                                   email_service):
        response = post_alert(alertmanager, AM, am_payload(am_alert("DiskFull", fingerprint="a1b2c3d4e5f60718")))

        assert response.status_code == 200, response.content
        assert response.json()["decision"] == "created"
        ticket = Ticket.objects.get(pk=response.json()["ticket"])
        assert ticket.source == "monitoring"
        assert ticket.service == email_service and ticket.group == email_service.default_group
        assert ticket.requester == alertmanager.user
        assert (ticket.impact, ticket.urgency) == ("department", "stopped_no_workaround")
        assert ticket.title == "DiskFull on files01:9100"
        assert "runbook_url: https://wiki.example.edu/runbooks" in ticket.description
        assert [e.action for e in AuditEvent.objects.filter(ticket=ticket).order_by("created_at", "id")][:2] == [
            "created", "alert"]
        event = RawEvent.objects.get(pk=response.json()["event"])
        assert event.state == "processed" and event.ticket == ticket
        assert json.loads(bytes(event.body))["groupKey"].endswith('{alertname="DiskFull"}')

    def test_the_same_group_delivered_again_adds_an_occurrence_not_a_ticket(self, alertmanager, post_alert):
        body = am_payload(am_alert("DiskFull", fingerprint="a1b2c3d4e5f60718"))
        first = post_alert(alertmanager, AM, body).json()
        second = post_alert(alertmanager, AM, body).json()

        assert second["decision"] == "appended" and second["ticket"] == first["ticket"]
        assert Ticket.objects.count() == 1
        group = AlertGroup.objects.get()
        assert group.occurrences == 2 and group.alerts.get().occurrences == 2
        assert len(timeline_alerts(group.ticket)) == 2
        assert RawEvent.objects.count() == 2

    def test_a_partly_resolved_group_stays_open_and_resolves_when_every_alert_has(self, alertmanager, post_alert):
        a, b = am_alert("DiskFull", fingerprint="aaaa"), am_alert("DiskFull", fingerprint="bbbb", instance="web02")
        ticket_id = post_alert(alertmanager, AM, am_payload(a, b)).json()["ticket"]

        partly = post_alert(alertmanager, AM, am_payload({**a, "status": "resolved"}, b)).json()
        assert partly["decision"] == "appended"
        assert Ticket.objects.get(pk=ticket_id).status == Status.NEW
        assert Alert.objects.get(fingerprint="aaaa").status == "resolved"

        done = post_alert(alertmanager, AM, am_payload({**a, "status": "resolved"}, {**b, "status": "resolved"}))
        assert done.json()["decision"] == "resolved"
        ticket = Ticket.objects.get(pk=ticket_id)
        assert ticket.status == Status.RESOLVED and ticket.resolved_at is not None
        assert not AlertGroup.objects.get().is_open

    def test_a_firing_after_the_group_resolved_opens_a_new_ticket(self, alertmanager, post_alert):
        alert = am_alert("DiskFull", fingerprint="aaaa")
        first = post_alert(alertmanager, AM, am_payload(alert)).json()["ticket"]
        post_alert(alertmanager, AM, am_payload({**alert, "status": "resolved"}))

        again = post_alert(alertmanager, AM, am_payload(alert)).json()
        assert again["decision"] == "created" and again["ticket"] != first
        assert AlertGroup.objects.filter(is_open=True).count() == 1

    def test_without_auto_resolve_a_recovery_is_noted_and_the_ticket_left_to_a_technician(self, make_integration,
                                                                                           post_alert):
        integration = make_integration("alertmanager", auto_resolve=False)
        alert = am_alert("DiskFull", fingerprint="aaaa")
        ticket_id = post_alert(integration, AM, am_payload(alert)).json()["ticket"]

        answer = post_alert(integration, AM, am_payload({**alert, "status": "resolved"})).json()
        assert answer["decision"] == "recovered"
        ticket = Ticket.objects.get(pk=ticket_id)
        assert ticket.status == Status.NEW
        assert [e.new_value.split(":")[0] for e in timeline_alerts(ticket)] == ["firing", "resolved"]

    def test_a_recovery_with_nothing_open_is_recorded_and_changes_nothing(self, alertmanager, post_alert):
        response = post_alert(alertmanager, AM, am_payload(am_alert("DiskFull", "resolved", fingerprint="aaaa")))

        assert response.status_code == 200
        assert response.json()["decision"].startswith("ignored")
        assert not Ticket.objects.exists()
        assert RawEvent.objects.get().state == "ignored"

    def test_still_firing_after_a_technician_resolved_sends_the_ticket_back(self, alertmanager, post_alert,
                                                                              technician):
        from tickets import services

        alert = am_alert("DiskFull", fingerprint="aaaa")
        ticket_id = post_alert(alertmanager, AM, am_payload(alert)).json()["ticket"]
        services.ticket_transition(ticket_id=ticket_id, actor=technician, to_status=Status.RESOLVED)

        answer = post_alert(alertmanager, AM, am_payload(alert)).json()
        assert answer["decision"] == "reopened"
        assert Ticket.objects.get(pk=ticket_id).status == Status.CUSTOMER_RESPONDED

    def test_a_closed_ticket_is_never_added_to(self, alertmanager, post_alert, technician):
        from tickets import services

        alert = am_alert("DiskFull", fingerprint="aaaa")
        ticket_id = post_alert(alertmanager, AM, am_payload(alert)).json()["ticket"]
        services.ticket_transition(ticket_id=ticket_id, actor=technician, to_status=Status.CANCELLED)

        answer = post_alert(alertmanager, AM, am_payload(alert)).json()
        assert answer["decision"] == "created" and answer["ticket"] != ticket_id

    def test_alerts_without_fingerprint_are_identified_by_their_labels(self, alertmanager, post_alert):
        body = am_payload(am_alert("HostDown"), am_alert("HostDown", instance="web02"))
        post_alert(alertmanager, AM, body)
        post_alert(alertmanager, AM, body)

        alerts = Alert.objects.all()
        assert alerts.count() == 2 and {a.occurrences for a in alerts} == {2}
        assert all(len(a.fingerprint) == 16 for a in alerts)

    def test_truncated_groups_do_not_resolve_on_the_alerts_they_list(self, alertmanager, post_alert):
        alert = am_alert("DiskFull", fingerprint="aaaa")
        ticket_id = post_alert(alertmanager, AM, am_payload(alert)).json()["ticket"]
        body = am_payload({**alert, "status": "resolved"}, status="firing")
        body["truncatedAlerts"] = 3

        assert post_alert(alertmanager, AM, body).json()["decision"] == "partly resolved"
        assert Ticket.objects.get(pk=ticket_id).status == Status.NEW

    def test_valid_json_of_another_shape_is_stored_and_answered_2xx(self, alertmanager, post_alert):
        # Alertmanager never retries a 4xx, so answering one would lose the notification silently.
        response = post_alert(alertmanager, AM, {"text": "a custom template"})

        assert response.status_code == 200
        assert response.json()["decision"] == "ignored: unusable"
        assert "alerts" in RawEvent.objects.get().summary

    def test_a_body_that_is_not_json_is_a_400_and_still_kept(self, alertmanager, post_alert):
        response = post_alert(alertmanager, AM, b'{"alerts": [', content_type="application/json")

        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"
        assert bytes(RawEvent.objects.get().body) == b'{"alerts": ['

    def test_an_oversized_body_is_refused_before_it_is_stored(self, alertmanager, post_alert):
        body = am_payload(am_alert("DiskFull"))
        body["padding"] = "x" * (1024 * 1024)

        response = post_alert(alertmanager, AM, body)
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        assert not RawEvent.objects.exists()

    def test_a_failed_processing_is_answered_202_kept_and_retried(self, alertmanager, post_alert, monkeypatch):
        real_apply = intake.alerts_apply
        monkeypatch.setattr(intake, "alerts_apply", lambda **kw: (_ for _ in ()).throw(RuntimeError("db hiccup")))

        response = post_alert(alertmanager, AM, am_payload(am_alert("DiskFull", fingerprint="aaaa")))
        assert response.status_code == 202 and response.json()["decision"] == "queued"
        event = RawEvent.objects.get()
        assert event.state == "failed" and "db hiccup" in event.error and not Ticket.objects.exists()

        monkeypatch.setattr(intake, "alerts_apply", real_apply)
        assert intake.events_retry() == 0  # not due yet: backoff
        with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2)):
            assert intake.events_retry() == 1
        event.refresh_from_db()
        assert event.state == "processed" and event.ticket is not None and event.attempts == 2


class TestAccess:
    def test_no_token_is_a_401_with_a_bearer_challenge(self, alertmanager):
        response = APIClient().post(AM, data="{}", content_type="application/json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_a_token_of_another_kind_of_integration_is_a_403(self, make_integration, post_alert):
        grafana = make_integration("grafana")
        response = post_alert(grafana, AM, am_payload(am_alert("DiskFull")))
        assert response.status_code == 403
        assert not RawEvent.objects.exists()

    def test_a_signed_in_browser_session_is_not_accepted_on_a_webhook(self, admin_user, alertmanager):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(admin_user)
        response = client.post(AM, data=json.dumps(am_payload(am_alert("X"))), content_type="application/json")
        assert response.status_code == 401

    def test_a_deactivated_integration_is_refused(self, alertmanager, post_alert):
        alertmanager.is_active = False
        alertmanager.save()
        assert post_alert(alertmanager, AM, am_payload(am_alert("X"))).status_code == 403

    def test_over_the_quota_is_a_429_with_retry_after(self, alertmanager, post_alert, monkeypatch):
        from django.core.cache import cache

        monkeypatch.setattr(IntegrationThrottle, "THROTTLE_RATES", {"integration": "2/min"})
        cache.delete_many([f"throttle_integration_{alertmanager.user.api_tokens.get().pk}"])
        body = am_payload(am_alert("DiskFull", fingerprint="aaaa"))
        assert [post_alert(alertmanager, AM, body).status_code for _ in range(2)] == [200, 200]

        response = post_alert(alertmanager, AM, body)
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert response.json()["code"] == "throttled"
        assert RawEvent.objects.count() == 2


def grafana_payload(status: str = "firing") -> dict:
    """Grafana alerting's webhook notifier (v1), as documented."""
    alert = {
        "status": status, "labels": {"alertname": "High CPU", "team": "web", "severity": "warning"},
        "annotations": {"summary": "CPU above 95% on web01"}, "startsAt": "2026-11-26T10:00:00+01:00",
        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "https://grafana.example.edu/alerting/grafana/x/view",
        "fingerprint": "57c6d9296de2ad39", "silenceURL": "", "dashboardURL": "", "panelURL": "", "values": None,
        "valueString": "[ var='A' value=97 ]",
    }
    return {
        "receiver": "itsm", "status": status, "orgId": 1, "alerts": [alert],
        "groupLabels": {"alertname": "High CPU"}, "commonLabels": {"alertname": "High CPU"},
        "commonAnnotations": {"summary": "CPU above 95% on web01"}, "externalURL": "https://grafana.example.edu/",
        "version": "1", "groupKey": '{}:{alertname="High CPU"}', "truncatedAlerts": 0,
        "title": f"[{status.upper()}:1] High CPU (web)", "state": "alerting" if status == "firing" else "ok",
        "message": "**Firing**\n\nValue: A=97",
    }


def test_grafana_opens_then_resolves_with_its_warning_severity(make_integration, post_alert):
    grafana = make_integration("grafana")
    opened = post_alert(grafana, GRAFANA, grafana_payload()).json()
    ticket = Ticket.objects.get(pk=opened["ticket"])
    assert ticket.urgency == "impaired" and ticket.title == "CPU above 95% on web01"
    assert AlertGroup.objects.get().key == '1:{}:{alertname="High CPU"}'

    assert post_alert(grafana, GRAFANA, grafana_payload("resolved")).json()["decision"] == "resolved"


def test_the_generic_webhook_opens_and_resolves_by_alert_uid(make_integration, post_alert):
    hook = make_integration("webhook", severity_map={"error": "stopped_workaround"})
    body = {"alert_uid": "zbx-1042", "title": "Problem: Zabbix agent on db01 is unreachable", "state": "alerting",
            "message": "Unavailable for 5 minutes", "link_to_upstream_details": "https://zabbix.example.edu/e/1042"}
    opened = post_alert(hook, WEBHOOK, body)
    assert opened.status_code == 200
    assert Ticket.objects.get().urgency == "stopped_workaround"

    closed = post_alert(hook, WEBHOOK, {**body, "state": "ok"})
    assert closed.status_code == 200 and closed.json()["decision"] == "resolved"


class TestPagerDuty:
    @pytest.fixture
    def pagerduty(self, make_integration):
        return make_integration("pagerduty")

    def send(self, body):
        return APIClient().post(PAGERDUTY, data=json.dumps(body), content_type="application/json")

    def trigger(self, routing_key: str, **extra) -> dict:
        return {"routing_key": routing_key, "event_action": "trigger",
                "payload": {"summary": "HTTP check failed on srv01", "source": "srv01.example.edu",
                            "severity": "critical", "timestamp": "2026-11-26T10:00:00.000+0000",
                            "custom_details": {"free space": "1%"}}, **extra}

    def test_a_trigger_is_answered_as_pagerduty_does_and_dedups_on_its_key(self, pagerduty):
        key = pagerduty.issued.routing_key
        first = self.send(self.trigger(key, dedup_key="srv01/HTTP"))
        assert first.status_code == 202
        assert first.json() == {"status": "success", "message": "Event processed", "dedup_key": "srv01/HTTP"}
        self.send(self.trigger(key, dedup_key="srv01/HTTP"))

        assert Ticket.objects.count() == 1 and AlertGroup.objects.get().occurrences == 2

    def test_a_trigger_without_a_key_gets_one_that_later_events_can_use(self, pagerduty):
        key = pagerduty.issued.routing_key
        dedup_key = self.send(self.trigger(key)).json()["dedup_key"]

        ack = self.send({"routing_key": key, "event_action": "acknowledge", "dedup_key": dedup_key})
        assert ack.status_code == 202 and RawEvent.objects.order_by("-id")[0].decision == "acknowledged"
        # Alertmanager's PagerDuty notifier sends a payload with a resolve: it must be accepted.
        resolve = self.send({"routing_key": key, "event_action": "resolve", "dedup_key": dedup_key,
                             "payload": {"summary": "ok", "source": "am", "severity": "info"}})
        assert resolve.status_code == 202
        assert Ticket.objects.get().status == Status.RESOLVED

    def test_acknowledge_or_resolve_with_nothing_open_creates_nothing(self, pagerduty):
        response = self.send({"routing_key": pagerduty.issued.routing_key, "event_action": "resolve",
                              "dedup_key": "never-seen"})
        assert response.status_code == 202
        assert not Ticket.objects.exists()

    @pytest.mark.parametrize(("change", "error"), [
        ({"event_action": "explode"}, "event_action"),
        ({"payload": None}, "payload"),
        ({"payload": {"summary": "x" * 1025, "source": "s", "severity": "critical"}}, "1024"),
        ({"payload": {"summary": "x", "source": "s", "severity": "page"}}, "severity"),
        ({"dedup_key": "k" * 256}, "255"),
    ])
    def test_invalid_events_get_pagerdutys_400(self, pagerduty, change, error):
        body = {**self.trigger(pagerduty.issued.routing_key), **change}
        response = self.send(body)
        assert response.status_code == 400
        assert response.json()["status"] == "invalid event"
        assert any(error in message for message in response.json()["errors"])
        assert not RawEvent.objects.exists()

    def test_an_unknown_or_malformed_routing_key_is_refused(self, pagerduty):
        assert self.send(self.trigger("routingkeyhere")).status_code == 400
        assert self.send(self.trigger("0" * 32)).json()["errors"] == ["Invalid routing key"]

    def test_unparsable_json_gets_pagerdutys_unrecognized_object(self, pagerduty):
        response = APIClient().post(PAGERDUTY, data='{"routing_key": // comment\n}', content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"status": "Unrecognized object", "message": "Event object format is unrecognized",
                                   "errors": ["JSON parse error"]}


class TestIntegrationsApi:
    def test_an_administrator_creates_one_and_sees_its_secrets_once(self, api, admin_user, email_service):
        response = api(admin_user).post("/api/v1/integrations/", {
            "name": "Campus PagerDuty", "kind": "pagerduty", "service": email_service.pk, "auto_resolve": True,
            "severity_map": {"warning": "stopped_workaround"},
        }, format="json")

        assert response.status_code == 201, response.content
        body = response.json()
        assert len(body["routing_key"]) == 32 and body["token"]
        assert body["endpoint"] == "/api/v1/integrations/pagerduty/v2/enqueue"
        listed = api(admin_user).get(f"/api/v1/integrations/{body['id']}/").json()
        assert "token" not in listed and "routing_key" not in listed
        trigger = {"routing_key": body["routing_key"], "event_action": "trigger",
                   "payload": {"summary": "Disk", "source": "nas", "severity": "warning"}}
        APIClient().post(PAGERDUTY, data=json.dumps(trigger), content_type="application/json")
        assert Ticket.objects.get().urgency == "stopped_workaround"

    def test_a_technician_cannot_manage_integrations(self, api, technician, email_service):
        response = api(technician).post("/api/v1/integrations/", {"name": "x", "kind": "webhook",
                                                                  "service": email_service.pk}, format="json")
        assert response.status_code == 403

    @pytest.mark.parametrize(("change", "field"), [
        ({"kind": "nagios-ish"}, "kind"),
        ({"severity_map": {"disaster": "impaired"}}, "severity_map"),
        ({"severity_map": {"critical": "whenever"}}, "severity_map"),
        ({"service": 999999}, "service"),
        ({"name": ""}, "name"),
    ])
    def test_bad_settings_are_field_errors(self, api, admin_user, email_service, change, field):
        body = {"name": "Prometheus", "kind": "alertmanager", "service": email_service.pk, **change}
        response = api(admin_user).post("/api/v1/integrations/", body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]

    def test_rotating_revokes_the_old_token(self, api, admin_user, alertmanager, post_alert):
        old = copy.copy(alertmanager.issued)
        response = api(admin_user).post(f"/api/v1/integrations/{alertmanager.pk}/rotate/")
        assert response.status_code == 200 and response.json()["token"] != old.token

        assert post_alert(alertmanager, AM, am_payload(am_alert("X"))).status_code == 401
