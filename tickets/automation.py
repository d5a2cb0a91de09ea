"""The lifecycle automation's beat work: resolved tickets close, and a customer who does not answer is
reminded and then has the ticket resolved (or cancelled) with a public note. The rules and timers are
``automation_plan``'s; this module takes the steps, each as the system (actor None, channel task).

Claimed once: a run reads the id, status, status-entered time and timer of the rows whose timer has
passed (a range scan on ``ticket_automation_due``), then handles each ticket in a transaction of its
own, under its row lock, and only while those three values are still the ones it picked. A status
change since (the customer answered, a technician moved it) changed them, and whoever made it set the
new timer; a second run (two beats, a redelivered task) finds the timer moved on by the first and does
nothing. A step's effects (audit events, note, status, mail) commit together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone

from sla.calendars import ClockCache

from . import automation_plan, notify
from .automation_plan import ExpiryAction, Plan, Step
from .lifecycle import Status
from .models import AuditEvent, Channel, ConversationEntry, Ticket, Visibility
from .services import _apply_transition, _save

__all__ = [
    "AutomationRun", "Picked", "automation_step", "due_query", "resolved_tickets_close", "waiting_tickets_follow_up",
]

logger = logging.getLogger(__name__)

# A ticket whose step failed is looked at again this much later, not at every run.
RETRY_AFTER = timedelta(hours=1)


@dataclass
class AutomationRun:
    """What one run looked at and which steps it took, as (ticket id, step)."""

    examined: int = 0
    done: list[tuple[int, Step]] = field(default_factory=list)


@dataclass(frozen=True)
class Picked:
    """A row as the run's read saw it: the step is taken only if the locked row still says the same."""

    ticket_id: int
    status: str
    status_changed_at: datetime | None
    due_at: datetime | None


def resolved_tickets_close(*, now: datetime | None = None, batch_size: int = 200,
                           max_batches: int = 50) -> AutomationRun:
    """Close each resolved incident whose customer has not answered within its business days."""
    return _run(Status.RESOLVED, now=now or timezone.now(), batch_size=batch_size, max_batches=max_batches)


def waiting_tickets_follow_up(*, now: datetime | None = None, batch_size: int = 200,
                              max_batches: int = 50) -> AutomationRun:
    """Remind each customer who has not answered in time; after the reminder's wait, resolve or cancel."""
    return _run(Status.WAIT_CUSTOMER, now=now or timezone.now(), batch_size=batch_size, max_batches=max_batches)


def due_query(status: str, now: datetime) -> QuerySet[Ticket]:
    """The tickets in ``status`` whose timer has passed, earliest first: a range scan on ticket_automation_due."""
    return Ticket.objects.filter(status=status, automation_due_at__lte=now).order_by("automation_due_at", "pk")


def _run(status: Status, *, now: datetime, batch_size: int, max_batches: int) -> AutomationRun:
    run = AutomationRun()
    for _ in range(max_batches):
        # Every row handled leaves this set (its status or its timer moves on), so the next batch is new rows.
        rows = list(due_query(status, now).values_list("pk", "status", "status_changed_at",
                                                       "automation_due_at")[:batch_size])
        run.examined += len(rows)
        for ticket_id, current, since, due_at in rows:
            picked = Picked(ticket_id=ticket_id, status=current, status_changed_at=since, due_at=due_at)
            try:
                step = automation_step(picked, now=now)
            except Exception:
                # One ticket's failure (a calendar without hours, a refused move) must not hold up the others.
                logger.exception("Lifecycle automation failed on ticket %s", ticket_id)
                Ticket.objects.filter(pk=ticket_id, automation_due_at=due_at).update(
                    automation_due_at=now + RETRY_AFTER)
                continue
            if step is not None:
                run.done.append((ticket_id, step))
        if len(rows) < batch_size:
            break
    if run.done:
        logger.info("Lifecycle automation (%s): %d steps on %d tickets examined", status, len(run.done),
                    run.examined)
    return run


