"""The ticket changes that belong to the outage process: its doors into the ticket services.

``outages.services`` calls these after checking its own rules (who runs the outage, the all-clear, a
problem's permanent fix) and does itself what follows from them (the process record, the children's
"known issue" notices, the outage timeline). The generic services (``ticket_create``, ``ticket_update``,
``ticket_transition``) refuse the same changes with a 409 naming the outage endpoint, so these are the
only way to make them, and a reader of either side sees every consequence.
"""

from __future__ import annotations

from django.db import transaction

from .models import Channel, Classification, Service, Source, Ticket, User
from .services import PROCESS_CLASSIFICATIONS, _create, _transition, _update


@transaction.atomic
def process_ticket_create(
    *,
    actor: User | None,
    title: str,
    impact: str,
    urgency: str,
    description: str = "",
    service: Service | None = None,
    classification: str = Classification.INCIDENT,
    parent: Ticket | None = None,
    requester: User | None = None,
    source: str = Source.STAFF,
    channel: str = Channel.API,
) -> Ticket:
    """An outage or problem ticket (for its process record), or an incident born as a child of one."""
    return _create(actor=actor, title=title, impact=impact, urgency=urgency, description=description,
                   service=service, group=None, assignee=None, parent=parent, requester=requester,
                   classification=classification, source=source, channel=channel, supplied=None)


@transaction.atomic
def process_ticket_reclassify(*, actor: User, ticket_id: int, classification: str,
                              channel: str = Channel.API) -> Ticket:
    """Outage ⇄ problem, or an incident becoming one when it is promoted."""
    if classification not in PROCESS_CLASSIFICATIONS:
        raise ValueError(f"The outage process reclassifies to an outage or a problem, not {classification!r}.")
    return _update(ticket_id=ticket_id, actor=actor, changes={"classification": classification}, channel=channel,
                   expected_version=None, process=True)


@transaction.atomic
def process_ticket_assign(*, actor: User, ticket_id: int, assignee: User, channel: str = Channel.API) -> Ticket:
    """The outage ticket's assignee is its incident manager."""
    return _update(ticket_id=ticket_id, actor=actor, changes={"assignee": assignee}, channel=channel,
                   expected_version=None, process=True)


@transaction.atomic
def process_ticket_link(*, actor: User | None, ticket_id: int, parent: Ticket | None,
                        channel: str = Channel.API) -> Ticket:
    """Make ``ticket_id`` a child of ``parent`` (an outage or problem), or no one's child with ``None``."""
    return _update(ticket_id=ticket_id, actor=actor, changes={"parent": parent}, channel=channel,
                   expected_version=None, process=True)


@transaction.atomic
def process_ticket_transition(*, actor: User | None, ticket_id: int, to_status: str,
                              channel: str = Channel.API) -> Ticket:
    """Resolve (after the all-clear) or close (children closed, a problem's fix recorded) an outage ticket."""
    return _transition(ticket_id=ticket_id, actor=actor, to_status=to_status, channel=channel,
                       expected_version=None, process=True)
