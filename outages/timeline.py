"""Every step of the outage process is a line on the outage ticket's timeline, with actor and time."""

from datetime import datetime

from django.utils import timezone

from tickets.models import AuditEvent, Channel, Ticket


def record(ticket: Ticket, *, actor, step: str, text: str = "", channel: str = Channel.API,
           internal: bool = False, now: datetime | None = None) -> AuditEvent:
    """``step`` names what happened (``update``, ``rfc``, ``review``…); ``text`` says it for people."""
    return AuditEvent.objects.create(
        ticket=ticket, actor=actor, channel=channel, action=AuditEvent.Action.OUTAGE, field=step[:64],
        new_value=text[:4000], internal=internal, created_at=now or timezone.now(),
    )
