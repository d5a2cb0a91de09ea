"""SLA state rules: start, pause, resume, reprioritise, breach.

These functions apply the rules to a ticket instance in memory and return the names of the fields
they changed; the ticket service that called them saves those fields in its own transaction.

- Respond By / Resolve By = the start plus the target plus the clock time spent paused.
- The clocks stop while waiting on the customer or a vendor; the resolve clock also stops while
  resolved. The rules read the ticket's clock state (``sla.states.ClockState``), which the ticket
  lifecycle maps its statuses onto: ``sla`` knows no ticket status.
- Pauses are kept as real instants, so a change of clock (reprioritisation) re-measures them
  on the new clock: "from the ticket's original start, less the time already paused".
- A breach flag only ever turns on.
"""

from datetime import datetime, timedelta
from typing import Protocol

from .calendars import ClockCache
from .clock import SlaClock
from .matrix import SmallReason, cell_for
from .states import OPEN, RESOLVE_PAUSED, RESPOND_PAUSED, ClockState, Pause, ServiceCalendars, SlaTicket
from .thresholds import next_check_at

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


class _Pausable(Protocol):
    @property
    def sla_pauses(self) -> list[Pause]: ...


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _service_calendars(service: ServiceCalendars | None) -> tuple[int | None, int | None]:
    if service is None:
        return None, None
    return service.calendar_id, service.operating_hours_id


def paused_time(
    ticket: _Pausable,
    clock: SlaClock,
    states: frozenset[ClockState],
    *,
    start: datetime,
    stop: datetime | None = None,
) -> timedelta:
    """Clock time spent paused in ``states`` between ``start`` and ``stop``.

    An ongoing pause counts only once it ends. ``stop`` is when the target was met: a pause after
    that cannot move a deadline that no longer runs.
    """
    total = timedelta(0)
    for pause in ticket.sla_pauses:
        began, ended = _parse(pause["from"]), _parse(pause.get("until"))
        if pause["status"] not in states or began is None or ended is None:
            continue
        begin, end = max(began, start), ended
        if stop is not None:
            end = min(end, stop)
        if end > begin:
            total += clock.measure(begin, end)
    return total


def _recompute(ticket: SlaTicket, *, now: datetime, clocks: ClockCache) -> None:
    start = ticket.sla_started_at
    if start is None:
        raise ValueError("the SLA of this ticket has not started: sla_start first")
    cell = cell_for(
        ticket.impact,
        ticket.urgency,
        outside_operating_hours=ticket.sla_small_reason == SmallReason.OUTSIDE_OPERATING_HOURS,
    )
    calendar_id, _ = _service_calendars(ticket.service)
    clock = clocks.clock(cell.clock, calendar_id)
    respond_paused = paused_time(ticket, clock, RESPOND_PAUSED, start=start, stop=ticket.responded_at)
    resolve_paused = paused_time(ticket, clock, RESOLVE_PAUSED, start=start)

    ticket.impact_category = cell.impact_category
    ticket.priority = cell.priority
    ticket.sla_clock = cell.clock
    ticket.sla_process = cell.process
    ticket.respond_by = respond_by = clock.add(start, cell.respond + respond_paused)
    ticket.resolve_by = resolve_by = clock.add(start, cell.resolve + resolve_paused)
    ticket.respond_warn_at = clock.add(start, cell.respond * WARNING_FRACTION + respond_paused)
    ticket.resolve_warn_at = clock.add(start, cell.resolve * WARNING_FRACTION + resolve_paused)
    # A target met late is breached, whether or not a sweep saw it pass.
    if ticket.responded_at and ticket.responded_at > respond_by:
        ticket.respond_breached = True
    if ticket.resolved_at and ticket.resolved_at > resolve_by:
        ticket.resolve_breached = True
    ticket.sla_paused = ticket.sla_state in RESOLVE_PAUSED
    ticket.sla_next_check_at = next_check_at(ticket)


def sla_start(ticket: SlaTicket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """Give a new ticket its priority and deadlines."""
    clocks = clocks or ClockCache()
    ticket.sla_started_at = now
    ticket.sla_pauses = []
    _, operating_id = _service_calendars(ticket.service)
    ticket.sla_small_reason = SmallReason.NONE
    ticket.sla_reevaluate_at = None
    if operating_id is not None:
        operating = clocks.operating_clock(operating_id)
        if not operating.is_running(now):
            ticket.sla_small_reason = SmallReason.OUTSIDE_OPERATING_HOURS
            ticket.sla_reevaluate_at = operating.next_start(now)
    _recompute(ticket, now=now, clocks=clocks)
    return list(SLA_FIELDS)


def sla_status_changed(
    ticket: SlaTicket, *, old: ClockState, new: ClockState, now: datetime, clocks: ClockCache | None = None
) -> list[str]:
    """Apply the SLA side of a status change that the status machine already allowed.

    ``old`` and ``new`` are the clock states of the statuses left and entered (the ticket's
    ``sla_state`` is already ``new``).
    """
    clocks = clocks or ClockCache()
    pauses = [dict(p) for p in ticket.sla_pauses]
    if pauses and not pauses[-1].get("until"):
        pauses[-1]["until"] = _iso(now)
    if new in RESOLVE_PAUSED:
        pauses.append({"status": new.value, "from": _iso(now), "until": None})
    ticket.sla_pauses = pauses

    if new == ClockState.WORKING and ticket.responded_at is None:
        ticket.responded_at = now
    if new == ClockState.RESOLVED:
        # A ticket resolved before anyone picked it up counts as responded when resolved.
        ticket.responded_at = ticket.responded_at or now
        ticket.resolved_at = now
    elif old == ClockState.RESOLVED and new in OPEN:
        # Back to work (the customer says it is not fixed): the resolution no longer stands.
        ticket.resolved_at = None
    _recompute(ticket, now=now, clocks=clocks)
    return list(SLA_FIELDS)


def sla_reprioritise(ticket: SlaTicket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """Impact, urgency or service changed: recompute from the original start, less paused time."""
    _recompute(ticket, now=now, clocks=clocks or ClockCache())
    return list(SLA_FIELDS)


def sla_end_operating_hours_grace(ticket: SlaTicket, *, now: datetime, clocks: ClockCache | None = None) -> list[str]:
    """The service's hours began: the real impact applies, with the clock starting at the opening."""
    ticket.sla_started_at = ticket.sla_reevaluate_at or now
    ticket.sla_small_reason = SmallReason.NONE
    ticket.sla_reevaluate_at = None
    _recompute(ticket, now=now, clocks=clocks or ClockCache())
    return list(SLA_FIELDS)
