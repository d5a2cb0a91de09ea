"""Intake records: monitoring integrations, every inbound event stored raw, and open alert groups.

The tables keep the names they had when these models lived in the ``tickets`` app (``db_table``):
the move to an app of its own changed no row.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sla.matrix import Impact, Urgency

# PagerDuty's integration keys are 32 characters; clients validate the length before sending.
ROUTING_KEY_LENGTH = 32

# The defaults: how a tool's severity maps onto the process's urgency.
DEFAULT_SEVERITY_URGENCY = {
    "critical": Urgency.STOPPED_NO_WORKAROUND.value,
    "error": Urgency.STOPPED_WORKAROUND.value,
    "warning": Urgency.IMPAIRED.value,
    "info": Urgency.NOT_IMPAIRED.value,
}
SEVERITIES = tuple(DEFAULT_SEVERITY_URGENCY)


def default_severity_map() -> dict[str, str]:
    return dict(DEFAULT_SEVERITY_URGENCY)


def key_digest(key: str) -> str:
    """Alert keys can be long (Alertmanager group keys); the constraint indexes a fixed-size digest."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class Integration(models.Model):
    """A monitoring tool that may open tickets: where they go, how severe they are, who it acts as."""

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GRAFANA = "grafana", "Grafana alerting"
        PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
        WEBHOOK = "webhook", "Generic JSON webhook"
        NAGIOS = "nagios", "Nagios notification e-mail"
        EMAIL = "email", "Inbound e-mail relay (posts raw messages)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    service = models.ForeignKey("tickets.Service", on_delete=models.PROTECT, related_name="integrations")
    group = models.ForeignKey(
        "tickets.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="integrations",
        help_text="The queue its tickets go to; empty means the service's default group.",
    )
    auto_resolve = models.BooleanField(
        default=True, help_text="A recovery resolves the ticket; otherwise it is noted on the timeline."
    )
    impact = models.CharField(max_length=32, choices=Impact.choices, default=Impact.DEPARTMENT)
    severity_map = models.JSONField(
        default=default_severity_map, blank=True,
        help_text="Severity (critical, error, warning, info) → urgency; missing entries use the defaults.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration",
        help_text="The account the tool acts as: its token's user and its tickets' requester.",
    )
    # PagerDuty's routing key is the credential of that protocol: kept, like tokens, only as a digest.
    routing_key_digest = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    senders = models.TextField(
        blank=True, help_text="Nagios: the addresses its notification mails come from, one per line.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "tickets_integration"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def urgency_for(self, severity: str) -> str:
        mapping = {**DEFAULT_SEVERITY_URGENCY, **(self.severity_map or {})}
        return mapping.get(severity, mapping["error"])

    def sender_addresses(self) -> set[str]:
        return {line.strip().lower() for line in self.senders.splitlines() if line.strip()}

    def assign_routing_key(self) -> str:
        """A new 32-character routing key; returned this once, stored as a digest."""
        key = secrets.token_hex(ROUTING_KEY_LENGTH // 2)
        self.routing_key_digest = key_digest(key)
        return key


class RawEvent(models.Model):
    """One accepted inbound message, exactly as received, committed before anything acts on it."""

    class Source(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Alertmanager"
        GRAFANA = "grafana", "Grafana"
        PAGERDUTY = "pagerduty", "PagerDuty"
        WEBHOOK = "webhook", "Webhook"
        EMAIL = "email", "E-mail"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be processed"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed; will be retried"

    source = models.CharField(max_length=16, choices=Source.choices)
    integration = models.ForeignKey(Integration, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="events")
    body = models.BinaryField()
    content_type = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    # E-mail: Message-ID plus a digest of the content (some senders reuse Message-IDs). Empty elsewhere.
    dedup_key = models.CharField(max_length=1100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    decision = models.CharField(max_length=32, blank=True, help_text="What processing did with it.")
    summary = models.TextField(blank=True)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="raw_events")
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets_rawevent"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state__in=["pending", "failed"]),
                         name="raw_event_retry"),
            models.Index(fields=["integration", "-received_at"], name="raw_event_integration"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "dedup_key"], condition=~Q(dedup_key=""),
                                    name="raw_event_dedup"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} event {self.pk} ({self.state})"


class AlertGroup(models.Model):
    """The alerts of one key that share one ticket while it is open.

    The partial unique constraint is the dedup: two deliveries of the same alert at the same instant
    cannot both open a group, whatever the timing.
    """

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="alert_groups")
    key = models.TextField()
    key_digest = models.CharField(max_length=64)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="alert_groups")
    is_open = models.BooleanField(default=True)
    occurrences = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets_alertgroup"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "key_digest"], condition=Q(is_open=True),
                                    name="one_open_alert_group_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.integration}: {self.key[:80]}"


class Alert(models.Model):
    """One alert of a group, by the tool's fingerprint; the group resolves when all of these have."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices)
    title = models.CharField(max_length=1500)
    severity = models.CharField(max_length=16)
    labels = models.JSONField(default=dict, blank=True)
    link = models.URLField(max_length=2000, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "tickets_alert"
        ordering = ["group", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "fingerprint"], name="one_alert_per_fingerprint"),
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} ({self.status})"
