"""The transactional outbox's delivery side: a notification is a row first and an e-mail second.

``services.queue`` writes the rows inside the caller's transaction, so a rolled-back change sends
nothing, and asks the workers to send them once the transaction commits (``dispatch``: one broker
message per ``DISPATCH_BATCH`` rows; a message per row cost more than rendering it, and an outage of
10,000 children made 10,000 of them).
The broker message is only a wake-up:
``relay`` finds rows that stayed pending (broker down, worker killed) and dispatches them again,
and ``deliver`` claims a row with a conditional update before sending, so however often it is
dispatched, one worker sends it. A crash between the SMTP server's acceptance and our "sent"
mark can repeat only the message in flight; its fixed Message-ID lets mail clients fold the copy.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Notification
from .rendering import render

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
# Rows per broker message. A worker sends them over one SMTP connection, each after its own claim,
# so a batch only shares overhead: a killed worker still repeats at most the message in flight.
DISPATCH_BATCH = 50


def lease() -> timedelta:
    """How long a claim holds: a row still "sending" after this lost its worker."""
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def redispatch_after() -> timedelta:
    """A pending row older than this was not picked up from its dispatch."""
    return timedelta(seconds=settings.NOTIFICATION_REDISPATCH_SECONDS)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4, 8 ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def dispatch(ids: Iterable[int]) -> int:
    """Hand rows to the workers, ``DISPATCH_BATCH`` a message; how many were handed over.

    A broker failure is logged, never raised: the rows stay pending and the relay retries them.
    """
    from .tasks import send_notifications

    ids = list(ids)
    sent = 0
    for start in range(0, len(ids), DISPATCH_BATCH):
        chunk = ids[start:start + DISPATCH_BATCH]
        try:
            send_notifications.delay(chunk)
        except Exception:  # the broker is unreachable or refused us
            logger.warning("Could not dispatch %s notification(s); the relay will retry", len(ids) - sent,
                           exc_info=True)
            break
        sent += len(chunk)
    return sent


def _claim(pk: int, now: datetime) -> bool:
    claimable = Q(state=Notification.State.PENDING, next_attempt_at__lte=now) | Q(
        state=Notification.State.SENDING, lease_until__lt=now
    )
    return bool(
        Notification.objects.filter(claimable, pk=pk).update(
            state=Notification.State.SENDING, lease_until=now + lease(), attempts=F("attempts") + 1
        )
    )


def _fill_bodies(notification: Notification) -> dict:
    """Render a row queued with its facts only; returns the rendered fields, to be kept once sent."""
    if notification.body_text or not notification.context:
        return {}
    notification.body_text, notification.body_html = render(notification)
    return {"body_text": notification.body_text, "body_html": notification.body_html}


def build_message(notification: Notification, connection=None) -> EmailMultiAlternatives:
    headers = {"Message-ID": notification.message_id, "Auto-Submitted": "auto-generated"}
    if notification.in_reply_to:
        headers["In-Reply-To"] = notification.in_reply_to
    if notification.references:
        headers["References"] = notification.references
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(notification.to),
        reply_to=[notification.reply_to] if notification.reply_to else None,
        headers=headers,
        connection=connection,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def deliver(pk: int) -> bool:
    """Send one notification if this worker wins the claim; True when this call sent it."""
    return deliver_many([pk]) == 1


def deliver_many(pks: Iterable[int]) -> int:
    """``deliver`` for a batch over one SMTP connection; how many this call sent.

    Each row is claimed on its own, so a row another worker holds is skipped, not waited for.
    """
    now = timezone.now()
    claimed = [pk for pk in pks if _claim(pk, now)]
    if not claimed:
        return 0
    sent = 0
    connection = get_connection()
    try:
        for notification in Notification.objects.filter(pk__in=claimed).order_by("pk"):
            try:
                rendered = _fill_bodies(notification)
                connection.open()  # opened here, the backend keeps the session across send() calls
                build_message(notification, connection=connection).send()
            except Exception as error:  # SMTP refusal, timeout, DNS, a template error: kept for the administrators
                _failed(notification, error)
                connection.close()  # a broken session would fail every later message too
                continue
            _sent(notification.pk, rendered)
            sent += 1
    finally:
        connection.close()
    return sent


def _sent(pk: int, rendered: dict) -> None:
    # The bodies rendered for sending are kept: the row shows what the person received.
    Notification.objects.filter(pk=pk, state=Notification.State.SENDING).update(
        state=Notification.State.SENT, sent_at=timezone.now(), lease_until=None, last_error="", **rendered
    )


def describe(error: Exception) -> str:
    """The error as an administrator needs to read it: the server's answer when there was one."""
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"SMTP {error.smtp_code}: {answer}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = error.recipients.items()
        return "Recipients refused: " + "; ".join(
            f"{address} ({code} {reply.decode(errors='replace')})" for address, (code, reply) in refused
        )
    return f"{type(error).__name__}: {error}"


def _failed(notification: Notification, error: Exception) -> None:
    message = describe(error)[:2000]
    rows = Notification.objects.filter(pk=notification.pk, state=Notification.State.SENDING)
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        rows.update(state=Notification.State.FAILED, lease_until=None, last_error=message)
        logger.error("Notification %s failed for good after %s tries: %s", notification.pk,
                     notification.attempts, message)
        return
    rows.update(state=Notification.State.PENDING, lease_until=None, last_error=message,
                next_attempt_at=timezone.now() + backoff(notification.attempts))
    logger.warning("Notification %s failed (try %s), will retry: %s", notification.pk, notification.attempts,
                   message)


def relay(now: datetime | None = None, batch_size: int = RELAY_BATCH) -> int:
    """Dispatch again what is due and was not sent: never dispatched, retry time reached, or lease lost."""
    now = now or timezone.now()
    stale = now - redispatch_after()
    due = Q(state=Notification.State.PENDING, next_attempt_at__lte=now) & (
        Q(dispatched_at__isnull=True, created_at__lte=stale) | Q(dispatched_at__lte=stale) | Q(attempts__gt=0)
    ) | Q(state=Notification.State.SENDING, lease_until__lt=now)
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        Notification.objects.filter(pk__in=ids).update(dispatched_at=now)
    return dispatch(ids)
