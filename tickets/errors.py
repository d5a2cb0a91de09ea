"""Domain errors raised by ticket services; the API error handler maps each to one HTTP status."""

import re

from .lifecycle import InvalidTransition

__all__ = ["InvalidTransition", "NotAllowed", "ProcessConflict", "StateConflict", "TicketError", "VersionConflict"]


class TicketError(Exception):
    pass


class NotAllowed(TicketError):
    """The actor's role does not permit this action or field (HTTP 403)."""


class VersionConflict(TicketError):
    """The client changed a ticket from a stale copy (HTTP 409/412); nothing was written."""

    # Set by the API when the version came in an If-Match header, which is answered 412 rather than 409.
    from_if_match: bool = False

    def __init__(self, *, current_version: int, sent_version: int):
        self.current_version = current_version
        self.sent_version = sent_version
        super().__init__(
            f"The ticket was changed by someone else (version {current_version}; you sent {sent_version}). "
            "Reload it and apply your change again."
        )


class StateConflict(TicketError):
    """The action is allowed, but not in the current state (open children, a missing fix): HTTP 409."""


class ProcessConflict(StateConflict):
    """The change belongs to the outage process, which has its own door (HTTP 409 naming it).

    ``endpoint`` is the API path that does it properly (with the all-clear, the process record, the
    children's notices), so a client can follow it rather than guess; ``console`` is the page that does
    it, when the change is about an existing outage.
    """

    def __init__(self, reason: str, *, endpoint: str):
        self.reason = reason
        self.endpoint = endpoint
        outage = re.search(r"/api/v1/outages/(\d+)/", endpoint)
        self.console = f"/outages/{outage.group(1)}/" if outage else None
        super().__init__(f"{reason} Use {endpoint}.")
