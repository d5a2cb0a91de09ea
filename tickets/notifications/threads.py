"""Threading: every message about a ticket answers the ticket's root Message-ID, and replies come back
to ``servicedesk+<ticket id>@…``, so mail clients fold them and intake finds the ticket again."""

import uuid

from django.conf import settings


def domain() -> str:
    """The domain our Message-IDs are minted under: the reply address's."""
    return settings.TICKET_REPLY_ADDRESS.rpartition("@")[2] or "localhost"


def thread_id(ticket_id: int) -> str:
    """The Message-ID every message about the ticket refers to, so mail clients thread them."""
    return f"<ticket-{ticket_id}@{domain()}>"


def message_id(ticket_id: int) -> str:
    """A fresh Message-ID for a later message in the ticket's thread."""
    return f"<ticket-{ticket_id}.{uuid.uuid4().hex}@{domain()}>"


def reply_address(ticket_id: int) -> str:
    """Where a reply goes: the service desk's address, plus-addressed with the ticket."""
    local, _, at = settings.TICKET_REPLY_ADDRESS.partition("@")
    return f"{local}+{ticket_id}@{at}"
