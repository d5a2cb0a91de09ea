"""The outage radar: when a group's queue looks like one outage rather than many incidents.

Two signals, both from the dispatcher's process (triage "spots Outage/Problem scenarios"):

* a burst: at least ``BURST_SIZE`` open, unparented incidents about one service, created within
  ``BURST_WINDOW`` of each other, in the last ``LOOKBACK``;
* a matrix cell: an open, unparented incident whose impact × urgency cell calls for outage or
  problem management (``Ticket.sla_process``), however long ago it came in.

The rule is here, in outages/, so tickets/ never needs to know about outages.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from tickets.lifecycle import OPEN_STATUSES
from tickets.models import Classification, Group, Service, Ticket

BURST_SIZE = 3
BURST_WINDOW = timedelta(minutes=15)
LOOKBACK = timedelta(hours=1)
OUTAGE_PROCESSES = ("outage", "problem")


@dataclass
class Suspect:
    """One service that looks like it has an outage, and the tickets that say so."""

    service: Service | None
    ticket_ids: list[int] = field(default_factory=list)
    burst_count: int = 0  # tickets in the closest burst; 0 when only the matrix spoke
    burst_minutes: int = 0
    matrix_ids: list[int] = field(default_factory=list)  # tickets whose matrix cell calls for the process
    process: str = ""  # "outage" or "problem" when the matrix spoke
    current_outage: Ticket | None = None  # an open outage/problem for this service, to link to instead

    @property
    def service_key(self) -> str:
        return str(self.service.pk) if self.service is not None else "none"

    @property
    def service_name(self) -> str:
        return self.service.name if self.service is not None else "tickets with no service"


def _densest_burst(times: list[tuple[datetime, int]]) -> list[int]:
    """The largest run of tickets whose creation times fit in one window (sliding window)."""
    best: list[int] = []
    start = 0
    for end in range(len(times)):
        while times[end][0] - times[start][0] > BURST_WINDOW:
            start += 1
        if end - start + 1 > len(best):
            best = [pk for _, pk in times[start:end + 1]]
    return best


def _candidates(group: Group):
    return (Ticket.objects.filter(group=group, classification=Classification.INCIDENT, parent__isnull=True,
                                  status__in=OPEN_STATUSES)
            .select_related("service"))


def suspected_outages(group: Group, *, now: datetime | None = None) -> list[Suspect]:
    """The services of ``group``'s queue that look like an outage, busiest first. Three queries."""
    now = now or timezone.now()
    recent: dict[int | None, list[tuple[datetime, int]]] = {}
    services: dict[int | None, Service | None] = {}
    matrix: dict[int | None, list[Ticket]] = {}
    since = now - LOOKBACK
    for ticket in _candidates(group).order_by("created_at", "pk"):
        services[ticket.service_id] = ticket.service
        if ticket.created_at >= since and ticket.service_id is not None:
            recent.setdefault(ticket.service_id, []).append((ticket.created_at, ticket.pk))
        if ticket.sla_process in OUTAGE_PROCESSES:
            matrix.setdefault(ticket.service_id, []).append(ticket)

    suspects: dict[int | None, Suspect] = {}
    for service_id, times in recent.items():
        burst = _densest_burst(times)
        if len(burst) >= BURST_SIZE:
            created = dict((pk, at) for at, pk in times)
            span = created[burst[-1]] - created[burst[0]]
            suspects[service_id] = Suspect(services[service_id], ticket_ids=list(burst), burst_count=len(burst),
                                           burst_minutes=max(1, -(-int(span.total_seconds()) // 60)))
    for service_id, tickets in matrix.items():
        suspect = suspects.setdefault(service_id, Suspect(services[service_id]))
        suspect.matrix_ids = [t.pk for t in tickets]
        suspect.process = "outage" if any(t.sla_process == "outage" for t in tickets) else "problem"
        suspect.ticket_ids = sorted(set(suspect.ticket_ids) | set(suspect.matrix_ids))
    if not suspects:
        return []

    service_ids = [pk for pk in suspects if pk is not None]
    current = (Ticket.objects.filter(classification__in=(Classification.OUTAGE, Classification.PROBLEM),
                                     status__in=OPEN_STATUSES, service_id__in=service_ids, outage__isnull=False)
               .order_by("-created_at"))
    for outage_ticket in current:
        suspect = suspects[outage_ticket.service_id]
        if suspect.current_outage is None:
            suspect.current_outage = outage_ticket
    return sorted(suspects.values(), key=lambda s: (-len(s.ticket_ids), s.service_name))


def suspect_for(group: Group, service_key: str, *, now: datetime | None = None) -> Suspect | None:
    """The suspect for one service (``"none"`` for tickets without one), as the banner showed it."""
    for suspect in suspected_outages(group, now=now):
        if suspect.service_key == service_key:
            return suspect
    return None


def worst_impact_and_urgency(ticket_ids: list[int]) -> tuple[str, str]:
    """The outage starts at the widest impact and most urgent urgency among its first children.

    Several people reporting one thing is at least a department's worth of impact, even when each
    of them said "only me"; the incident manager refines it on the console.
    """
    from sla.matrix import Impact, Urgency

    rows = list(Ticket.objects.filter(pk__in=ticket_ids).values_list("impact", "urgency"))
    impacts = [Impact(impact) for impact, _ in rows]
    if len(rows) > 1:
        impacts.append(Impact.DEPARTMENT)
    impacts = impacts or [Impact.DEPARTMENT]
    urgencies = [Urgency(urgency) for _, urgency in rows] or [Urgency.IMPAIRED]
    impact_order, urgency_order = list(Impact), list(Urgency)
    return (min(impacts, key=impact_order.index).value, min(urgencies, key=urgency_order.index).value)
