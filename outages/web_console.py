"""What the outage console shows, gathered in a fixed number of queries whatever the outage's size.

Pure reads: the countdown to the next update, the summary cards, the reach of each audience, the
children page, the approvals waiting and the timeline. Writes stay in ``outages.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from sla.display import format_duration
from tickets import policies
from tickets.lifecycle import OPEN_STATUSES, Status
from tickets.models import AuditEvent, Ticket, User

from . import services
from .models import Audience, Outage, Update
from .reviews import REVIEWABLE_STATUSES, _Describer

PAGE_SIZE = 50
TIMELINE_LIMIT = 100
RECENT_WINDOW = timedelta(minutes=15)
RECENTLY_RESOLVED = timedelta(days=7)
TIMELINE_ACTIONS = (AuditEvent.Action.OUTAGE, AuditEvent.Action.STATUS, AuditEvent.Action.CREATED,
                    AuditEvent.Action.CHANGED, AuditEvent.Action.ALERT)


@dataclass(frozen=True)
class Countdown:
    """The next update's due time in the words the page prints (checklist 18)."""

    due: datetime | None
    overdue: bool
    words: str

    @property
    def local(self) -> str:
        return f"{timezone.localtime(self.due):%H:%M}" if self.due else ""


def countdown(outage: Outage, now: datetime) -> Countdown:
    """"Next update due in 12 min" before the due time, "Overdue by 3 min" after it.

    Minutes round as the page's ticking script rounds them, so the words do not jump when it takes over.
    """
    due = outage.next_update_due_at
    if due is None or outage.ticket.status not in OPEN_STATUSES:
        return Countdown(None, False, "")
    minutes = round((due - now).total_seconds() / 60)
    if services.update_overdue(outage, now):
        return Countdown(due, True, f"Overdue by {max(1, -minutes)} min")
    return Countdown(due, False, f"Next update due in {max(0, minutes)} min")


def outage_for_console(pk: int) -> Outage:
    """The outage with everything the page reads from it, in one query each."""
    return (Outage.objects.select_related("ticket__service", "ticket__group", "ticket__requester",
                                          "incident_manager", "review")
            .prefetch_related("responders", "changes",
                              Prefetch("updates", queryset=Update.objects.select_related("posted_by", "decided_by")))
            .get(pk=pk))


def outages_listed(now: datetime) -> tuple[QuerySet[Outage], QuerySet[Outage]]:
    """Open outages and problems (soonest update due first), and those resolved in the last week."""
    base = (Outage.objects.select_related("ticket__service", "incident_manager")
            .annotate(child_count=Count("ticket__children", distinct=True)))
    open_ = base.filter(ticket__status__in=OPEN_STATUSES).order_by("next_update_due_at", "-ticket__created_at")
    resolved = (base.filter(ticket__status__in=(Status.RESOLVED, Status.CLOSED),
                            ticket__resolved_at__gte=now - RECENTLY_RESOLVED).order_by("-ticket__resolved_at"))
    return open_, resolved


def children(outage: Outage) -> QuerySet[Ticket]:
    return (Ticket.objects.filter(parent_id=outage.ticket_id)
            .select_related("service", "requester", "assignee").order_by("-created_at", "-pk"))


def children_page(outage: Outage, number: str | int | None) -> Page:
    return Paginator(children(outage), PAGE_SIZE).get_page(number)


def children_counts(outage: Outage, now: datetime) -> dict[str, int]:
    """All children, the open ones (the all-clear resolves those), and those added in the last 15 minutes."""
    since = now - RECENT_WINDOW
    linked_recently = AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGED, field="parent", new_value=str(outage.ticket_id), created_at__gte=since,
    ).values("ticket_id")
    return Ticket.objects.filter(parent_id=outage.ticket_id).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        recent=Count("pk", filter=Q(created_at__gte=since) | Q(pk__in=linked_recently)),
    )


def reach_summary(reach: dict[str, list[str]], audiences: list[str]) -> str:
    """What the send button says: "Send to 312 people", "Send to 14 people and 2 lists".

    A list with its own address is one list (its members are not known here); a list kept as member
    addresses counts its members as people. Nobody is counted twice.
    """
    people: set[str] = set()
    lists = 0
    for audience in audiences:
        addresses = reach.get(audience, [])
        if audience != Audience.TICKET and len(addresses) == 1:
            lists += 1
        else:
            people.update(address.lower() for address in addresses)
    parts = []
    if people:
        parts.append(f"{len(people)} {'person' if len(people) == 1 else 'people'}")
    if lists:
        parts.append(f"{lists} {'list' if lists == 1 else 'lists'}")
    return "Send to " + " and ".join(parts) if parts else "Send (nobody to reach yet)"


def approvers() -> list[User]:
    """Who can approve a community message, to name them where a message waits (those ``notify`` tells)."""
    return list(policies.community_approvers().order_by("username")[:10])


def timeline(outage: Outage) -> list[dict]:
    """The outage's recorded steps, newest first (at most ``TIMELINE_LIMIT``), described for people."""
    events = list(AuditEvent.objects.filter(ticket_id=outage.ticket_id, action__in=TIMELINE_ACTIONS)
                  .select_related("actor").order_by("-created_at", "-pk")[:TIMELINE_LIMIT])
    describer = _Describer(events)
    return [{"at": event.created_at, "actor": str(event.actor) if event.actor else "System",
             "what": describer.describe(event, outage.ticket_id), "step": event.field,
             "held": event.action == AuditEvent.Action.OUTAGE and "held for approval" in event.new_value}
            for event in events]


def duration_since(start: datetime, now: datetime) -> str:
    return format_duration(now - start)


def may_review(outage: Outage) -> bool:
    """The After-Action Review appears once the outage is resolved (ServiceNow shows its PIR tab then)."""
    return outage.ticket.status in REVIEWABLE_STATUSES


def roles(user, outage: Outage) -> dict[str, bool]:
    return {"may_run": policies.may_run_outage(user, outage),
            "may_approve": policies.may_approve_community(user),
            "may_decide_change": policies.may_decide_change(user),
            "may_publish": policies.may_publish_review(user)}
