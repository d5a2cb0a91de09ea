"""Reads: what a user may see, shaped for the pages and the API."""

from django.db.models import QuerySet

from . import permissions
from .models import Attachment, AuditEvent, ConversationEntry, Notification, Ticket, Visibility

CUSTOMER_TIMELINE_ACTIONS = (
    AuditEvent.Action.CREATED,
    AuditEvent.Action.STATUS,
    AuditEvent.Action.REPLIED,
    AuditEvent.Action.ATTACHED,
)


def ticket_list(*, user) -> QuerySet[Ticket]:
    queryset = Ticket.objects.select_related("requester", "assignee")
    return permissions.visible_tickets(user, queryset)


def ticket_entries(*, ticket: Ticket, user) -> QuerySet[ConversationEntry]:
    entries = ticket.entries.select_related("author")
    if not permissions.can_see_internal(user):
        entries = entries.filter(visibility=Visibility.PUBLIC)
    return entries


def ticket_timeline(*, ticket: Ticket, user) -> QuerySet[AuditEvent]:
    events = ticket.audit_events.select_related("actor")
    if not permissions.can_see_internal(user):
        # Customers see what happened to their request, not the staff's triage fields.
        events = events.filter(internal=False, action__in=CUSTOMER_TIMELINE_ACTIONS)
    return events


def ticket_notifications(*, ticket: Ticket, user) -> QuerySet[Notification]:
    """Mail that went out (or is on its way) about the ticket; a customer sees what was sent to them."""
    notifications = ticket.notifications.all()
    if not permissions.can_see_internal(user):
        notifications = notifications.filter(for_customer=True)
    return notifications


def ticket_attachments(*, ticket: Ticket, user) -> QuerySet[Attachment]:
    attachments = ticket.attachments.all()
    if not permissions.can_see_internal(user):
        attachments = attachments.filter(visibility=Visibility.PUBLIC)
    return attachments
