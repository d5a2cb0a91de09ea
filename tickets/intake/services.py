"""Inbound events: stored raw and committed first, then turned into ticket changes, retried if that fails.

Every channel (alert webhooks, PagerDuty events, e-mail from a pipe or IMAP) calls ``event_store``
then ``event_process``. Processing runs under the event's row lock and records its decision on the
event, so a retry after a crash or a duplicate delivery does nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from sla.matrix import Impact

from .. import services as tickets
from ..lifecycle import FINAL_STATUSES, Status
from ..models import AuditEvent, Channel, Classification, Source, Ticket
from . import alerts as readers
from .alerts import FIRING, RESOLVED, AlertBatch, PayloadError
from .models import Alert, AlertGroup, Integration, RawEvent, key_digest

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
_DECIDED_FIELDS = ["state", "decision", "summary", "ticket", "attempts", "error", "next_attempt_at", "processed_at"]


@dataclass(frozen=True)
class Outcome:
    decision: str  # created, appended, resolved, recovered, acknowledged, ignored, ...
    summary: str
    ticket: Ticket | None = None


def event_store(
    *,
    source: str,
    body: bytes,
    integration: Integration | None = None,
    content_type: str = "",
    headers: dict[str, str] | None = None,
    message_id: str = "",
    dedup_key: str = "",
) -> tuple[RawEvent, bool]:
    """Commit the event as received. Returns ``(event, False)`` for a duplicate of one stored before."""
    event = RawEvent(
        source=source,
        integration=integration,
        body=bytes(body),
        content_type=content_type[:255],
        headers=headers or {},
        content_hash=hashlib.sha256(body).hexdigest(),
        message_id=message_id[:998],
        dedup_key=dedup_key[:1100],
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        if not dedup_key:
            raise
        return RawEvent.objects.get(source=source, dedup_key=event.dedup_key), False
    return event, True


def event_process(event_id: int) -> RawEvent:
    """Apply a stored event once. A failure leaves it ``failed`` with the error, to be retried later."""
    try:
        with transaction.atomic():
            event = RawEvent.objects.select_for_update(of=("self",)).select_related("integration").get(pk=event_id)
            if event.state not in (RawEvent.State.PENDING, RawEvent.State.FAILED):
                return event
            outcome = _apply(event)
            event.state = RawEvent.State.IGNORED if outcome.decision.startswith("ignored") else RawEvent.State.PROCESSED
            event.decision, event.summary = outcome.decision[:32], outcome.summary
            event.ticket = outcome.ticket
            event.attempts += 1
            event.error, event.next_attempt_at, event.processed_at = "", None, timezone.now()
            # Not the body: it never changes, and it is the row's largest column.
            event.save(update_fields=_DECIDED_FIELDS)
            return event
    except Exception as error:
        log.exception("Processing inbound event %s failed", event_id)
        return _mark_failed(event_id, error)


def _mark_failed(event_id: int, error: Exception) -> RawEvent:
    with transaction.atomic():
        event = RawEvent.objects.select_for_update().get(pk=event_id)
        event.attempts += 1
        event.state = RawEvent.State.FAILED
        event.error = f"{type(error).__name__}: {error}"[:4000]
        # Backoff 1, 2, 4 … minutes; after the last attempt it waits for a person (admin "process again").
        event.next_attempt_at = (
            timezone.now() + timedelta(minutes=2 ** (event.attempts - 1)) if event.attempts < MAX_ATTEMPTS else None
        )
        event.save()
        return event


def events_retry(*, now: datetime | None = None, limit: int = 100) -> int:
    """Process again what failed, or what a crashed request stored and never processed."""
    now = now or timezone.now()
    due = list(
        RawEvent.objects.filter(state__in=[RawEvent.State.PENDING, RawEvent.State.FAILED], next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in due:
        event_process(event_id)
    return len(due)


def _apply(event: RawEvent) -> Outcome:
    if event.source == RawEvent.Source.EMAIL:
        from .email_intake import apply_email

        return apply_email(event)
    integration = event.integration
    if integration is None or not integration.is_active:
        return Outcome("ignored", "The integration is missing or inactive.")
    try:
        body = json.loads(bytes(event.body).decode("utf-8"))
        if event.source == RawEvent.Source.PAGERDUTY:
            # The key answered to the client when it sent none; a retry must use the same one.
            batch = readers.pagerduty(body, default_key=event.headers.get("dedup_key", ""))
        else:
            batch = readers.READERS[event.source](body)
    except (UnicodeDecodeError, ValueError) as error:
        errors = error.errors if isinstance(error, PayloadError) else [f"The body is not JSON: {error}"]
        return Outcome("ignored: unusable", "; ".join(errors))
    return alerts_apply(integration=integration, batch=batch)


def alerts_apply(*, integration: Integration, batch: AlertBatch, now: datetime | None = None) -> Outcome:
    """Open, add to, or resolve the one ticket of the batch's key; the caller holds a transaction."""
    now = now or timezone.now()
    group = _open_group(integration, batch.key)
    if group is None:
        if not batch.firing:
            return Outcome("ignored: no open alert", f"Nothing open under this key to {batch.alerts[0].status}.")
        group, created = _create_group(integration, batch, now)
        if created:
            # Stamped with the ticket's creation, so its timeline opens with "created", then the alerts.
            _record(group, batch, group.ticket.created_at)
            return Outcome("created", f"Opened #{group.ticket_id}.", group.ticket)
    group.occurrences += 1
    group.last_event_at = now
    group.save(update_fields=["occurrences", "last_event_at"])
    alerts = _record(group, batch, now)
    return _settle(integration, group, batch, now, statuses={alert.status for alert in alerts})


