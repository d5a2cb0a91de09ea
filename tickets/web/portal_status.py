"""Statuses in the words a customer uses (UX §6): what is happening, never the internal state or SLA."""

from ..lifecycle import Status

CUSTOMER_WORDS: dict[str, str] = {
    Status.NEW: "Received",
    Status.IN_PROCESS: "We're working on it",
    Status.WAIT_VENDOR: "We're working on it",
    Status.CUSTOMER_RESPONDED: "We're working on it",
    Status.WAIT_CUSTOMER: "Waiting for your reply",
    Status.RESOLVED: "Fixed — please confirm",
    Status.CLOSED: "Closed",
    Status.CANCELLED: "Withdrawn",
}

# The statuses where the next move is the customer's: listed first on the portal home.
WAITING_ON_CUSTOMER = (Status.WAIT_CUSTOMER, Status.RESOLVED)

EXPLANATIONS: dict[str, str] = {
    Status.NEW: "We've got it. A technician will pick it up and contact you.",
    Status.IN_PROCESS: "A technician is on it. We'll write here when there's news.",
    Status.WAIT_VENDOR: "We're waiting on a supplier. We'll write here when we hear back.",
    Status.CUSTOMER_RESPONDED: "You told us it's still happening, so a technician is looking again.",
    Status.WAIT_CUSTOMER: "We've asked you something. Your reply below lets us carry on.",
    Status.RESOLVED: "We think it's fixed. Tell us below whether it is.",
    Status.CLOSED: "This request is finished. If the problem comes back, report it again.",
    Status.CANCELLED: "This request was withdrawn. If you still need help, report it again.",
}


def customer_status(status: str) -> str:
    return CUSTOMER_WORDS.get(status, "We're working on it")


def explanation(status: str) -> str:
    return EXPLANATIONS.get(status, "")
