"""Who may do what: every "may …" question of the service, asked by the API, the pages and the services alike.

Each rule is written here once, as a question about a person (``None`` is the system itself: intake,
tasks) and, where it matters, a ticket, a group or an outage. Callers never restate a rule: a view that
needs to know whether to show a button asks the same question the service asks before writing.

Tickets core does not import ``outages``: a question about an outage takes any object shaped like one
(``OutageLike``), and permissions are named by their ``"app_label.codename"`` strings.
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from .lifecycle import CUSTOMER_TRANSITIONS, FINAL_STATUSES, TRANSITIONS, Status, allowed_next
from .models import Group, Ticket, TokenScope, User

# Whoever is asking: a signed-in account, an anonymous visitor, or None for the system itself.
Person: TypeAlias = AbstractBaseUser | AnonymousUser | None

INCIDENT_MANAGER_PERMISSION = "tickets.act_as_incident_manager"
APPROVE_COMMUNITY_PERMISSION = "outages.approve_community_update"
APPROVE_CHANGE_PERMISSION = "outages.approve_change"
PUBLISH_REVIEW_PERMISSION = "outages.publish_review"

# Fields a customer may give when reporting; staff decide everything else in triage. (``source``: the
# service keeps only "portal" or "e-mail" for a customer, whatever they send.)
CUSTOMER_CREATE_FIELDS = frozenset({"title", "description", "service", "impact", "urgency", "source"})
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
# A new ticket always starts as "new": nobody gives its status.
STAFF_CREATE_FIELDS = STAFF_UPDATE_FIELDS - {"status"}


class ServiceLike(Protocol):
    @property
    def owner_id(self) -> int | None: ...


class OutageTicketLike(Protocol):
    @property
    def service(self) -> ServiceLike | None: ...


class OutageLike(Protocol):
    """What the outage questions need of an outage or problem: its ticket's service, and its incident manager."""

    @property
    def ticket(self) -> OutageTicketLike: ...

    @property
    def incident_manager_id(self) -> int | None: ...


def _account(user: Person) -> User | None:
    """The account behind ``user`` when it is a signed-in one; anonymous visitors and the system are None."""
    return user if isinstance(user, User) and user.is_authenticated else None


# --- Roles ---------------------------------------------------------------------------------------


def is_staff(user: Person) -> bool:
    """ITS staff: a signed-in, active account with the staff flag."""
    account = _account(user)
    return account is not None and account.is_active and account.is_staff


def is_administrator(user: Person) -> bool:
    """An administrator: a signed-in superuser."""
    account = _account(user)
    return account is not None and account.is_superuser


def is_technician(user: Person) -> bool:
    """Staff who are members of at least one support group."""
    account = _account(user)
    return account is not None and is_staff(account) and account.support_groups.exists()


def is_dispatcher(user: Person, group: Group | None = None) -> bool:
    """Staff who dispatch ``group`` (any group when ``group`` is None)."""
    account = _account(user)
    if account is None or not is_staff(account):
        return False
    groups = account.dispatched_groups.all()
    return groups.filter(pk=group.pk).exists() if group is not None else groups.exists()


def is_requester(user: Person, ticket: Ticket) -> bool:
    """The signed-in person who reported ``ticket`` (or for whom it was logged)."""
    account = _account(user)
    return account is not None and ticket.requester_id == account.pk


def staff_with_permission(permission: str) -> QuerySet[User]:
    """The active staff holding ``permission`` ("app_label.codename"): directly, through a group, or as
    administrators (who hold every permission, as ``has_perm`` says)."""
    app_label, codename = permission.split(".", 1)
    direct = Q(user_permissions__content_type__app_label=app_label, user_permissions__codename=codename)
    grouped = Q(groups__permissions__content_type__app_label=app_label, groups__permissions__codename=codename)
    return User.objects.filter(direct | grouped | Q(is_superuser=True), is_active=True, is_staff=True).distinct()


def _staff_with(user: Person, permission: str) -> bool:
    account = _account(user)
    return account is not None and is_staff(account) and account.has_perm(permission)


# --- Seeing tickets --------------------------------------------------------------------------------


