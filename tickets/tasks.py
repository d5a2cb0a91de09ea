"""Workers' side of the outbox. Both tasks are idempotent: the claim in ``outbox.deliver`` decides."""

from celery import shared_task

from itsm.celery import RETRY_POLICY

from . import outbox


@shared_task(name="tickets.send_notifications", **RETRY_POLICY)
def send_notifications(notification_ids: list[int]) -> int:
    return outbox.deliver_many(notification_ids)


@shared_task(name="tickets.send_notification", **RETRY_POLICY)
def send_notification(notification_id: int) -> bool:
    """One row: what earlier releases put on the broker, still understood during an upgrade."""
    return outbox.deliver(notification_id)


@shared_task(name="tickets.relay_notifications", **RETRY_POLICY)
def relay_notifications() -> int:
    return outbox.relay()


@shared_task(name="tickets.retry_inbound_events", **RETRY_POLICY)
def retry_inbound_events() -> int:
    """Inbound events whose processing failed, or whose request died after storing them."""
    from .intake.services import events_retry

    return events_retry()


@shared_task(name="tickets.poll_imap", **RETRY_POLICY)
def poll_imap() -> int:
    from .intake.imap import poll

    return poll()


# --- SLA timers (beat, every minute): named "sla.*", the names the beat schedule and the queue routes use ---


@shared_task(name="sla.sweep", **RETRY_POLICY)
def sla_sweep_task() -> int:
    """Mark due SLA warnings and breaches. Idempotent: each threshold is claimed under the batch's row
    locks, so a redelivered or concurrent run marks nothing twice."""
    from .sla_sweep import sla_sweep

    return len(sla_sweep().marked)


@shared_task(name="sla.reevaluate_operating_hours", **RETRY_POLICY)
def sla_reevaluate_operating_hours_task() -> int:
    """Re-evaluate tickets whose service's operating hours have begun. Idempotent: each ticket is
    re-evaluated under its row lock only while its re-evaluation time is still set."""
    from .sla_sweep import sla_reevaluate_operating_hours

    return sla_reevaluate_operating_hours()