def _open_group(integration: Integration, key: str) -> AlertGroup | None:
    group = (
        AlertGroup.objects.select_for_update()
        .select_related("ticket")
        .filter(integration=integration, key_digest=key_digest(key), is_open=True)
        .first()
    )
    if group is not None and group.ticket.status in FINAL_STATUSES:
        # Closed or cancelled by a person: the next alert is a new incident.
        _close(group, timezone.now())
        return None
    return group


def _create_group(integration: Integration, batch: AlertBatch, now: datetime) -> tuple[AlertGroup, bool]:
    try:
        # A savepoint: losing the race to another delivery of the same alert rolls back only our ticket.
        with transaction.atomic():
            ticket = tickets.ticket_create(
                actor=None,
                title=batch.title[:200] or "Monitoring alert",
                description=_description(batch),
                impact=integration.impact or Impact.DEPARTMENT,
                urgency=integration.urgency_for(batch.severity),
                service=integration.service,
                group=integration.group,
                requester=integration.user,
                classification=Classification.INCIDENT,
                source=Source.MONITORING,
                channel=Channel.MONITORING,
            )
            group = AlertGroup.objects.create(
                integration=integration,
                key=batch.key,
                key_digest=key_digest(batch.key),
                ticket=ticket,
                opened_at=now,
                last_event_at=now,
            )
            return group, True
    except IntegrityError:
        group = (
            AlertGroup.objects.select_for_update()
            .select_related("ticket")
            .get(integration=integration, key_digest=key_digest(batch.key), is_open=True)
        )
        return group, False


def _description(batch: AlertBatch) -> str:
    parts = [batch.description] if batch.description else []
    for alert in batch.alerts:
        parts.append(f"[{alert.severity}] {alert.title}\n{alert.description}".strip())
    return "\n\n".join(parts)[: readers.DESCRIPTION_MAX]