def automation_step(picked: Picked, *, now: datetime) -> Step | None:
    """Take the picked ticket's due step under its row lock; the step taken, or ``None``.

    Nothing happens when the ticket changed since it was picked (status, the time it entered it, or
    its timer). When the plan, made again now, puts the step later (a setting changed, or someone on
    the customer's side replied without moving the ticket), only the timer moves.
    """
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).select_related("service", "requester")
            .filter(pk=picked.ticket_id).first()
        )
        if ticket is None or (ticket.status, ticket.status_changed_at, ticket.automation_due_at) != (
                picked.status, picked.status_changed_at, picked.due_at):
            return None
        clocks = ClockCache()
        plan = automation_plan.plan(ticket, clocks=clocks, answered_at=_answered_at(ticket))
        if plan is None or plan.due_at > now:
            ticket.automation_due_at = plan.due_at if plan is not None else None
            ticket.save(update_fields=["automation_due_at"])
            return None
        _STEPS[plan.step](ticket, plan, now, clocks)
        return plan.step


def _answered_at(ticket: Ticket) -> datetime | None:
    """The latest public reply from the customer's side since the ticket entered its status.

    Only a reply that moved nothing can be found here (a follower's): the requester's answer moves the
    ticket, which changes the status-entered time. The automation's own notes have no author.
    """
    return (
        ConversationEntry.objects.filter(ticket=ticket, visibility=Visibility.PUBLIC, author__is_staff=False,
                                         created_at__gt=ticket.status_changed_at)
        .order_by("-created_at").values_list("created_at", flat=True).first()
    )


def _days(count: int) -> str:
    return f"{count} business day{pluralize(count)}"


def _event(ticket: Ticket, step: Step, text: str, now: datetime) -> AuditEvent:
    return AuditEvent(ticket=ticket, actor=None, channel=Channel.TASK, action=AuditEvent.Action.AUTOMATION,
                      field=step.value, new_value=text, created_at=now)


def _close(ticket: Ticket, plan: Plan, now: datetime, clocks: ClockCache) -> None:
    # No mail: the "Resolved, please check" mail said when it would close.
    events = [_event(ticket, Step.CLOSE, f"closed it: no answer from the customer {_days(plan.rules.close_days)} "
                                         "after it was resolved", now)]
    changed = _apply_transition(ticket, actor=None, to_status=Status.CLOSED, channel=Channel.TASK, now=now,
                                events=events)
    _save(ticket, changed, now, events)


def _remind(ticket: Ticket, plan: Plan, now: datetime, clocks: ClockCache) -> None:
    ticket.wait_reminded_at = now
    expiry = automation_plan.plan(ticket, clocks=clocks)
    ticket.automation_due_at = expiry.due_at if expiry is not None else None
    notify.wait_reminder(ticket, expires_at=ticket.automation_due_at, expiry_action=plan.rules.expiry_action)
    # Only timers change: no version bump, so a technician's open form is not made stale by a reminder.
    ticket.save(update_fields=["wait_reminded_at", "automation_due_at"])
    AuditEvent.objects.bulk_create([_event(ticket, Step.REMIND, f"reminded the customer: no answer "
                                                                f"{_days(plan.rules.reminder_days)} after the "
                                                                "question", now)])


def _expire(ticket: Ticket, plan: Plan, now: datetime, clocks: ClockCache) -> None:
    cancel = plan.rules.expiry_action == ExpiryAction.CANCEL
    asked = timezone.localtime(ticket.status_changed_at).strftime("%a %d %b %Y") if ticket.status_changed_at else ""
    note = (f"We asked you for more information on {asked} and have not heard back, so we have "
            f"{'closed this request' if cancel else 'marked this request as resolved'}.")
    entry = ConversationEntry.objects.create(ticket=ticket, author=None, visibility=Visibility.PUBLIC, body=note,
                                             channel=Channel.TASK, created_at=now)
    waited = _days(plan.rules.expiry_days) + (" after the reminder" if ticket.wait_reminded_at else "")
    events = [
        AuditEvent(ticket=ticket, actor=None, channel=Channel.TASK, action=AuditEvent.Action.REPLIED,
                   new_value=str(entry.pk), created_at=now),
        _event(ticket, Step.EXPIRE, f"{'cancelled' if cancel else 'resolved'} it: no answer from the customer "
                                    f"{waited}", now),
    ]
    # The note travels in the requester's one mail about the move ("resolved" or "cancelled").
    changed = _apply_transition(ticket, actor=None, to_status=Status.CANCELLED if cancel else Status.RESOLVED,
                                channel=Channel.TASK, now=now, events=events, note=note)
    _save(ticket, changed, now, events)


_STEPS: dict[Step, Callable[[Ticket, Plan, datetime, ClockCache], None]] = {
    Step.CLOSE: _close,
    Step.REMIND: _remind,
    Step.EXPIRE: _expire,
}
