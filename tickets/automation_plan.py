"""When the lifecycle automation acts on a ticket: its rules, per service, and the timer they set.

- A resolved incident closes after ``close_days`` business days without an answer from its customer
  (the "Resolved, please check" mail says so).
- An incident waiting on its customer gets a reminder after ``reminder_days`` business days and,
  ``expiry_days`` after the reminder, is resolved (or cancelled, ``expiry_action``) with a public note.
- Business days are counted on the ticket's own calendar (its service's, else the default one):
  ``sla.business_days``.
- Outages and problems are never moved by it: they resolve with their all-clear and close through their
  process, once their children (incidents, which it does close) are closed.

The site's settings give the defaults (``AUTO_CLOSE_RESOLVED_DAYS`` and the ``WAIT_CUSTOMER_*`` ones);
a service may set its own (``Service.auto_close_days`` …; empty means the setting, 0 turns a step off).

Every status change calls ``status_entered`` (``tickets.services``), which stamps ``status_changed_at``
and sets ``automation_due_at`` to the first step's time. The beat tasks (``tickets.automation``) read
only rows whose time has passed and plan again under the row lock before acting, so a setting changed
since, or a public reply from the customer's side that moved nothing (a follower's), counts then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings

from sla.business_days import add_business_days
from sla.calendars import ClockCache

from .lifecycle import Status
from .models import Classification, Service, Ticket

__all__ = [
    "AUTOMATION_FIELDS", "ExpiryAction", "Plan", "Rules", "Step", "close_after_days", "plan", "rules_for",
    "status_entered",
]

# The columns ``status_entered`` writes; every save of a status change includes them.
AUTOMATION_FIELDS = ["status_changed_at", "automation_due_at", "wait_reminded_at"]


class Step(StrEnum):
    """An automatic step; the value is the audit event's ``field``."""

    CLOSE = "auto_close"  # resolved, no answer: closed
    REMIND = "wait_reminder"  # waiting on the customer: reminded once
    EXPIRE = "wait_expired"  # still no answer after the reminder: resolved or cancelled


class ExpiryAction(StrEnum):
    RESOLVE = "resolve"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Rules:
    """The business days of each step for one service (0: the step is off)."""

    close_days: int
    reminder_days: int
    expiry_days: int
    expiry_action: ExpiryAction


@dataclass(frozen=True)
class Plan:
    step: Step
    due_at: datetime
    rules: Rules


def _days(own: int | None, site: int) -> int:
    return own if own is not None else site


def rules_for(service: Service | None) -> Rules:
    """The service's own values where it sets them, the site's settings otherwise."""
    own = service if service is not None else Service()
    return Rules(
        close_days=_days(own.auto_close_days, settings.AUTO_CLOSE_RESOLVED_DAYS),
        reminder_days=_days(own.wait_reminder_days, settings.WAIT_CUSTOMER_REMINDER_DAYS),
        expiry_days=_days(own.wait_expiry_days, settings.WAIT_CUSTOMER_EXPIRY_DAYS),
        expiry_action=ExpiryAction(own.wait_expiry_action or settings.WAIT_CUSTOMER_EXPIRY_ACTION),
    )


def plan(ticket: Ticket, *, clocks: ClockCache, answered_at: datetime | None = None) -> Plan | None:
    """The ticket's next automatic step and when it is due, or ``None`` when there is none.

    ``answered_at`` is the latest public reply from the customer's side since the ticket entered its
    status that moved nothing (a follower's; the requester's own answer moves the status and so ends
    the automation): the count starts again from it.
    """
    since = ticket.status_changed_at
    if ticket.classification != Classification.INCIDENT or since is None:
        return None
    rules = rules_for(ticket.service)
    calendar_id = ticket.service.calendar_id if ticket.service is not None else None

    def after(start: datetime, days: int) -> datetime:
        latest = max(start, answered_at) if answered_at is not None else start
        return add_business_days(clocks.calendar(calendar_id), latest, days)

    if ticket.status == Status.RESOLVED:
        return Plan(Step.CLOSE, after(since, rules.close_days), rules) if rules.close_days else None
    if ticket.status == Status.WAIT_CUSTOMER:
        if ticket.wait_reminded_at is None and rules.reminder_days:
            return Plan(Step.REMIND, after(since, rules.reminder_days), rules)
        if rules.expiry_days:
            # Without a reminder (switched off) the wait is counted from the move to Wait Customer.
            return Plan(Step.EXPIRE, after(ticket.wait_reminded_at or since, rules.expiry_days), rules)
    return None


def status_entered(ticket: Ticket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """The ticket has just entered its status: stamp the time and set the new status's first timer.

    Called by every status change in ``tickets.services``, in its transaction; returns the fields set.
    """
    ticket.status_changed_at = now
    ticket.wait_reminded_at = None
    first = plan(ticket, clocks=clocks or ClockCache())
    ticket.automation_due_at = first.due_at if first is not None else None
    return list(AUTOMATION_FIELDS)


def close_after_days(ticket: Ticket) -> int:
    """What the "Resolved, please check" mail promises: business days until it closes by itself (0: never)."""
    if ticket.classification != Classification.INCIDENT:
        return 0
    return rules_for(ticket.service).close_days
