"""The one door into the outbox: ``queue`` one message or many, in the caller's transaction.

A caller hands facts, not rows: the ticket's id, the subject, an audience, and either the context the
worker renders the body from (the ticket messages, ``rendering``) or bodies it rendered itself (the
outage messages). ``queue`` turns the audience into addresses (``recipients``), threads the message
under its ticket (``threads``), writes every row in one INSERT and wakes the workers once the
transaction commits (``outbox.dispatch``): a rolled-back change sends nothing, and a message with
nobody to tell is not written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from itsm.bulk import insert_many

from . import outbox, threads
from .models import Notification
from .recipients import Audience, People, TicketStaff, unique

# The vocabulary of ``queue`` (the audiences are ``recipients``'): tickets core imports this module only.
__all__ = ["Audience", "Kind", "Message", "People", "TicketStaff", "queue"]

Kind = Notification.Kind


@dataclass(frozen=True)
class Message:
    """One mail about a ticket, as the facts it is made of."""

    ticket_id: int
    kind: str
    subject: str
    to: Audience | Sequence[str]
    for_customer: bool = False
    # Rendered by the worker from the kind's templates when sent; or give the bodies instead.
    context: Mapping[str, Any] = field(default_factory=dict)
    body_text: str = ""
    body_html: str = ""
    distribution_list_id: int | None = None
    # The ticket's first message is its thread's root; every later one answers it.
    starts_thread: bool = False
    created_at: datetime | None = None


def queue(messages: Message | Iterable[Message]) -> list[Notification]:
    """Write the outbox rows of ``messages`` now and dispatch them after commit; the rows written."""
    if isinstance(messages, Message):
        messages = [messages]
    now = timezone.now()
    rows = [row for message in messages if (row := _row(message, now)) is not None]
    insert_many(rows)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: outbox.dispatch(ids))
    return rows


def _row(message: Message, now: datetime) -> Notification | None:
    to = message.to.addresses() if isinstance(message.to, Audience) else unique(message.to)
    if not to:
        return None
    created_at = message.created_at or now
    root = threads.thread_id(message.ticket_id)
    row = Notification(
        ticket_id=message.ticket_id, kind=message.kind, for_customer=message.for_customer,
        distribution_list_id=message.distribution_list_id, to=to, subject=message.subject,
        body_text=message.body_text, body_html=message.body_html, context=dict(message.context),
        reply_to=threads.reply_address(message.ticket_id), created_at=created_at, next_attempt_at=created_at,
    )
    if message.starts_thread:
        row.message_id = root
    else:
        row.message_id = threads.message_id(message.ticket_id)
        row.in_reply_to = row.references = root
    return row
