"""Real messages from monitoring tools and mail clients (../shared/payloads), read in place.

Each file goes through the same door its tool would use; the assertions are what the service desk
would see: tickets, their statuses and timelines. The module skips where the folder is absent.
"""

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tickets.intake.models import Alert, AlertGroup, RawEvent
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "payloads"
pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared/payloads is not beside this checkout")


def payload(name: str) -> bytes:
    matches = sorted(PAYLOADS.glob(f"*/{name}*"))
    assert len(matches) == 1, f"expected one payload named {name}*, found {matches}"
    return matches[0].read_bytes()


def send(integration, path: str, body: bytes):
    return APIClient().post(path, data=body, content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {integration.issued.token}")


AM = "/api/v1/integrations/alertmanager/"
GRAFANA = "/api/v1/integrations/grafana/"
PAGERDUTY = "/api/v1/integrations/pagerduty/v2/enqueue"


class TestAlertmanagerPayloads:
    @pytest.fixture
    def integration(self, make_integration):
        return make_integration("alertmanager")

    def test_a_two_alert_group_is_one_ticket_tracking_both_fingerprints(self, integration):
        response = send(integration, AM, payload("am_v4_firing_2alerts"))

        assert response.status_code == 200 and response.json()["decision"] == "created"
        ticket = Ticket.objects.get()
        assert ticket.title == "InstanceDown (2 alerts)" and ticket.urgency == "stopped_no_workaround"
        assert set(Alert.objects.values_list("fingerprint", flat=True)) == {"f404ecabc8dd5cd7", "f8f08d4e32c61a9d"}
        assert AuditEvent.objects.filter(ticket=ticket, action="alert").count() == 2

    def test_an_integer_group_key_beyond_2_53_keeps_every_digit(self, integration):
        response = send(integration, AM, payload("am_v3_legacy_int-groupKey"))

        assert response.json()["decision"] == "created"
        assert AlertGroup.objects.get().key == "5615590933959184469"
        assert len(Alert.objects.get().fingerprint) == 16  # no fingerprint before AM 0.19: hashed labels

    def test_an_alert_without_fingerprint_dedups_on_its_labels(self, integration):
        body = payload("am_v4_firing_no-fingerprint")
        send(integration, AM, body)
        again = send(integration, AM, body).json()

        assert again["decision"] == "appended"
        assert Ticket.objects.count() == 1 and Alert.objects.get().occurrences == 2

    def test_firing_resolved_firing_opens_a_second_ticket(self, integration):
        firing, resolved = payload("am_v4_firing__alertmanager-bot"), payload("am_v4_resolved__alertmanager-bot")
        first = send(integration, AM, firing).json()["ticket"]
        assert send(integration, AM, resolved).json()["decision"] == "resolved"
        assert Ticket.objects.get(pk=first).status == Status.RESOLVED

        second = send(integration, AM, firing).json()
        assert second["decision"] == "created" and second["ticket"] != first

    def test_a_recovery_nobody_saw_fire_is_recorded_only(self, integration):
        response = send(integration, AM, payload("am_v4_resolved__alertmanager-bot"))

        assert response.status_code == 200
        assert not Ticket.objects.exists()
        assert RawEvent.objects.get().state == "ignored"


class TestGrafanaPayloads:
    @pytest.fixture
    def integration(self, make_integration):
        return make_integration("grafana")

    def test_unified_alerting_two_alerts_in_one_group(self, integration):
        response = send(integration, GRAFANA, payload("grafana_webhook_v1_firing_2alerts"))

        assert response.json()["decision"] == "created"
        assert AlertGroup.objects.get().key == "1:{}:{}"
        assert Alert.objects.count() == 2

    def test_a_repeated_notification_is_deduplicated(self, integration):
        body = payload("grafana_webhook_v1_firing__grafana-alerting")
        send(integration, GRAFANA, body)
        assert send(integration, GRAFANA, body).json()["decision"] == "appended"
        assert Ticket.objects.count() == 1

    def test_legacy_dashboard_alert_then_ok_resolves(self, integration):
        opened = send(integration, GRAFANA, payload("grafana_legacy_grafana_alert_alerting")).json()
        ticket = Ticket.objects.get(pk=opened["ticket"])
        assert ticket.title == "[Alerting] CPU alert" and "boom!" in ticket.description

        assert send(integration, GRAFANA, payload("grafana_legacy_grafana_alert_ok")).json()["decision"] == "resolved"
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED


class TestPagerDutyPayloads:
    @pytest.fixture
    def integration(self, make_integration):
        return make_integration("pagerduty")

    def post(self, body: bytes | dict):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return APIClient().post(PAGERDUTY, data=data, content_type="application/json")

    def ours(self, name: str, integration) -> dict:
        # The samples carry placeholder keys; an event sent to us carries the key we issued.
        body = json.loads(payload(name))
        body["routing_key"] = integration.issued.routing_key
        return body

    def test_the_schema_example_event_is_answered_in_the_schema_example_shape(self, integration):
        response = self.post(self.ours("pd_v2_trigger__api-schema_openapi_example", integration))

        example = json.loads(payload("pd_v2_response_202_success"))
        assert response.status_code == 202
        assert response.json() == {**example, "dedup_key": "srv01/mysql"}
        ticket = Ticket.objects.get()
        assert ticket.title == "DISK at 99% on machine prod-datapipe03.example.com"
        assert Alert.objects.get().link == "http://pagerduty.example.com"

    def test_trigger_acknowledge_resolve_from_the_developer_docs(self, integration):
        trigger = self.ours("pd_v2_trigger__developer-docs.json", integration)
        response = self.post(trigger)
        assert response.status_code == 202
        assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"}
        ticket = Ticket.objects.get()
        assert ticket.urgency == "not_impaired"  # severity info
        assert "Component: postgres" in ticket.description

        for name in ("pd_v2_acknowledge", "pd_v2_resolve"):
            body = self.ours(name, integration)
            body["dedup_key"] = "samplekeyhere"
            assert self.post(body).status_code == 202
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        assert list(AuditEvent.objects.filter(ticket=ticket, action="alert").values_list("old_value", flat=True)) \
            == ["", "firing", "acknowledged"]

    def test_the_placeholder_routing_key_gets_the_400_alertmanager_expects(self, integration):
        response = self.post(payload("pd_v2_resolve__developer-docs"))

        assert response.status_code == 400
        assert response.json() == json.loads(payload("pd_v2_response_400_invalid_event"))

    @pytest.mark.parametrize("name", ["pd_v2_trigger__developer-docs_verbatim", "pd_v1_trigger", "pd_v1_acknowledge",
                                      "pd_v1_resolve"])
    def test_commented_doc_samples_are_unrecognized_objects(self, integration, name):
        response = self.post(payload(name))

        assert response.status_code == 400
        assert response.json() == json.loads(payload("pd_v2_response_error"))
        assert not RawEvent.objects.exists()


def receive(name: str):
    from tickets.intake.email_intake import receive_email

    return receive_email(payload(name))


class TestEmailPayloads:
    @pytest.mark.parametrize(("name", "title", "text"), [
        ("01_plain_utf8-8bit", "Testovácí email", "íářčšáíéřášč"),
        ("02_plain_text_forwarded", "Test with original message from GitHub", "This is email body"),
        ("03_multipart-alternative", "Český test", "Tohle je test českých písmen odeslaných z gmailu."),
        ("05_fwd_in-reply-to", "Fwd: Cyklozaměstnavatel - změna vyhodnocení", "Forwarded Message"),
        ("06_pgp-signed", "example email that crashes django-helpdesk", "hi, thanks for looking into this :)"),
        ("11_reply_outlook-style-quote", "Test", "Hello"),
    ])
    def test_a_new_message_opens_a_ticket_with_decoded_subject_and_text(self, db, name, title, text):
        event, created = receive(name)

        assert created and event.decision == "created", event.summary
        ticket = event.ticket
        assert ticket.title.startswith(title) and text in ticket.description
        assert ticket.source == "email" and ticket.requester.email
        assert not receive(name)[1], "the same message again must be recognised as a duplicate"
        assert Ticket.objects.count() == 1

    def test_a_blank_body_with_an_attachment_keeps_the_attachment(self, db):
        from tickets.models import Attachment

        event, _ = receive("04_attachment_blank-body")
        assert event.ticket.title.startswith("Attachment without body")
        assert list(Attachment.objects.values_list("original_name", "content_type")) == [("baf.txt", "text/plain")]

    def test_a_signature_part_outside_the_allowed_types_is_named_not_stored(self, db):
        event, _ = receive("06_pgp-signed")
        assert "signature.asc" in event.summary and not event.ticket.attachments.exists()

    @pytest.mark.parametrize(("name", "sender", "original_id"), [
        ("10_reply_in-reply-to+references", "adam@tictail.com",
         "CABzQGhkMXDxUt_tSVQcg=43aniUhtsVfCZVzu-PG0kwS_uzqMw@mail.gmail.com"),
        ("12_reply_in-reply-to_yahoo", "xxx@yahoo.com", "1333374262.7063.15.camel@mg5"),
    ])
    def test_a_reply_joins_the_ticket_its_original_opened_without_the_quote(self, db, name, sender, original_id):
        from tests.intake.test_email_intake import message
        from tickets.intake.email_intake import receive_email
        from tickets.models import ConversationEntry

        original, _ = receive_email(message(sender=sender, subject="Hello there", message_id=f"<{original_id}>"))
        event, _ = receive(name)

        assert event.decision == "replied" and event.ticket == original.ticket
        assert ConversationEntry.objects.get(ticket=original.ticket).body == "Hello"

    def test_a_forward_carrying_another_threads_id_does_not_join_a_ticket_of_someone_else(self, make_user):
        from tests.intake.test_email_intake import message
        from tickets.intake.email_intake import receive_email

        original, _ = receive_email(message(sender="someone.else@example.cz", subject="Cyklozaměstnavatel",
                                            message_id="<CAK0Q_=uQY=3V5iUSgEN16GLtYoJ-6oQu-vYjsgQ=jv6DwOkuLQ@"
                                                       "mail.gmail.com>"))
        event, _ = receive("05_fwd_in-reply-to")
        assert event.decision == "created" and event.ticket != original.ticket

    @pytest.mark.parametrize("name", ["20_autoreply", "21_autoreply", "22_autoreply", "23_autoreply", "24_autoreply",
                                      "30_bounce", "31_bounce"])
    def test_auto_replies_and_bounces_open_nothing_and_send_nothing(self, db, name):
        from tickets.notifications.models import Notification

        event, created = receive(name)

        assert created and event.state == "ignored" and event.decision == "ignored: automated"
        assert not Ticket.objects.exists() and not Notification.objects.exists()


class TestNagiosPayloads:
    @pytest.fixture
    def nagios(self, make_integration):
        return make_integration("nagios", senders="nagios2@monitoring.example.com")

    def test_a_host_goes_down_and_comes_back(self, nagios):
        down, _ = receive("nagios_host_PROBLEM_down")
        assert down.decision == "created" and down.ticket.source == "monitoring"
        assert down.ticket.urgency == "stopped_no_workaround"

        up, created = receive("nagios_host_RECOVERY_up")  # same Message-ID as the PROBLEM mail, other content
        assert created and up.decision == "resolved" and up.ticket == down.ticket
        down.ticket.refresh_from_db()
        assert down.ticket.status == Status.RESOLVED

    def test_a_repeated_problem_adds_to_the_ticket_and_an_ok_state_resolves_it(self, nagios):
        first, _ = receive("nagios_service_PROBLEM_cpu_warning")
        assert first.ticket.urgency == "impaired"
        assert receive("nagios_service_PROBLEM_cpu_repeated")[0].decision == "appended"
        other, _ = receive("nagios_service_PROBLEM_disk_warning")
        assert other.ticket != first.ticket  # another service on the same host

        recovery, _ = receive("nagios_service_stateOK_cpu_recovery")  # the subject still says PROBLEM
        assert recovery.decision == "resolved" and recovery.ticket == first.ticket
        assert AuditEvent.objects.filter(ticket=first.ticket, action="alert").count() == 3
