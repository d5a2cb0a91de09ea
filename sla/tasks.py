"""Periodic SLA tasks (beat, every minute). Both are safe to run twice or concurrently."""

import logging

from celery import shared_task

from itsm.celery import RETRY_POLICY

from .sweep import sla_reevaluate_operating_hours, sla_sweep

logger = logging.getLogger(__name__)


@shared_task(name="sla.sweep", **RETRY_POLICY)
def sla_sweep_task() -> int:
    """Mark due SLA warnings and breaches. Idempotent: each threshold is claimed by a conditional
    update, so a redelivered or concurrent run marks nothing twice."""
    result = sla_sweep()
    if result.marked:
        logger.info("SLA sweep marked %d thresholds on %d tickets", len(result.marked), result.examined)
    return len(result.marked)


@shared_task(name="sla.reevaluate_operating_hours", **RETRY_POLICY)
def sla_reevaluate_operating_hours_task() -> int:
    """Re-evaluate tickets whose service's operating hours have begun. Idempotent: each ticket is
    re-evaluated under its row lock only while its re-evaluation time is still set."""
    return sla_reevaluate_operating_hours()
