"""The staff ticket timeline: replies, notes, audit events and sent mail merged in time order.

Each source is read with one bounded query (newest ``limit`` + 1 rows), so the page costs the same
number of queries however long the ticket's history is; "show earlier" pages back with ``before``.
Events that merely mirror a conversation entry (replied / noted) are left out: the entry itself
is on the timeline.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sla.matrix import Impact, Priority, Urgency
from tickets import selectors
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Classification, ConversationEntry, Source, Ticket, Visibility

TIMELINE_LIMIT = 200
_MIRRORED = (AuditEvent.Action.REPLIED, AuditEvent.Action.NOTED)

FIELD_LABELS = {
    "assignee": "assignee", "group": "group", "service": "service", "impact": "impact", "urgency": "urgency",
    "priority": "priority", "classification": "classification", "parent": "parent outage",
    "requester": "requester", "source": "source", "title": "title", "description": "description",
}
_CHOICES: dict[str, dict[str, str]] = {
    "status": dict(Status.choices), "impact": dict(Impact.choices), "urgency": dict(Urgency.choices),
    "priority": dict(Priority.choices), "classification": dict(Classification.choices),
    "source": dict(Source.choices),
}


@dataclass
class Item:
    """One line of the timeline, ready for the template."""

    kind: str  # "entry", "event" or "notification"
    at: datetime
    key: tuple  # (at, kind order, id): a stable sort
    obj: Any
    text: str = ""
    internal: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class Timeline:
    items: list[Item]
    has_earlier: bool

    @property
    def earliest(self) -> datetime | None:
        return self.items[0].at if self.items else None


class Names:
    """Readable names for the raw ids audit events store (groups, people, services, tickets)."""

    def __init__(self, *, groups=(), people=(), services=()):
        self.lookup = {
            "group": {str(g.pk): str(g) for g in groups},
            "assignee": {str(u.pk): str(u) for u in people},
            "requester": {str(u.pk): str(u) for u in people},
            "service": {str(s.pk): str(s) for s in services},
        }

    def value(self, name: str, raw: str) -> str:
        if raw == "":
            return "nobody" if name in ("assignee", "group") else "none"
        if name in _CHOICES:
            return _CHOICES[name].get(raw, raw)
        if name == "parent":
            return f"#{raw}"
        return self.lookup.get(name, {}).get(raw, f"#{raw}" if raw.isdigit() else raw)


def describe_event(event: AuditEvent, names: Names) -> str:
    """What happened, in words, without the actor (the template puts the actor first)."""
    action = event.action
    if action == AuditEvent.Action.CREATED:
        return "logged the ticket"
    if action == AuditEvent.Action.STATUS:
        return f"changed the status from {names.value('status', event.old_value)} to " \
               f"{names.value('status', event.new_value)}"
    if action == AuditEvent.Action.CHANGED:
        label = FIELD_LABELS.get(event.field, event.field.replace("_", " "))
        if event.field in ("title", "description"):
            return f"changed the {label}"
        return f"changed the {label} from {names.value(event.field, event.old_value)} to " \
               f"{names.value(event.field, event.new_value)}"
    if action == AuditEvent.Action.ATTACHED:
        return f"attached {event.new_value}"
    if action == AuditEvent.Action.SLA:
        if event.field == "operating_hours_began":
            return "SLA: the service's operating hours began; the full priority now applies"
        return f"SLA: {event.new_value or event.field.replace('_', ' ')}"
    if action == AuditEvent.Action.ALERT:
        return f"Monitoring alert: {event.new_value or event.field}"
    if action == AuditEvent.Action.OUTAGE:
        return f"Outage: {event.new_value or event.field.replace('_', ' ')}"
    if action == AuditEvent.Action.AUTOMATION:  # "The system" + "closed it: no answer from the customer …"
        return event.new_value or event.field.replace("_", " ")
    return event.get_action_display()


_ORDER = {"event": 0, "entry": 1, "notification": 2}


def _entry_item(entry: ConversationEntry) -> Item:
    return Item("entry", entry.created_at, (entry.created_at, _ORDER["entry"], entry.pk), entry,
                internal=entry.visibility == Visibility.INTERNAL)


def _event_item(event: AuditEvent, names: Names) -> Item:
    return Item("event", event.created_at, (event.created_at, _ORDER["event"], event.pk), event,
                text=describe_event(event, names), internal=event.internal)


def _notification_item(note: Any) -> Item:
    """A row of ``selectors.ticket_notifications`` (the notifications app's outbox)."""
    return Item("notification", note.created_at, (note.created_at, _ORDER["notification"], note.pk), note,
                internal=not note.for_customer)


def build(ticket: Ticket, user, names: Names, *, before: datetime | None = None,
          limit: int | None = None) -> Timeline:
    """The newest ``limit`` items (older than ``before`` if given), oldest first."""
    limit = limit or TIMELINE_LIMIT
    entries = selectors.ticket_entries(ticket=ticket, user=user)
    events = selectors.ticket_timeline(ticket=ticket, user=user).exclude(action__in=_MIRRORED)
    notes = selectors.ticket_notifications(ticket=ticket, user=user)
    if before is not None:
        entries = entries.filter(created_at__lt=before)
        events = events.filter(created_at__lt=before)
        notes = notes.filter(created_at__lt=before)
    newest = ("-created_at", "-id")
    items = [_entry_item(e) for e in entries.order_by(*newest)[: limit + 1]]
    items += [_event_item(e, names) for e in events.order_by(*newest)[: limit + 1]]
    items += [_notification_item(n) for n in notes.order_by(*newest).only(
        "id", "ticket_id", "kind", "for_customer", "to", "subject", "state", "created_at", "sent_at")[: limit + 1]]
    items.sort(key=lambda item: item.key)
    has_earlier = len(items) > limit
    return Timeline(items[-limit:], has_earlier)


def activity_since(ticket: Ticket, user, names: Names, *, seen_event_id: int) -> list[Item]:
    """What others did after the audit event ``seen_event_id``: the stale-send guard's news.

    Every write (reply, note, status, field, attachment, SLA mark) leaves an audit event, so the
    newest event id a page saw marks exactly what it showed. The user's own events are not news.
    """
    events = list(
        selectors.ticket_timeline(ticket=ticket, user=user).filter(pk__gt=seen_event_id)
        .exclude(actor_id=user.pk)
    )
    entry_ids = [int(e.new_value) for e in events if e.action in _MIRRORED and e.new_value.isdigit()]
    entries = selectors.ticket_entries(ticket=ticket, user=user).filter(pk__in=entry_ids) if entry_ids else []
    items = [_entry_item(e) for e in entries]
    items += [_event_item(e, names) for e in events if e.action not in _MIRRORED]
    items.sort(key=lambda item: item.key)
    return items


def has_activity_since(ticket: Ticket, user, *, seen_event_id: int) -> bool:
    """Did anyone else write to the ticket after the audit event ``seen_event_id``?"""
    return ticket.audit_events.filter(pk__gt=seen_event_id).exclude(actor_id=user.pk).exists()


def latest_event_id(ticket: Ticket) -> int:
    """The newest audit event on the ticket (0 if none): what the composer says it has seen."""
    return ticket.audit_events.order_by("-id").values_list("id", flat=True).first() or 0
