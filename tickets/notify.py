"""Who hears about what: turns ticket changes into outbox rows, rendered when they are sent.

Called by the ticket services inside their transaction. Nobody is mailed about their own action,
and a person without an address is skipped.

A row holds the facts of its message as they were when it was queued (``context``: the ticket's
title, status, people and deadlines, a reply's words) and the worker fills the templates in at
send time (``render``). The words are the ones rendering at queue time gave, but the changes that
queue hundreds of messages at once (the SLA sweep, an outage's all-clear) no longer render them
in their transaction: rendering cost more than everything else they do per ticket.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from . import outbox
from .lifecycle import Status
from .models import Notification, Ticket, User

Kind = Notification.Kind

CUSTOMER_KINDS = frozenset({Kind.RECEIVED, Kind.IN_PROCESS, Kind.WAIT_CUSTOMER, Kind.RESOLVED})

SUBJECTS = {
    Kind.RECEIVED: "We received your request: {title}",
    Kind.IN_PROCESS: "A technician is working on your request: {title}",
    Kind.WAIT_CUSTOMER: "We need your reply: {title}",
    Kind.RESOLVED: "Resolved, please check: {title}",
    Kind.PUBLIC_REPLY: "New reply: {title}",
    Kind.ASSIGNED_TO_YOU: "Assigned to you: {title}",
    Kind.ASSIGNED_TO_GROUP: "New in the {group} queue: {title}",
    Kind.SLA_WARNING: "SLA warning, {target} due {due}: {title}",
    Kind.SLA_BREACH: "SLA breached, {target} was due {due}: {title}",
}


def _domain() -> str:
    return settings.TICKET_REPLY_ADDRESS.rpartition("@")[2] or "localhost"


def thread_id(ticket: Ticket) -> str:
    """The Message-ID every message about the ticket refers to, so mail clients thread them."""
    return f"<ticket-{ticket.pk}@{_domain()}>"


def reply_address(ticket: Ticket) -> str:
    local, _, domain = settings.TICKET_REPLY_ADDRESS.partition("@")
    return f"{local}+{ticket.pk}@{domain}"


def _addresses(users: Iterable[User | None], *, actor: User | None) -> list[str]:
    found = {
        user.email.strip().lower(): user.email.strip()
        for user in users
        if user is not None and user.is_active and user.email and (actor is None or user.pk != actor.pk)
    }
    return sorted(found.values(), key=str.lower)


def _local(instant: datetime | None) -> str:
    return timezone.localtime(instant).strftime("%a %d %b %Y %H:%M %Z") if instant else "—"


def build(ticket: Ticket, kind: str, to: list[str], *, extra: dict | None = None, first: bool = False,
          for_customer: bool | None = None, now=None) -> Notification | None:
    """The outbox row for one message about ``ticket``, not saved; ``None`` with nobody to tell."""
    if not to:
        return None
    now = now or timezone.now()
    context = {
        "ticket": _ticket_facts(ticket), "kind": kind, "site_url": settings.SITE_URL,
        "reply_address": reply_address(ticket), "respond_by": _local(ticket.respond_by),
        "resolve_by": _local(ticket.resolve_by),
        **{name: _person(value) if isinstance(value, User) else value for name, value in (extra or {}).items()},
    }
    title = ticket.title if len(ticket.title) <= 120 else ticket.title[:119] + "…"
    subject_values = {"title": title, "group": ticket.group or "", **(extra or {})}
    subject = f"[#{ticket.pk}] " + SUBJECTS[kind].format(**subject_values)
    root = thread_id(ticket)
    notification = Notification(
        ticket=ticket, kind=kind, for_customer=kind in CUSTOMER_KINDS if for_customer is None else for_customer,
        to=to, subject=" ".join(subject.split())[:255], context=context,
        reply_to=reply_address(ticket),
        created_at=now,
    )
    # The ticket's first message is the thread's root; every later one answers it.
    if first:
        notification.message_id = root
    else:
        notification.message_id = f"<ticket-{ticket.pk}.{uuid.uuid4().hex}@{_domain()}>"
        notification.in_reply_to = root
        notification.references = root
    return notification


def _person(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "first_name": user.first_name, "email": user.email,
            "get_full_name": user.get_full_name()}


def _ticket_facts(ticket: Ticket) -> dict:
    """What the mail templates read of the ticket (``tickets/email/``), as plain JSON values."""
    return {
        "pk": ticket.pk, "title": ticket.title, "description": ticket.description,
        "get_status_display": ticket.get_status_display(), "get_priority_display": ticket.get_priority_display(),
        "group": str(ticket.group) if ticket.group_id else None,
        "requester": _person(ticket.requester), "assignee": _person(ticket.assignee),
    }


def render(notification: Notification) -> tuple[str, str]:
    """The text and HTML bodies of a row queued by ``build``, from the facts it was queued with."""
    kind = notification.kind
    return (render_to_string(f"tickets/email/{kind}.txt", notification.context),
            render_to_string(f"tickets/email/{kind}.html", notification.context))


def _queue(ticket: Ticket, kind: str, to: list[str], *, extra: dict | None = None, first: bool = False,
           for_customer: bool | None = None) -> None:
    notification = build(ticket, kind, to, extra=extra, first=first, for_customer=for_customer)
    if notification is not None:
        outbox.queue(notification)


def _queue_people(ticket: Ticket) -> list[User]:
    """Who answers for an unassigned ticket: its group's dispatchers (else the group's address)."""
    if ticket.group is None:
        return []
    return list(ticket.group.dispatchers.all())


def _staff_audience(ticket: Ticket, *, actor: User | None) -> list[str]:
    if ticket.assignee is not None:
        return _addresses([ticket.assignee], actor=actor)
    to = _addresses(_queue_people(ticket), actor=actor)
    if not to and ticket.group is not None and ticket.group.email:
        to = [ticket.group.email]
    return to


def ticket_created(ticket: Ticket, *, actor: User) -> None:
    """The requester's receipt and the assignee's (or queue's) notice: one INSERT, one dispatch."""
    messages = [
        build(ticket, Kind.RECEIVED, _addresses([ticket.requester], actor=None), first=True),
        _assignment_message(ticket, actor=actor, old_assignee_id=None, old_group_id=None),
    ]
    outbox.queue_many([message for message in messages if message is not None])


def status_changed(ticket: Ticket, *, old: str, new: str, actor: User | None) -> None:
    requester = _addresses([ticket.requester], actor=actor)
    if new == Status.IN_PROCESS and old == Status.NEW:
        _queue(ticket, Kind.IN_PROCESS, requester)
    elif new == Status.WAIT_CUSTOMER:
        _queue(ticket, Kind.WAIT_CUSTOMER, requester)
    elif new == Status.RESOLVED:
        _queue(ticket, Kind.RESOLVED, requester)


def public_reply(ticket: Ticket, *, author: User, body: str) -> None:
    if author.pk == ticket.requester_id:
        to = _staff_audience(ticket, actor=author)
        for_customer = False
    else:
        to = _addresses([ticket.requester], actor=author)
        for_customer = True
    _queue(ticket, Kind.PUBLIC_REPLY, to, extra={"body": body, "author": author}, for_customer=for_customer)


def assignment_changed(ticket: Ticket, *, actor: User | None, old_assignee_id: int | None,
                       old_group_id: int | None) -> None:
    message = _assignment_message(ticket, actor=actor, old_assignee_id=old_assignee_id, old_group_id=old_group_id)
    if message is not None:
        outbox.queue(message)


def _assignment_message(ticket: Ticket, *, actor: User | None, old_assignee_id: int | None,
                        old_group_id: int | None) -> Notification | None:
    if ticket.assignee_id is not None and ticket.assignee_id != old_assignee_id:
        return build(ticket, Kind.ASSIGNED_TO_YOU, _addresses([ticket.assignee], actor=actor))
    if ticket.group_id is not None and ticket.group_id != old_group_id and ticket.assignee_id is None:
        return build(ticket, Kind.ASSIGNED_TO_GROUP, _staff_audience(ticket, actor=actor))
    return None


SLA_KINDS = {
    "respond_warned": (Kind.SLA_WARNING, "Respond By", "respond_by"),
    "resolve_warned": (Kind.SLA_WARNING, "Resolve By", "resolve_by"),
    "respond_breached": (Kind.SLA_BREACH, "Respond By", "respond_by"),
    "resolve_breached": (Kind.SLA_BREACH, "Resolve By", "resolve_by"),
}


def sla_threshold(ticket: Ticket, *, threshold: str, now=None) -> Notification | None:
    """The warning or breach message to whoever answers for the ticket, built but not saved (the sweep
    queues a whole batch at once)."""
    kind, target, field = SLA_KINDS[threshold]
    return build(ticket, kind, _staff_audience(ticket, actor=None), now=now,
                 extra={"target": target, "due": _local(getattr(ticket, field))})
