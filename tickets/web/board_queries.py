"""The dispatcher's queue: who may see a group's board, its filtered rows and the count chips.

The chips are counted from the very queryset the rows come from (filters applied), so a chip's
number is what the dispatcher sees after clicking it (UX §3: counts that ignore filters mislead).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from tickets import policies, selectors
from tickets.lifecycle import OPEN_STATUSES, WAITING_STATUSES
from tickets.models import Group, Service, Ticket
from tickets.selectors import breached_q

DUE_SOON = timedelta(hours=1)
NOT_A_DISPATCHER = "The queues are for dispatchers. Ask your team lead if you need to triage a group's tickets."


def boards_for(user) -> QuerySet[Group]:
    """The groups whose queue ``user`` may dispatch: administrators see every group."""
    return policies.dispatchable_groups(user)


def board_group(user, slug: str) -> Group:
    """The group behind ``/queues/<slug>/``, or 403 for people who do not dispatch it."""
    group = get_object_or_404(Group, slug=slug)
    if policies.may_dispatch_group(user, group):
        return group
    raise PermissionDenied(NOT_A_DISPATCHER if not policies.is_dispatcher(user)
                           else f"You don't dispatch {group.name}, so its queue is not yours to triage.")


def due_soon_q(now: datetime) -> Q:
    """Respond-By within the hour and not yet passed: the tickets a dispatcher must place first."""
    return Q(responded_at__isnull=True, respond_by__gt=now, respond_by__lte=now + DUE_SOON) \
        & ~Q(status__in=WAITING_STATUSES)


def queue_tickets(group: Group, filters: dict, *, now: datetime) -> QuerySet[Ticket]:
    """The group's tickets under ``filters`` (cleaned ``BoardFilterForm`` data), unordered."""
    queryset = Ticket.objects.filter(group=group).select_related("requester", "assignee", "service")
    status = filters.get("status") or "open"
    queryset = queryset.filter(status__in=OPEN_STATUSES) if status == "open" else queryset.filter(status=status)
    service = filters.get("service") or ""
    if service == "none":
        queryset = queryset.filter(service__isnull=True)
    elif service:
        queryset = queryset.filter(service_id=int(service))
    assignee = filters.get("assignee") or ""
    if assignee == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee_id=int(assignee))
    if filters.get("priority"):
        queryset = queryset.filter(priority=filters["priority"])
    if filters.get("breached"):
        queryset = queryset.filter(breached_q(now))
    if filters.get("due_soon"):
        queryset = queryset.filter(due_soon_q(now))
    query = (filters.get("q") or "").strip()
    if query:
        match = Q(title__icontains=query) | Q(requester__email__icontains=query)
        digits = query.lstrip("#")
        if digits.isdigit():
            match |= Q(pk=int(digits))
        queryset = queryset.filter(match)
    return queryset


def queue_rows(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The default order (checklist 2): unassigned first, then the nearest Respond-By."""
    return selectors.order_for_dispatch(queryset)


@dataclass(frozen=True)
class ServiceChip:
    service_id: int | None
    name: str
    count: int


@dataclass(frozen=True)
class Chips:
    total: int
    unassigned: int
    due_soon: int
    breached: int
    services: list[ServiceChip]


def chip_counts(queryset: QuerySet[Ticket], *, now: datetime) -> QuerySet:
    """Per service: the tickets, the unassigned, the due soon and the breached (an index-only scan of
    ``ticket_open_counts`` on PostgreSQL)."""
    return (queryset.order_by().values("service_id")
            .annotate(count=Count("pk"), unassigned=Count("pk", filter=Q(assignee__isnull=True)),
                      due_soon=Count("pk", filter=due_soon_q(now)), breached=Count("pk", filter=breached_q(now))))


def queue_chips(queryset: QuerySet[Ticket], *, now: datetime) -> Chips:
    """All the counts in one query (one scan of the group's open tickets), whatever their number.

    Counted per service with the other counts as filtered aggregates, then summed here: at a million
    tickets a second scan for the totals cost as much as the first.
    """
    rows = list(chip_counts(queryset, now=now))
    names = dict(Service.objects.filter(pk__in=[row["service_id"] for row in rows if row["service_id"]])
                 .values_list("pk", "name"))
    services = sorted((ServiceChip(row["service_id"], names.get(row["service_id"], "No service"), row["count"])
                       for row in rows), key=lambda chip: chip.name)
    total = sum(row["count"] for row in rows)
    return Chips(total, sum(row["unassigned"] for row in rows), sum(row["due_soon"] for row in rows),
                 sum(row["breached"] for row in rows), services)
