"""Reads: what a user may see, shaped for the pages and the API."""

from datetime import datetime

from django.db.models import BooleanField, Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from tickets.notifications import selectors as mail

from . import policies
from .lifecycle import WAITING_STATUSES, Status
from .models import Attachment, AuditEvent, ConversationEntry, Service, Ticket, Visibility
from .policies import Person

CUSTOMER_TIMELINE_ACTIONS = (
    AuditEvent.Action.CREATED,
    AuditEvent.Action.STATUS,
    AuditEvent.Action.REPLIED,
    AuditEvent.Action.ATTACHED,
)


def ticket_list(*, user: Person) -> QuerySet[Ticket]:
    queryset = Ticket.objects.select_related("requester", "assignee")
    return policies.visible_tickets(user, queryset)


def ticket_entries(*, ticket: Ticket, user: Person) -> QuerySet[ConversationEntry]:
    entries = ticket.entries.select_related("author")
    if not policies.may_see_internal(user):
        entries = entries.filter(visibility=Visibility.PUBLIC)
    return entries


def ticket_timeline(*, ticket: Ticket, user: Person) -> QuerySet[AuditEvent]:
    events = ticket.audit_events.select_related("actor")
    if not policies.may_see_internal(user):
        # Customers see what happened to their request, not the staff's triage fields.
        events = events.filter(internal=False, action__in=CUSTOMER_TIMELINE_ACTIONS)
    return events


def ticket_notifications(*, ticket: Ticket, user: Person) -> QuerySet[mail.Notification]:
    """Mail that went out (or is on its way) about the ticket; a customer sees what was sent to them."""
    return mail.ticket_mail(ticket_id=ticket.pk, customer_only=not policies.may_see_internal(user))


def ticket_attachments(*, ticket: Ticket, user: Person) -> QuerySet[Attachment]:
    attachments = ticket.attachments.all()
    if not policies.may_see_internal(user):
        attachments = attachments.filter(visibility=Visibility.PUBLIC)
    return attachments


def sla_preview(*, impact: str, urgency: str, service: Service | None = None, ticket: Ticket | None = None,
                now: datetime | None = None) -> Ticket:
    """An unsaved copy showing what the SLA would be: a new report, or ``ticket`` re-triaged.

    Forms show the priority and both deadlines before anyone saves; the arithmetic is the SLA
    service's own, run on a copy in memory, so the preview and the saved result cannot differ.
    """
    from copy import copy

    from django.utils import timezone

    from sla import services as sla

    now = now or timezone.now()
    if ticket is None:
        draft = Ticket(impact=impact, urgency=urgency, service=service, status=Status.NEW, created_at=now)
        sla.sla_start(draft, now=now)
        return draft
    draft = copy(ticket)
    draft.impact, draft.urgency = impact, urgency
    if service is not None:
        draft.service = service
    sla.sla_reprioritise(draft, now=now)
    return draft


def next_deadline_expression() -> Case:
    """Respond-By until the response, then Resolve-By: the deadline a queue sorts by."""
    return Case(When(responded_at__isnull=True, then=F("respond_by")), default=F("resolve_by"))


def breached_q(now: datetime) -> Q:
    """What the SLA badge calls breached: a running target marked by the sweep, or past its deadline before
    the sweep got there. A waiting ticket's clock is paused, and its badge says so, so it is not counted."""
    return ~Q(status__in=WAITING_STATUSES) & (
        Q(responded_at__isnull=True, respond_breached=True) | Q(resolve_breached=True)
        | Q(responded_at__isnull=True, respond_by__lte=now) | Q(resolve_by__lte=now))


def order_by_urgency(queryset: QuerySet[Ticket], *, now: datetime) -> QuerySet[Ticket]:
    """Breached first, then the nearest running deadline, paused tickets last (UX checklist 1)."""
    deadline = next_deadline_expression()
    rank = Case(
        When(status__in=WAITING_STATUSES, then=Value(2)),
        When(breached_q(now), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return queryset.annotate(sla_rank=rank, next_deadline=deadline).order_by(
        "sla_rank", F("next_deadline").asc(nulls_last=True), "id")


def order_for_dispatch(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Unassigned first, then the nearest Respond-By (UX checklist 2)."""
    return queryset.annotate(
        unassigned_rank=Case(When(assignee__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("unassigned_rank", F("respond_by").asc(nulls_last=True), "id")


def with_customer_replied(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate ``customer_replied``: the latest public entry is the requester's (a queue marker)."""
    latest = ConversationEntry.objects.filter(
        ticket=OuterRef("pk"), visibility=Visibility.PUBLIC).order_by("-created_at", "-id")
    return queryset.annotate(
        last_public_author=Subquery(latest.values("author_id")[:1]),
    ).annotate(customer_replied=Case(
        When(last_public_author=F("requester_id"), then=Value(True)), default=Value(False),
        output_field=BooleanField()))