def _record(group: AlertGroup, batch: AlertBatch, now: datetime) -> list[Alert]:
    """Each alert of the delivery: its state on the group, and one line on the ticket's timeline.

    Returns every alert of the group, as it now stands."""
    known = {alert.fingerprint: alert for alert in group.alerts.select_for_update()}
    events = []
    for signal in batch.alerts:
        alert = known.get(signal.fingerprint)
        previous = alert.status if alert else ""
        if alert is None:
            alert = Alert(group=group, fingerprint=signal.fingerprint, occurrences=0)
        alert.status, alert.title, alert.severity = signal.status, signal.title, signal.severity
        alert.labels, alert.link, alert.last_seen_at = signal.labels, signal.link[:2000], now
        alert.starts_at = signal.starts_at or alert.starts_at
        alert.ends_at = signal.ends_at if signal.status == RESOLVED else None
        alert.occurrences += 1
        if alert.pk:
            alert.save(update_fields=_ALERT_FIELDS)
        else:
            alert.save()
        known[alert.fingerprint] = alert
        events.append(
            AuditEvent(
                ticket_id=group.ticket_id,
                actor=None,
                channel=Channel.MONITORING,
                action=AuditEvent.Action.ALERT,
                field=signal.fingerprint[:64],
                old_value=previous,
                new_value=f"{signal.status}: {signal.title}"[:2000],
                created_at=now,
            )
        )
    AuditEvent.objects.bulk_create(events)
    return list(known.values())


_ALERT_FIELDS = ["status", "title", "severity", "labels", "link", "last_seen_at", "starts_at", "ends_at", "occurrences"]


def _settle(integration: Integration, group: AlertGroup, batch: AlertBatch, now: datetime, *,
            statuses: set[str]) -> Outcome:
    """What the delivery means for the ticket, now that ``statuses`` are all its alerts' states."""
    ticket = group.ticket  # read with the group, under the group's lock, in this transaction
    all_resolved = _group_resolved(batch, statuses)
    if batch.firing:
        if ticket.status == Status.RESOLVED:
            # Resolved by a person while the monitor still sees the fault: the fix did not hold.
            ticket = tickets.ticket_transition(
                ticket_id=ticket.pk, actor=None, to_status=Status.CUSTOMER_RESPONDED, channel=Channel.MONITORING
            )
            return Outcome("reopened", f"Still firing: #{ticket.pk} moved back to customer responded.", ticket)
        return Outcome("appended", f"Added to #{ticket.pk}.", ticket)
    if any(alert.status == readers.ACKNOWLEDGED for alert in batch.alerts):
        return Outcome("acknowledged", f"#{ticket.pk}: acknowledged in the monitoring tool.", ticket)
    if not all_resolved:
        if not batch.complete:
            return Outcome("partly resolved", f"#{ticket.pk}: the tool left alerts out of this delivery "
                                              "(truncatedAlerts), so it does not show the whole group resolved.",
                           ticket)
        waiting = len(statuses - {RESOLVED})
        return Outcome("partly resolved", f"#{ticket.pk}: {waiting} alert state(s) still not resolved.", ticket)
    # Alerts seen earlier and not listed now have expired out of the group: the group's status covers them.
    group.alerts.exclude(status=RESOLVED).update(status=RESOLVED)
    if not integration.auto_resolve:
        return Outcome("recovered", f"#{ticket.pk}: every alert recovered; left for a technician to resolve.", ticket)
    if ticket.status != Status.RESOLVED:
        ticket = tickets.ticket_transition(
            ticket_id=ticket.pk, actor=None, to_status=Status.RESOLVED, channel=Channel.MONITORING
        )
    _close(group, now)
    return Outcome("resolved", f"Every alert recovered: #{ticket.pk} resolved.", ticket)


def _group_resolved(batch: AlertBatch, statuses: set[str]) -> bool:
    """Whether the delivery says nothing in the group fires any more.

    Alertmanager and Grafana send the group's own ``status`` (``resolved`` only when none of its alerts
    fires) beside the alerts it lists, and an alert resolved earlier may have expired out of the list:
    that status decides, whatever our records say of alerts not listed. But a truncated delivery
    (``truncatedAlerts > 0``) is computed by Alertmanager over the alerts it kept, so it never resolves
    the group from that partial list. Tools without a group status (one alert per key) resolve when every
    alert recorded under the key has.
    """
    if not batch.complete:
        return False
    return batch.group_resolved or statuses == {RESOLVED}


def _close(group: AlertGroup, now: datetime) -> None:
    group.is_open, group.closed_at = False, now
    group.save(update_fields=["is_open", "closed_at"])


__all__ = ["FIRING", "Outcome", "alerts_apply", "event_process", "event_store", "events_retry"]
