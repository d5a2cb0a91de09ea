"""Who hears about what: turns ticket changes into messages for the outbox, rendered when they are sent.

Called by the ticket services inside their transaction; the messages go through the notifications
app's one door (``notifications.services.queue``). Here each message names its audience (the
requester, whoever answers for the ticket); ``notifications.recipients`` turns it into addresses,
so nobody is mailed about their own action and a person without an address is skipped.

A message holds its facts as they were when it was queued (``context``: the ticket's title,
status, people and deadlines, a reply's words) and the worker fills the templates in at send time
(``notifications.rendering``). The words are the ones rendering at queue time gave, but the changes that
queue hundreds of messages at once (the SLA sweep, an outage's all-clear) no longer render them
in their transaction: rendering cost more than everything else they do per ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from tickets.notifications import services as notifications
from tickets.notifications.services import Audience, Kind, Message, People, TicketStaff

from . import automation_plan
from .lifecycle import Status
from .models import Classification, Ticket, User

CUSTOMER_KINDS = frozenset({Kind.RECEIVED, Kind.IN_PROCESS, Kind.WAIT_CUSTOMER, Kind.RESOLVED, Kind.WAIT_REMINDER,
                            Kind.CANCELLED})

SUBJECTS = {
    Kind.RECEIVED: "We received your request: {title}",
    Kind.IN_PROCESS: "A technician is working on your request: {title}",
    Kind.WAIT_CUSTOMER: "We need your reply: {title}",
    Kind.RESOLVED: "Resolved, please check: {title}",
    Kind.WAIT_REMINDER: "Reminder, we need your reply: {title}",
    Kind.CANCELLED: "Request closed without an answer: {title}",
    Kind.PUBLIC_REPLY: "New reply: {title}",
    Kind.ASSIGNED_TO_YOU: "Assigned to you: {title}",
    Kind.ASSIGNED_TO_GROUP: "New in the {group} queue: {title}",
    Kind.SLA_WARNING: "SLA warning, {target} due {due}: {title}",
    Kind.SLA_BREACH: "SLA breached, {target} was due {due}: {title}",
}


def _local(instant: datetime | None) -> str:
    return timezone.localtime(instant).strftime("%a %d %b %Y %H:%M %Z") if instant else "—"


def build(ticket: Ticket, kind: Kind, to: Audience, *, extra: Mapping[str, object] | None = None,
          first: bool = False, for_customer: bool | None = None, now: datetime | None = None) -> Message:
    """The message of ``kind`` about ``ticket`` to ``to``; ``first`` for the ticket's first (the thread's root)."""
    context: dict[str, Any] = {  # JSON values, stored on the outbox row
        "ticket": _ticket_facts(ticket), "kind": kind, "site_url": settings.SITE_URL,
        "respond_by": _local(ticket.respond_by), "resolve_by": _local(ticket.resolve_by),
        **{name: _person(value) if isinstance(value, User) else value for name, value in (extra or {}).items()},
    }
    title = ticket.title if len(ticket.title) <= 120 else ticket.title[:119] + "…"
    subject_values = {"title": title, "group": ticket.group or "", **(extra or {})}
    subject = f"[#{ticket.pk}] " + SUBJECTS[kind].format(**subject_values)
    return Message(
        ticket_id=ticket.pk, kind=kind, to=to, subject=" ".join(subject.split())[:255], context=context,
        for_customer=kind in CUSTOMER_KINDS if for_customer is None else for_customer, starts_thread=first,
        created_at=now,
    )


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "first_name": user.first_name, "email": user.email,
            "get_full_name": user.get_full_name()}


def _ticket_facts(ticket: Ticket) -> dict[str, Any]:
    """What the mail templates read of the ticket (``tickets/email/``), as plain JSON values."""
    return {
        "pk": ticket.pk, "title": ticket.title, "description": ticket.description,
        "get_status_display": ticket.get_status_display(), "get_priority_display": ticket.get_priority_display(),
        "group": str(ticket.group) if ticket.group_id else None,
        "requester": _person(ticket.requester), "assignee": _person(ticket.assignee),
    }


def _queue(ticket: Ticket, kind: Kind, to: Audience, *, extra: Mapping[str, str | User] | None = None,
           for_customer: bool | None = None) -> None:
    notifications.queue(build(ticket, kind, to, extra=extra, for_customer=for_customer))


def _staff(ticket: Ticket, *, actor: User | None) -> TicketStaff:
    """Whoever answers for the ticket: its assignee, else its group's dispatchers, else the group's address."""
    return TicketStaff(assignee=ticket.assignee, group=ticket.group, actor=actor)


def ticket_created(ticket: Ticket, *, actor: User | None) -> None:
    """The requester's receipt and the assignee's (or queue's) notice: one INSERT, one dispatch."""
    messages = [
        # The receipt goes to the requester even when they reported it themselves.
        build(ticket, Kind.RECEIVED, People([ticket.requester], actor=actor, include_actor=True), first=True),
        _assignment_message(ticket, actor=actor, old_assignee_id=None, old_group_id=None),
    ]
    notifications.queue([message for message in messages if message is not None])


def status_changed(ticket: Ticket, *, old: str, new: str, actor: User | None, note: str = "") -> None:
    """The requester's mail about a move; ``note`` is a public note made with it (the lifecycle automation's)."""
    requester = People([ticket.requester], actor=actor)
    if new == Status.IN_PROCESS and old == Status.NEW:
        # An outage's requester is the staff member who raised it: its progress reaches people through the
        # outage's own updates, not "a technician is working on your request".
        if ticket.classification == Classification.INCIDENT:
            _queue(ticket, Kind.IN_PROCESS, requester)
    elif new == Status.WAIT_CUSTOMER:
        _queue(ticket, Kind.WAIT_CUSTOMER, requester)
    elif new == Status.RESOLVED:
        notifications.queue(resolved(ticket, actor=actor, note=note))
    elif new == Status.CANCELLED and note:
        _queue(ticket, Kind.CANCELLED, requester, extra={"note": note})


def resolved(ticket: Ticket, *, actor: User | None, now: datetime | None = None, note: str = "") -> Message:
    """The requester's "resolved, please check" (one resolution, or each of a bulk resolve's tickets).

    It says how many business days the customer has to answer before the ticket closes by itself.
    """
    extra: dict[str, object] = {"closes_after_days": automation_plan.close_after_days(ticket)}
    if note:
        extra["note"] = note
    return build(ticket, Kind.RESOLVED, People([ticket.requester], actor=actor), now=now, extra=extra)


def wait_reminder(ticket: Ticket, *, expires_at: datetime | None, expiry_action: str) -> None:
    """The lifecycle automation's reminder to a customer who has not answered: when the wait ends, and how."""
    _queue(ticket, Kind.WAIT_REMINDER, People([ticket.requester], actor=None),
           extra={"expires_at": _local(expires_at) if expires_at else "", "expiry_action": expiry_action})


def public_reply(ticket: Ticket, *, author: User, body: str) -> None:
    to: Audience
    if author.pk == ticket.requester_id:
        to = _staff(ticket, actor=author)
        for_customer = False
    else:
        to = People([ticket.requester], actor=author)
        for_customer = True
    _queue(ticket, Kind.PUBLIC_REPLY, to, extra={"body": body, "author": author}, for_customer=for_customer)


def assignment_changed(ticket: Ticket, *, actor: User | None, old_assignee_id: int | None,
                       old_group_id: int | None) -> None:
    message = _assignment_message(ticket, actor=actor, old_assignee_id=old_assignee_id, old_group_id=old_group_id)
    if message is not None:
        notifications.queue(message)


def _assignment_message(ticket: Ticket, *, actor: User | None, old_assignee_id: int | None,
                        old_group_id: int | None) -> Message | None:
    if ticket.assignee_id is not None and ticket.assignee_id != old_assignee_id:
        return build(ticket, Kind.ASSIGNED_TO_YOU, People([ticket.assignee], actor=actor))
    if ticket.group_id is not None and ticket.group_id != old_group_id and ticket.assignee_id is None:
        return build(ticket, Kind.ASSIGNED_TO_GROUP, _staff(ticket, actor=actor))
    return None


SLA_KINDS = {
    "respond_warned": (Kind.SLA_WARNING, "Respond By", "respond_by"),
    "resolve_warned": (Kind.SLA_WARNING, "Resolve By", "resolve_by"),
    "respond_breached": (Kind.SLA_BREACH, "Respond By", "respond_by"),
    "resolve_breached": (Kind.SLA_BREACH, "Resolve By", "resolve_by"),
}


def sla_threshold(ticket: Ticket, *, threshold: str, now: datetime | None = None) -> Message:
    """The warning or breach message to whoever answers for the ticket, built but not queued (the sweep
    queues a whole batch at once)."""
    kind, target, field = SLA_KINDS[threshold]
    return build(ticket, kind, _staff(ticket, actor=None), now=now,
                 extra={"target": target, "due": _local(getattr(ticket, field))})
