"""The states an SLA clock can be in, and what the SLA rules read and write on a ticket.

``sla`` knows nothing of ticket statuses: the ticket lifecycle maps each of its statuses onto one
``ClockState`` (``tickets.lifecycle.SLA_STATE``, the only such map), and the rules in
``sla.services``, ``sla.thresholds`` and ``sla.display`` are written over these states. A ticket
hands them over as ``sla_state``; the protocols below name every other field the rules touch, so
``tickets.models.Ticket`` (or anything shaped like it) can be passed in.
"""

from datetime import datetime
from enum import StrEnum
from typing import Protocol


class ClockState(StrEnum):
    """Where a ticket's Respond-By and Resolve-By clocks stand.

    The values of the three paused states are what ``sla_pauses`` records for a pause; they are the
    names of the statuses that have held the clocks since the first release, so recorded pauses read
    the same before and after the states had names of their own.
    """

    RUNNING = "running"  # both clocks run: a new report, or one the customer says is not fixed
    WORKING = "working"  # both clocks run and a technician is on it: the first move here is the response
    WAIT_CUSTOMER = "wait_customer"  # both clocks paused: a question is out to the customer
    WAIT_VENDOR = "wait_vendor"  # both clocks paused: a question is out to a vendor
    RESOLVED = "resolved"  # the response counts as given; the resolve clock stops until the customer answers
    FINAL = "final"  # closed or cancelled: no clock runs again


# States in which each clock is paused (an ongoing pause moves the deadline once it ends).
RESPOND_PAUSED = frozenset({ClockState.WAIT_CUSTOMER, ClockState.WAIT_VENDOR})
RESOLVE_PAUSED = RESPOND_PAUSED | {ClockState.RESOLVED}
# States in which the ticket still awaits work, its clocks running or paused.
OPEN = frozenset({ClockState.RUNNING, ClockState.WORKING, ClockState.WAIT_CUSTOMER, ClockState.WAIT_VENDOR})
# States in which the clocks run, so thresholds can fall due.
CLOCKS_RUN = OPEN - RESPOND_PAUSED

# A recorded pause: {"status": a paused state's value, "from": ISO instant, "until": ISO instant or None}.
Pause = dict[str, str | None]


class ThresholdFields(Protocol):
    """The fields that say which 75 % warnings and 100 % breaches are due (``sla.thresholds``)."""

    @property
    def sla_state(self) -> ClockState: ...
    @property
    def responded_at(self) -> datetime | None: ...
    @property
    def respond_warn_at(self) -> datetime | None: ...
    @property
    def respond_by(self) -> datetime | None: ...
    @property
    def resolve_warn_at(self) -> datetime | None: ...
    @property
    def resolve_by(self) -> datetime | None: ...
    @property
    def respond_warned(self) -> bool: ...
    @property
    def respond_breached(self) -> bool: ...
    @property
    def resolve_warned(self) -> bool: ...
    @property
    def resolve_breached(self) -> bool: ...


class ServiceCalendars(Protocol):
    """A service's business calendar (its clock) and operating hours, as ids of ``sla.Calendar``."""

    @property
    def calendar_id(self) -> int | None: ...
    @property
    def operating_hours_id(self) -> int | None: ...


class SlaTicket(Protocol):
    """A ticket as the SLA state rules (``sla.services``) read and write it."""

    @property
    def sla_state(self) -> ClockState: ...
    @property
    def impact(self) -> str: ...
    @property
    def urgency(self) -> str: ...
    @property
    def service(self) -> ServiceCalendars | None: ...

    impact_category: str
    priority: str
    sla_clock: str
    sla_process: str
    sla_small_reason: str
    sla_started_at: datetime | None
    sla_pauses: list[Pause]
    sla_paused: bool
    respond_by: datetime | None
    resolve_by: datetime | None
    respond_warn_at: datetime | None
    resolve_warn_at: datetime | None
    respond_warned: bool
    resolve_warned: bool
    respond_breached: bool
    resolve_breached: bool
    sla_next_check_at: datetime | None
    sla_reevaluate_at: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None


class BadgeTicket(Protocol):
    """A ticket as an SLA badge (``sla.display``) reads it."""

    @property
    def sla_state(self) -> ClockState: ...
    @property
    def service_id(self) -> int | None: ...
    @property
    def service(self) -> ServiceCalendars | None: ...
    @property
    def priority(self) -> str: ...
    @property
    def sla_clock(self) -> str: ...
    @property
    def sla_started_at(self) -> datetime | None: ...
    @property
    def sla_pauses(self) -> list[Pause]: ...
    @property
    def respond_by(self) -> datetime | None: ...
    @property
    def resolve_by(self) -> datetime | None: ...
    @property
    def responded_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def respond_breached(self) -> bool: ...
    @property
    def resolve_breached(self) -> bool: ...

    def get_status_display(self) -> str: ...
