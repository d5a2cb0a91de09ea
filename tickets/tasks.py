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


# --- Lifecycle automation (beat, every five minutes), routed to the "sla" queue with the timers above ---


@shared_task(name="tickets.close_resolved", **RETRY_POLICY)
def close_resolved_task() -> int:
    """Close resolved incidents whose customer has not answered within their business days.

    Idempotent: each ticket is closed under its row lock only while its status, the time it entered it and
    its timer are those the run read, and closing changes them, so a redelivered or concurrent run (two
    beats) closes nothing twice. A ticket whose step fails is logged and tried again an hour later.
    """
    from .automation import resolved_tickets_close

    return len(resolved_tickets_close().done)


@shared_task(name="tickets.follow_up_wait_customer", **RETRY_POLICY)
def follow_up_wait_customer_task() -> int:
    """Remind customers who have not answered a question; after the reminder's wait, resolve or cancel.

    Idempotent: as ``tickets.close_resolved``; the reminder moves the ticket's timer on under the lock, so it
    is sent once per wait, and the resolution changes the status, so it happens once.
    """
    from .automation import waiting_tickets_follow_up

    return len(waiting_tickets_follow_up().done)
