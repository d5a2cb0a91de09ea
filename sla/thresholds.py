"""Which of a ticket's SLA thresholds are due, and when the next one falls: the sweep's rules.

Each deadline has two thresholds, the 75 % warning and the 100 % breach, each marked once by a
flag. The ticket service that sweeps (``tickets.sla_sweep``) reads the due tickets, asks
``due_thresholds`` which flags to claim and ``next_check_at`` when to look again, and writes both.
"""

from dataclasses import dataclass
from datetime import datetime

from .states import CLOCKS_RUN, ThresholdFields


@dataclass(frozen=True)
class Threshold:
    flag: str  # the boolean field that marks it, claimed once
    instant: str  # the field holding when it falls due
    before_response: bool  # only while the ticket awaits its response: a response ends the respond target

    def is_due(self, ticket: ThresholdFields, now: datetime) -> bool:
        if self.before_response and ticket.responded_at is not None:
            return False
        marked: bool = getattr(ticket, self.flag)
        instant: datetime | None = getattr(ticket, self.instant)
        return not marked and instant is not None and instant <= now


# In the order a ticket's marks are recorded.
THRESHOLDS = (
    Threshold("respond_warned", "respond_warn_at", before_response=True),
    Threshold("respond_breached", "respond_by", before_response=True),
    Threshold("resolve_warned", "resolve_warn_at", before_response=False),
    Threshold("resolve_breached", "resolve_by", before_response=False),
)
THRESHOLD_FLAGS = tuple(threshold.flag for threshold in THRESHOLDS)


def due_thresholds(ticket: ThresholdFields, now: datetime) -> list[str]:
    """The flags of the thresholds that have passed at ``now`` and are not marked yet, in order."""
    return [threshold.flag for threshold in THRESHOLDS if threshold.is_due(ticket, now)]


def next_check_at(ticket: ThresholdFields) -> datetime | None:
    """The earliest threshold still to be marked while a clock runs; ``None`` when none runs."""
    if ticket.sla_state not in CLOCKS_RUN:
        return None
    candidates: list[datetime | None] = []
    if ticket.responded_at is None:
        if not ticket.respond_warned:
            candidates.append(ticket.respond_warn_at)
        if not ticket.respond_breached:
            candidates.append(ticket.respond_by)
    if not ticket.resolve_warned:
        candidates.append(ticket.resolve_warn_at)
    if not ticket.resolve_breached:
        candidates.append(ticket.resolve_by)
    due = [candidate for candidate in candidates if candidate is not None]
    return min(due) if due else None
