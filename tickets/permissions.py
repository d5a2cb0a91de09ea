"""Who may see and do what with tickets. Every channel asks here; no view re-implements it."""

from django.db.models import Q, QuerySet

from .lifecycle import Status

# Fields a customer may give when reporting; staff decide everything else in triage.
CUSTOMER_CREATE_FIELDS = frozenset({"title", "description", "service", "impact", "urgency"})
# On an existing ticket a customer can only move its status (withdraw, fixed / not fixed).
CUSTOMER_UPDATE_FIELDS = frozenset({"status"})
STAFF_UPDATE_FIELDS = frozenset(
    {
        "title",
        "description",
        "impact",
        "urgency",
        "service",
        "group",
        "assignee",
        "parent",
        "source",
        "requester",
        "classification",
        "status",
    }
)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def is_customer(user) -> bool:
    return bool(user and user.is_authenticated and not user.is_staff)


def is_technician(user) -> bool:
    return is_staff(user) and user.support_groups.exists()


def is_dispatcher(user, group=None) -> bool:
    if not is_staff(user):
        return False
    groups = user.dispatched_groups.all()
    return groups.filter(pk=group.pk).exists() if group is not None else groups.exists()


def is_administrator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


def visible_tickets(user, queryset: QuerySet) -> QuerySet:
    """Scope a ticket queryset to what the user may see: staff see all, customers their own."""
    if is_staff(user):
        return queryset
    if user and user.is_authenticated:
        # A subquery rather than a join, so a followed ticket is not listed twice.
        followed = queryset.model.followers.through.objects.filter(user=user).values("ticket_id")
        return queryset.filter(Q(requester=user) | Q(pk__in=followed))
    return queryset.none()


def can_see_ticket(user, ticket) -> bool:
    if is_staff(user):
        return True
    return bool(user.is_authenticated and (ticket.requester_id == user.pk
                                           or ticket.followers.filter(pk=user.pk).exists()))


def is_requester(user, ticket) -> bool:
    return bool(user and user.is_authenticated and ticket.requester_id == user.pk)


def can_see_internal(user) -> bool:
    return is_staff(user)


def customer_may_withdraw(ticket) -> bool:
    return ticket.status not in {Status.RESOLVED, Status.CLOSED, Status.CANCELLED}