def visible_tickets(user: Person, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Scope a ticket queryset to what ``user`` may see: staff all, others those they requested or follow."""
    if is_staff(user):
        return queryset
    account = _account(user)
    if account is None:
        return queryset.none()
    # A subquery rather than a join, so a followed ticket is not listed twice.
    followed = Ticket.followers.through.objects.filter(user=account).values("ticket_id")
    return queryset.filter(Q(requester=account) | Q(pk__in=followed))


def may_view_ticket(user: Person, ticket: Ticket) -> bool:
    """May ``user`` see ``ticket``: staff any, others one they requested or follow (as ``visible_tickets``)."""
    if is_staff(user):
        return True
    account = _account(user)
    return account is not None and (ticket.requester_id == account.pk
                                    or ticket.followers.filter(pk=account.pk).exists())


def may_see_internal(user: Person) -> bool:
    """Internal notes, files and triage details are for ITS staff only."""
    return is_staff(user)


def may_see_contact_details(viewer: Person, person: AbstractBaseUser) -> bool:
    """A person's username and e-mail address: staff see everyone's, anyone else only their own (staff by name)."""
    account = _account(viewer)
    return is_staff(viewer) or (account is not None and account.pk == person.pk)


# --- Writing tickets -------------------------------------------------------------------------------


def creatable_fields(user: Person) -> frozenset[str]:
    """The fields ``user`` may give when logging a ticket: staff every field but the status, others the report's own."""
    return STAFF_CREATE_FIELDS if is_staff(user) else CUSTOMER_CREATE_FIELDS


def editable_fields(user: Person) -> frozenset[str]:
    """The fields ``user`` may change on a ticket they see: staff triage and routing, others only the status."""
    return STAFF_UPDATE_FIELDS if is_staff(user) else CUSTOMER_UPDATE_FIELDS


def may_edit_field(user: Person, field: str) -> bool:
    """May ``user`` change ``field`` of a ticket they see (see ``editable_fields``)."""
    return field in editable_fields(user)


def may_log_for_others(user: Person) -> bool:
    """Staff log tickets on someone else's behalf (a call, a walk-in, a caller hit by an outage); others their own."""
    return "requester" in creatable_fields(user)


def may_write_internal(user: Person) -> bool:
    """Internal notes and internal attachments are written by ITS staff only."""
    return is_staff(user)


def may_reply(user: Person, ticket: Ticket) -> bool:
    """Staff add replies and files to any ticket; others only while it is not closed or cancelled (what they
    write to a closed one opens a follow-up ticket instead: ``lifecycle.reply_move``)."""
    return is_staff(user) or ticket.status not in FINAL_STATUSES


def moves_as_customer(user: Person) -> bool:
    """Someone without staff rights moves a ticket by the customer's table; staff and the system (None) by the full
    status machine."""
    return user is not None and not is_staff(user)


def transition_refusal(user: Person, ticket: Ticket, to_status: str) -> str | None:
    """Why ``user``'s role may not move ``ticket`` to ``to_status``, or None; the status machine judges the move
    itself. Only the requester moves a ticket as a customer, and only by the customer's table."""
    if not moves_as_customer(user):
        return None
    if not is_requester(user, ticket):
        return "Only the requester can withdraw or confirm this ticket; followers can reply."
    current = Status(ticket.status)
    if to_status in TRANSITIONS.get(current, frozenset()) and to_status not in CUSTOMER_TRANSITIONS.get(
            current, frozenset()):
        return f"Only ITS staff can move a ticket to “{to_status}”."
    return None


def allowed_statuses(user: Person, ticket: Ticket) -> list[str]:
    """The statuses ``user`` may move ``ticket`` to now, in life-cycle order (none for a follower)."""
    if moves_as_customer(user) and not is_requester(user, ticket):
        return []
    return allowed_next(ticket.status, as_customer=moves_as_customer(user))


def may_transition(user: Person, ticket: Ticket, to_status: str) -> bool:
    """May ``user`` move ``ticket`` to ``to_status`` now: their role allows it and the status machine has the move."""
    return to_status in allowed_statuses(user, ticket)


# --- Routing ---------------------------------------------------------------------------------------


def may_be_assigned(user: AbstractBaseUser) -> bool:
    """Tickets are assigned to active ITS staff only."""
    return is_staff(user)


def assignable_staff() -> QuerySet[User]:
    """Everyone ``may_be_assigned`` accepts, for the pickers that offer them."""
    return User.objects.filter(is_staff=True, is_active=True)


def dispatched_group_ids(user: Person) -> set[int]:
    """The ids of the groups whose queues ``user`` dispatches (none for anyone but staff)."""
    account = _account(user)
    if account is None or not is_staff(account):
        return set()
    return set(account.dispatched_groups.values_list("pk", flat=True))


def dispatchable_groups(user: Person) -> QuerySet[Group]:
    """The groups whose queues ``user`` may route: every group for an administrator, the ones they dispatch for
    staff, none for anyone else."""
    if is_administrator(user):
        return Group.objects.all()
    account = _account(user)
    if account is None or not is_staff(account):
        return Group.objects.none()
    return account.dispatched_groups.all()


def may_dispatch_group(user: Person, group: Group) -> bool:
    """May ``user`` route the tickets of ``group``'s queue: administrators, and staff who dispatch it."""
    return is_administrator(user) or is_dispatcher(user, group)


def may_bulk_route(user: Person) -> bool:
    """May ``user`` use the queue boards and route tickets in bulk: administrators, and staff who dispatch a group
    (which tickets: ``may_dispatch``)."""
    return is_administrator(user) or is_dispatcher(user)


def may_dispatch(user: Person, ticket: Ticket, target_group: Group | None = None, *,
                 dispatched: set[int] | None = None) -> bool:
    """May ``user`` route (assign or move) ``ticket``?

    An administrator may route every ticket. A dispatcher may route the tickets in the queues of the
    groups they dispatch, to any member of that group or to any other group. A ticket not yet in
    any group may be taken into a group its dispatcher dispatches (``target_group``).
    ``dispatched``: ``dispatched_group_ids(user)``, when the caller already has them.
    """
    if not is_staff(user):
        return False
    if is_administrator(user):
        return True
    group_id = ticket.group_id if ticket.group_id is not None else getattr(target_group, "pk", None)
    if group_id is None:
        return False
    return group_id in (dispatched if dispatched is not None else dispatched_group_ids(user))


# --- Outages and problems --------------------------------------------------------------------------


def may_be_incident_manager(user: Person) -> bool:
    """Staff with the incident manager role (``tickets.act_as_incident_manager``), or an administrator, may run an
    outage or problem and be its ticket's assignee."""
    return is_staff(user) and (is_administrator(user) or _staff_with(user, INCIDENT_MANAGER_PERMISSION))


def may_choose_incident_manager(user: Person, outage: OutageLike) -> bool:
    """The service's owner chooses the incident manager (the process's step 2); without an owner on record an incident
    manager may take the outage on; administrators always may."""
    if is_administrator(user):
        return True
    service = outage.ticket.service
    if service is not None and service.owner_id is not None:
        account = _account(user)
        return account is not None and service.owner_id == account.pk
    return may_be_incident_manager(user)


def may_run_outage(user: Person, outage: OutageLike) -> bool:
    """Post updates, set the plan, name responders, reclassify, resolve, close: the incident manager, whoever may
    choose one, and administrators. (Linking children is open to all staff: the service desk spots them.)"""
    if not is_staff(user):
        return False
    account = _account(user)
    return (is_administrator(user) or (account is not None and outage.incident_manager_id == account.pk)
            or may_choose_incident_manager(user, outage))


def may_approve_community(user: Person) -> bool:
    """Messages to the whole community are sent by staff with ``outages.approve_community_update``, or held for them."""
    return _staff_with(user, APPROVE_COMMUNITY_PERMISSION)


def community_approvers() -> QuerySet[User]:
    """Everyone ``may_approve_community`` says yes to: told when a message waits, and named beside it."""
    return staff_with_permission(APPROVE_COMMUNITY_PERMISSION)


def may_decide_change(user: Person) -> bool:
    """A request for change is approved or rejected by staff with ``outages.approve_change``."""
    return _staff_with(user, APPROVE_CHANGE_PERMISSION)


def may_publish_review(user: Person) -> bool:
    """An After-Action Review is published by staff with ``outages.publish_review``."""
    return _staff_with(user, PUBLISH_REVIEW_PERMISSION)


# --- Credentials ----------------------------------------------------------------------------------

# The methods that only read (RFC 9110's safe methods, as DRF counts them).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_refusal(scope: str, *, method: str, intake_door: bool) -> str | None:
    """Why a token of ``scope`` may not make a ``method`` request to this endpoint, or None.

    A token never has more rights than its user; its scope narrows them. An integration's token opens its
    intake door and nothing else (a leaked Alertmanager config is not an API login), and the intake doors
    take integration tokens only. A read-only personal token reads and never writes. A scope this code does
    not know is refused, so a token is never wider than what was meant. Session (cookie) users have no token
    and are not asked this.
    """
    if scope == TokenScope.INTEGRATION:
        if intake_door:
            return None
        return ("This is an integration's token: it opens its intake door only "
                "(/api/v1/integrations/<kind>/). Use a personal token for the rest of the API.")
    if scope not in (TokenScope.PERSONAL, TokenScope.PERSONAL_READ_ONLY):
        return "This token's scope is not one the service knows; ask an administrator for a new token."
    if intake_door:
        return "The intake doors take an integration's token only."
    if scope == TokenScope.PERSONAL_READ_ONLY and method.upper() not in READ_METHODS:
        return (f"This token is read-only: it may GET, HEAD and OPTIONS, not {method.upper()}. "
                "Use a personal token with write access to change anything.")
    return None


def may_use_token_for(scope: str, *, method: str, intake_door: bool) -> bool:
    """May a token of ``scope`` make a ``method`` request to this endpoint (see ``token_refusal``)."""
    return token_refusal(scope, method=method, intake_door=intake_door) is None


# --- Intake ----------------------------------------------------------------------------------------


def may_manage_integrations(user: Person) -> bool:
    """Monitoring integrations (their tokens and routing keys) are set up and rotated by administrators only."""
    return is_administrator(user)
