"""The ticket status machine: the one map of allowed transitions, enforced for every channel.

API, web pages, e-mail intake, monitoring and tasks all change status through
``tickets.services.ticket_transition``, which asks this module.
"""

from django.db import models

from sla.states import ClockState


class Status(models.TextChoices):
    NEW = "new", "New"  # logged, not yet picked up by a technician
    IN_PROCESS = "in_process", "In Process"  # a technician told the customer work began (the response)
    WAIT_CUSTOMER = "wait_customer", "Wait Customer"  # question out to the customer; SLA clock paused
    WAIT_VENDOR = "wait_vendor", "Wait Vendor"  # question out to a vendor; SLA clock paused
    RESOLVED = "resolved", "Resolved"  # fix in place, customer asked to test; resolve clock stopped
    CUSTOMER_RESPONDED = "customer_responded", "Customer Responded"  # customer says it is not fixed
    CLOSED = "closed", "Closed"  # final: the fix is confirmed
    CANCELLED = "cancelled", "Cancelled"  # final: duplicate, spam, or withdrawn by the requester


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.IN_PROCESS, Status.WAIT_CUSTOMER, Status.WAIT_VENDOR, Status.CUSTOMER_RESPONDED}
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
WAITING_STATUSES = frozenset({Status.WAIT_CUSTOMER, Status.WAIT_VENDOR})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    # Resolving straight from new or a wait status covers issues that cleared themselves
    # (monitoring reports recovery, an outage's children are resolved with it).
    Status.NEW: frozenset({Status.IN_PROCESS, Status.RESOLVED, Status.CANCELLED}),
    Status.IN_PROCESS: frozenset({Status.WAIT_CUSTOMER, Status.WAIT_VENDOR, Status.RESOLVED, Status.CANCELLED}),
    Status.WAIT_CUSTOMER: frozenset({Status.IN_PROCESS, Status.RESOLVED, Status.CANCELLED}),
    Status.WAIT_VENDOR: frozenset({Status.IN_PROCESS, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.CUSTOMER_RESPONDED}),
    Status.CUSTOMER_RESPONDED: frozenset({Status.IN_PROCESS, Status.RESOLVED, Status.CANCELLED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# What a requester may do on their own ticket: withdraw it while unresolved, and answer
# "fixed" / "not fixed" once it is resolved.
CUSTOMER_TRANSITIONS: dict[Status, frozenset[Status]] = {
    **{status: frozenset({Status.CANCELLED}) for status in OPEN_STATUSES},
    Status.RESOLVED: frozenset({Status.CLOSED, Status.CUSTOMER_RESPONDED}),
}

# The one map from a status to the SLA clock state it holds a ticket in: ``sla`` knows no status,
# its rules (pause, resume, response, resolution, which thresholds run) read these states.
SLA_STATE: dict[Status, ClockState] = {
    Status.NEW: ClockState.RUNNING,
    Status.IN_PROCESS: ClockState.WORKING,  # moving here first is the response
    Status.WAIT_CUSTOMER: ClockState.WAIT_CUSTOMER,
    Status.WAIT_VENDOR: ClockState.WAIT_VENDOR,
    Status.RESOLVED: ClockState.RESOLVED,
    Status.CUSTOMER_RESPONDED: ClockState.RUNNING,
    Status.CLOSED: ClockState.FINAL,
    Status.CANCELLED: ClockState.FINAL,
}

_ORDER = list(Status)


class InvalidTransition(Exception):
    """A move the status machine does not allow; nothing was changed."""

    def __init__(self, current: str, requested: str, allowed: list[str]):
        self.current = current
        self.requested = requested
        self.allowed = allowed
        if allowed:
            message = (
                f"A ticket in status “{current}” cannot move to “{requested}”. "
                f"Allowed next statuses: {', '.join(allowed)}."
            )
        else:
            message = f"A ticket in status “{current}” is final and cannot move to “{requested}”."
        super().__init__(message)


def allowed_next(current: str, *, as_customer: bool = False) -> list[str]:
    """The statuses a ticket may move to next, in life-cycle order."""
    table = CUSTOMER_TRANSITIONS if as_customer else TRANSITIONS
    allowed = table.get(Status(current), frozenset())
    return [status.value for status in _ORDER if status in allowed]


def check_transition(current: str, requested: str, *, as_customer: bool = False) -> None:
    """Raise ``InvalidTransition`` unless ``current → requested`` is allowed."""
    if requested not in Status.values:
        raise InvalidTransition(current, requested, allowed_next(current, as_customer=as_customer))
    if requested not in allowed_next(current, as_customer=as_customer):
        raise InvalidTransition(current, requested, allowed_next(current, as_customer=as_customer))


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def sla_state(status: str) -> ClockState:
    """The SLA clock state of ``status``; an unknown status raises ``ValueError``."""
    return SLA_STATE[Status(status)]


# What a public reply asks for when it lands on a closed or cancelled ticket: a new ticket that refers to it.
FOLLOW_UP = "follow_up"


def reply_move(current: str, *, from_requester: bool, from_staff: bool) -> str | None:
    """What a public reply does to the ticket, whichever door it came through (e-mail, portal, page, API).

    - The requester answering a question (Wait Customer) puts the ticket back In Process: the clock runs again.
    - The requester writing to a resolved ticket says it is not fixed yet (the process's step 8):
      Customer Responded, so a technician looks again.
    - A customer writing to a closed or cancelled ticket starts a new ticket that refers to it
      (``FOLLOW_UP``): a final ticket never reopens.
    - Anything else (staff, followers on an open ticket) is a reply and moves nothing.

    Returns the status to move to, ``FOLLOW_UP``, or ``None``.
    """
    if current in FINAL_STATUSES:
        return None if from_staff else FOLLOW_UP
    if not from_requester:
        return None
    if current == Status.WAIT_CUSTOMER:
        return Status.IN_PROCESS
    if current == Status.RESOLVED:
        return Status.CUSTOMER_RESPONDED
    return None
