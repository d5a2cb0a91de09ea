"""'This is affecting me too': current outages as customers see them, and joining one.

A customer may not set ``parent`` on a ticket, so joining an outage is the system's act: the
customer's own incident is created already linked under the outage (``tickets.process``), and
``notify.known_issue`` tells them once that the issue is known, as ``services.children_link`` does. Being a
child's requester is what puts them among ``services.affected_users``, so every later update
reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from sla.matrix import Impact, Priority
from tickets import policies
from tickets import process as ticket_process
from tickets.errors import NotAllowed
from tickets.lifecycle import FINAL_STATUSES, OPEN_STATUSES
from tickets.models import Channel, Classification, Source, Ticket, User

from . import notify
from .models import Outage
from .timeline import record

# Most severe first: the one banner a page has room for shows the worst current outage.
_SEVERITY = Case(
    When(ticket__priority=Priority.EMERGENCY, then=Value(0)),
    When(ticket__priority=Priority.HIGH, then=Value(1)),
    When(ticket__priority=Priority.STANDARD, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def current_outages() -> QuerySet[Outage]:
    """Outages and problems still being worked on, worst and newest first, with their last update time."""
    return (
        Outage.objects.filter(ticket__status__in=OPEN_STATUSES,
                              ticket__classification__in=(Classification.OUTAGE, Classification.PROBLEM))
        .select_related("ticket", "ticket__service")
        .annotate(severity=_SEVERITY, last_update_at=Max("updates__posted_at"))
        .order_by("severity", "-ticket__created_at", "-pk")
    )


def outages_for_user(user) -> list[Outage]:
    """Current outages touching the services this person has asked us about, or that they joined."""
    if not (user and user.is_authenticated):
        return []
    mine = policies.visible_tickets(user, Ticket.objects.all())
    services = mine.filter(service__isnull=False).values("service_id")
    parents = mine.filter(parent__isnull=False).values("parent_id")
    return list(current_outages().filter(Q(ticket__service_id__in=services) | Q(ticket_id__in=parents)))


def outage_for_service(service_id) -> Outage | None:
    """The worst current outage of one service, shown before the rest of a report form."""
    if not service_id:
        return None
    return current_outages().filter(ticket__service_id=service_id).first()


@dataclass(frozen=True)
class Joined:
    ticket: Ticket
    created: bool  # False: the person was already on the list, and this is their existing ticket


def existing_child(outage: Outage, user: User) -> Ticket | None:
    return (Ticket.objects.filter(parent_id=outage.ticket_id, requester=user)
            .exclude(status__in=FINAL_STATUSES).order_by("pk").first())


@transaction.atomic
def join_outage(*, outage_id: int, user: User, actor: User | None = None, title: str = "",
                description: str = "", impact: str | None = None, urgency: str | None = None,
                source: str = Source.PORTAL, channel: str = Channel.WEB) -> Joined:
    """Give ``user`` their own incident under the outage; a second call returns the same ticket.

    ``actor`` is the service-desk technician logging a call for ``user``; ``None`` when the person
    says so themselves in the portal (the system links it for them). The outage row is locked, so
    two quick clicks cannot create two tickets.
    """
    outage = (Outage.objects.select_for_update(of=("self",)).select_related("ticket", "ticket__service")
              .filter(pk=outage_id).first())
    if outage is None or outage.ticket.status not in OPEN_STATUSES:
        raise NotAllowed("This problem is already over, so there's nothing to join.")
    if actor is not None and not policies.may_log_for_others(actor):
        raise NotAllowed("Only ITS staff can link someone else to an outage.")
    if (found := existing_child(outage, user)) is not None:
        return Joined(found, created=False)
    parent = outage.ticket
    name = parent.service.name if parent.service else parent.title
    description = (description or "").strip() or f"Affected by the known problem #{parent.pk}: {parent.title}"
    child = ticket_process.process_ticket_create(
        actor=actor, requester=user, title=(title or "").strip() or f"Affected by: {name}"[:200],
        description=description, impact=impact or Impact.INDIVIDUAL, urgency=urgency or parent.urgency,
        service=parent.service, parent=parent, source=source, channel=channel,
    )
    notify.known_issue(outage, child)
    record(parent, actor=actor or user, step="children_linked", channel=channel, now=timezone.now(),
           text=f"Linked #{child.pk}: {user} is affected too.")
    return Joined(child, created=True)
