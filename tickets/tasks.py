"""Tickets core's background tasks. The outbox's tasks live in ``tickets.notifications.tasks`` and
intake's in ``tickets.intake.tasks`` (their ``tickets.*`` names unchanged)."""

from celery import shared_task

from itsm.celery import RETRY_POLICY

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


# --- Idempotency-Key records (beat, hourly) ------------------------------------------------------


@shared_task(name="tickets.expire_idempotency_keys", **RETRY_POLICY)
def expire_idempotency_keys_task() -> int:
    """Delete Idempotency-Key records older than 24 hours. Idempotent: a second or concurrent run finds nothing
    more to delete; a late run changes nothing a client sees (an expired key is reused whether or not it is gone)."""
    from .idempotency import idempotency_keys_expire

    return idempotency_keys_expire()
