"""Reads of sent mail for the other rooms: a ticket's timeline and the reply matcher of e-mail intake."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Notification

__all__ = ["Kind", "Notification", "State", "mail_with_message_ids", "ticket_mail"]

# What the rows read here are and mean, for the pages and the API that present them.
Kind = Notification.Kind
State = Notification.State


def ticket_mail(*, ticket_id: int, customer_only: bool) -> QuerySet[Notification]:
    """Mail that went out (or is on its way) about the ticket; ``customer_only``: what went to its requester."""
    mail = Notification.objects.filter(ticket_id=ticket_id)
    if customer_only:
        mail = mail.filter(for_customer=True)
    return mail


def mail_with_message_ids(message_ids: Iterable[str]) -> Notification | None:
    """Our newest message carrying one of ``message_ids``: what an incoming reply answers."""
    return Notification.objects.filter(message_id__in=list(message_ids)).order_by("-id").first()
