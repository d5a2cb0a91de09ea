"""SLA state rules: start, pause, resume, reprioritise, breach.

These functions apply the rules to a ticket instance in memory and return the names of the fields
they changed; the ticket service that called them saves those fields in its own transaction.

- Respond By / Resolve By = the start plus the target plus the clock time spent paused.
- The clocks stop in Wait Customer / Wait Vendor; the resolve clock also stops while Resolved.
- Pauses are kept as real instants, so a change of clock (reprioritisation) re-measures them
  on the new clock: "from the ticket's original start, less the time already paused".
- A breach flag only ever turns on.
"""

from datetime import datetime, timedelta

from tickets.lifecycle import OPEN_STATUSES, WAITING_STATUSES, Status

from .calendars import ClockCache
from .clock import SlaClock
from .matrix import SmallReason, cell_for

WARNING_FRACTION = 0.75

SLA_FIELDS = [
    "impact_category",
    "priority",
    "sla_clock",
    "sla_process",
    "sla_small_reason",
    "sla_started_at",
    "sla_pauses",
    "sla_paused",
    "respond_by",
    "resolve_by",
    "respond_warn_at",
    "resolve_warn_at",
    "respond_breached",
    "resolve_breached",
    "sla_next_check_at",
    "sla_reevaluate_at",
    "responded_at",
    "resolved_at",
]

# Statuses in which each clock is stopped.
RESPOND_PAUSED = WAITING_STATUSES
RESOLVE_PAUSED = WAITING_STATUSES | {Status.RESOLVED}


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _service_calendars(ticket) -> tuple[int | None, int | None]:
    service = ticket.service
    if service is None:
        return None, None
    return service.calendar_id, service.operating_hours_id


def paused_time(
    ticket, clock: SlaClock, statuses: frozenset, *, start: datetime, stop: datetime | None = None
) -> timedelta:
    """Clock time spent in ``statuses`` between ``start`` and ``stop``.

    An ongoing pause counts only once it ends. ``stop`` is when the target was met: a pause after
    that cannot move a deadline that no longer runs.
    """
    total = timedelta(0)
    for pause in ticket.sla_pauses:
        if pause["status"] not in statuses or not pause.get("until"):
            continue
        begin, end = max(_parse(pause["from"]), start), _parse(pause["until"])
        if stop is not None:
            end = min(end, stop)
        if end > begin:
            total += clock.measure(begin, end)
    return total


def _recompute(ticket, *, now: datetime, clocks: ClockCache) -> None:
    cell = cell_for(
        ticket.impact,
        ticket.urgency,
        outside_operating_hours=ticket.sla_small_reason == SmallReason.OUTSIDE_OPERATING_HOURS,
    )
    calendar_id, _ = _service_calendars(ticket)
    clock = clocks.clock(cell.clock, calendar_id)
    start = ticket.sla_started_at
    respond_paused = paused_time(ticket, clock, RESPOND_PAUSED, start=start, stop=ticket.responded_at)
    resolve_paused = paused_time(ticket, clock, RESOLVE_PAUSED, start=start)

    ticket.impact_category = cell.impact_category
    ticket.priority = cell.priority
    ticket.sla_clock = cell.clock
    ticket.sla_process = cell.process
    ticket.respond_by = clock.add(start, cell.respond + respond_paused)
    ticket.resolve_by = clock.add(start, cell.resolve + resolve_paused)
    ticket.respond_warn_at = clock.add(start, cell.respond * WARNING_FRACTION + respond_paused)
    ticket.resolve_warn_at = clock.add(start, cell.resolve * WARNING_FRACTION + resolve_paused)
    _mark_met_late(ticket)
    ticket.sla_paused = ticket.status in RESOLVE_PAUSED
    ticket.sla_next_check_at = next_check_at(ticket)


def _mark_met_late(ticket) -> None:
    if ticket.responded_at and ticket.responded_at > ticket.respond_by:
        ticket.respond_breached = True
    if ticket.resolved_at and ticket.resolved_at > ticket.resolve_by:
        ticket.resolve_breached = True


def next_check_at(ticket) -> datetime | None:
    """The earliest threshold still to be marked while a clock runs; ``None`` when none runs."""
    if ticket.status not in OPEN_STATUSES or ticket.status in WAITING_STATUSES:
        return None
    candidates = []
    if ticket.responded_at is None:
        if not ticket.respond_warned:
            candidates.append(ticket.respond_warn_at)
        if not ticket.respond_breached:
            candidates.append(ticket.respond_by)
    if not ticket.resolve_warned:
        candidates.append(ticket.resolve_warn_at)
    if not ticket.resolve_breached:
        candidates.append(ticket.resolve_by)
    candidates = [c for c in candidates if c is not None]
    return min(candidates) if candidates else None


def sla_start(ticket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """Give a new ticket its priority and deadlines."""
    clocks = clocks or ClockCache()
    ticket.sla_started_at = now
    ticket.sla_pauses = []
    _, operating_id = _service_calendars(ticket)
    ticket.sla_small_reason = SmallReason.NONE
    ticket.sla_reevaluate_at = None
    if operating_id is not None:
        operating = clocks.operating_clock(operating_id)
        if not operating.is_running(now):
            ticket.sla_small_reason = SmallReason.OUTSIDE_OPERATING_HOURS
            ticket.sla_reevaluate_at = operating.next_start(now)
    _recompute(ticket, now=now, clocks=clocks)
    return list(SLA_FIELDS)


def sla_status_changed(ticket, *, old: str, new: str, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """Apply the SLA side of a status change that the status machine already allowed."""
    clocks = clocks or ClockCache()
    pauses = [dict(p) for p in ticket.sla_pauses]
    if pauses and not pauses[-1].get("until"):
        pauses[-1]["until"] = _iso(now)
    if new in RESOLVE_PAUSED:
        pauses.append({"status": new, "from": _iso(now), "until": None})
    ticket.sla_pauses = pauses

    if new == Status.IN_PROCESS and ticket.responded_at is None:
        ticket.responded_at = now
    if new == Status.RESOLVED:
        # A ticket resolved before anyone picked it up counts as responded when resolved.
        ticket.responded_at = ticket.responded_at or now
        ticket.resolved_at = now
    elif old == Status.RESOLVED and new == Status.CUSTOMER_RESPONDED:
        ticket.resolved_at = None
    _recompute(ticket, now=now, clocks=clocks)
    return list(SLA_FIELDS)


def sla_reprioritise(ticket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """Impact, urgency or service changed: recompute from the original start, less paused time."""
    _recompute(ticket, now=now, clocks=clocks or ClockCache())
    return list(SLA_FIELDS)


def sla_end_operating_hours_grace(ticket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """The service's hours began: the real impact applies, with the clock starting at the opening."""
    ticket.sla_started_at = ticket.sla_reevaluate_at or now
    ticket.sla_small_reason = SmallReason.NONE
    ticket.sla_reevaluate_at = None
    _recompute(ticket, now=now, clocks=clocks or ClockCache())
    return list(SLA_FIELDS)
