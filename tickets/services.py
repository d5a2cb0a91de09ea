"""Every write to a ticket: one function per action, each in one transaction, each audited.

API views, web pages, e-mail and monitoring intake, tasks and commands call these; none of them
changes a ticket any other way.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from itsm import bulk
from sla import services as sla
from sla.calendars import ClockCache
from sla.matrix import Impact, Urgency
from tickets.notifications import services as notifications

from . import automation_plan, notify, policies
from .errors import InvalidTransition, NotAllowed, ProcessConflict, StateConflict, TicketError, VersionConflict
from .lifecycle import FINAL_STATUSES, FOLLOW_UP, Status, check_transition, reply_move, sla_state
from .models import (
    Attachment,
    AuditEvent,
    Channel,
    Classification,
    ConversationEntry,
    Group,
    Service,
    Source,
    Ticket,
    User,
    Visibility,
)

# Fields whose change moves the SLA: the matrix cell, or the calendar the clock runs on.
_REPRIORITISING_FIELDS = {"impact", "urgency", "service"}
# Tickets that carry an outage process record (``outages.Outage``): only that process changes what it owns.
PROCESS_CLASSIFICATIONS = frozenset({Classification.OUTAGE, Classification.PROBLEM})


def _raw(value: object) -> str:
    if value is None:
        return ""
    return str(getattr(value, "pk", value))


def _event(ticket: Ticket, *, actor: User | None, channel: str, action: str, now: datetime,
           field: str = "", old: object = None, new: object = None, internal: bool = False) -> AuditEvent:
    return AuditEvent(
        ticket=ticket, actor=actor, channel=channel, action=action, field=field,
        old_value=_raw(old), new_value=_raw(new), internal=internal, created_at=now,
    )


def _lock(ticket_id: int, actor: User | None) -> Ticket:
    """The ticket row, locked for this transaction; a customer asking for another's ticket gets 404."""
    queryset = Ticket.objects.select_for_update(of=("self",))
    if actor is not None:
        queryset = policies.visible_tickets(actor, queryset)
    return queryset.get(pk=ticket_id)


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ticket.version:
        raise VersionConflict(current_version=ticket.version, sent_version=expected_version)


def _validate_links(ticket: Ticket) -> None:
    errors: dict[str, list[str]] = {}
    assignee, group, parent = ticket.assignee, ticket.group, ticket.parent
    if assignee is not None:
        if not policies.may_be_assigned(assignee):
            errors["assignee"] = ["Tickets can only be assigned to active ITS staff."]
        elif ticket.classification != Classification.INCIDENT and not policies.may_be_incident_manager(assignee):
            errors["assignee"] = [f"{assignee} is not an incident manager; outages and problems are assigned to "
                                  "one."]
        elif (
            ticket.classification == Classification.INCIDENT
            and group is not None
            and not group.members.filter(pk=assignee.pk).exists()
        ):
            errors["assignee"] = [f"{assignee} is not a member of the group “{group}”."]
    if parent is not None:
        if parent.pk is not None and parent.pk == ticket.pk:
            errors["parent"] = ["A ticket cannot be its own parent."]
        elif parent.classification not in (Classification.OUTAGE, Classification.PROBLEM):
            errors["parent"] = ["A parent must be an outage or a problem ticket."]
        elif ticket.classification != Classification.INCIDENT:
            errors["parent"] = ["Only incident tickets can be children of an outage or problem."]
        elif parent.status in FINAL_STATUSES:
            errors["parent"] = ["That outage or problem is already closed."]
    if errors:
        raise ValidationError(errors)


def _clean_own_fields(ticket: Ticket) -> None:
    """Choices and lengths of the ticket's own columns; links are checked by ``_validate_links``."""
    ticket.full_clean(exclude=["requester", "service", "group", "assignee", "parent", "sla_pauses", "priority",
                               "impact_category", "sla_clock", "sla_process", "sla_small_reason"])


def _refuse_staff_fields(actor: User, supplied: set[str], allowed: frozenset[str]) -> None:
    refused = sorted(supplied - allowed)
    if refused:
        raise NotAllowed(f"Only ITS staff may set: {', '.join(refused)}.")


@transaction.atomic
def ticket_create(
    *,
    actor: User | None,
    title: str,
    impact: str,
    urgency: str,
    description: str = "",
    service: Service | None = None,
    group: Group | None = None,
    assignee: User | None = None,
    parent: Ticket | None = None,
    requester: User | None = None,
    classification: str = Classification.INCIDENT,
    source: str | None = None,
    channel: str = Channel.API,
    supplied: set[str] | None = None,
) -> Ticket:
    """Log a new ticket with its SLA targets and first audit event, in one transaction.

    ``supplied`` names the fields the caller actually sent: a customer who sends a staff-only
    field is refused, never silently ignored. ``actor=None`` is the system itself (monitoring and
    e-mail intake), which has decided every field already and names the requester.

    An outage or problem, or a child of one, is opened by the outage process (``tickets.process``):
    asked for here, the answer is a 409 naming its endpoint.
    """
    if classification in PROCESS_CLASSIFICATIONS and (actor is None or policies.is_staff(actor)):
        raise ProcessConflict("Outages and problems are raised by the outage process, which keeps their record.",
                              endpoint="POST /api/v1/outages/ (or POST /api/v1/outages/promote/ for an incident)")
    if parent is not None and parent.classification in PROCESS_CLASSIFICATIONS \
            and (actor is None or policies.is_staff(actor)):
        raise ProcessConflict(f"A ticket joins #{parent.pk} through the outage process, which tells its requester.",
                              endpoint=f"POST /api/v1/outages/{parent.pk}/children/")
    return _create(actor=actor, title=title, impact=impact, urgency=urgency, description=description,
                   service=service, group=group, assignee=assignee, parent=parent, requester=requester,
                   classification=classification, source=source, channel=channel, supplied=supplied)


def _create(*, actor: User | None, title: str, impact: str, urgency: str, description: str, service: Service | None,
            group: Group | None, assignee: User | None, parent: Ticket | None, requester: User | None,
            classification: str, source: str | None, channel: str, supplied: set[str] | None) -> Ticket:
    if actor is not None and not policies.is_staff(actor):
        _refuse_staff_fields(actor, set(supplied or ()), policies.creatable_fields(actor))
        requester, group, assignee, parent = actor, None, None, None
        classification = Classification.INCIDENT
        source = source if source in (Source.PORTAL, Source.EMAIL) else Source.PORTAL
    now = timezone.now()
    ticket = Ticket(
        title=(title or "").strip(),
        description=description or "",
        impact=impact,
        urgency=urgency,
        service=service,
        group=group or (service.default_group if service is not None else None),
        assignee=assignee,
        parent=parent,
        requester=requester or actor,
        classification=classification,
        source=source or Source.STAFF,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    _clean_own_fields(ticket)
    _validate_links(ticket)
    sla.sla_start(ticket, now=now)
    ticket.save()
    AuditEvent.objects.create(
        ticket=ticket, actor=actor, channel=channel, action=AuditEvent.Action.CREATED,
        field="status", new_value=ticket.status, created_at=now,
    )
    notify.ticket_created(ticket, actor=actor)
    return ticket


def _open_children(ticket: Ticket) -> str:
    """The ticket's children that are not closed or cancelled, as "#12, #15" (empty when none)."""
    pks = ticket.children.exclude(status__in=FINAL_STATUSES).order_by("pk").values_list("pk", flat=True)
    return ", ".join(f"#{pk}" for pk in pks)


def _refuse_process_transition(ticket: Ticket, to_status: str) -> None:
    """An outage or problem ends through the outage process: its all-clear resolves the children and tells
    everyone who was told; closing checks the children and a problem's permanent fix."""
    kind = ticket.get_classification_display().lower()
    if to_status == Status.RESOLVED:
        raise ProcessConflict(f"#{ticket.pk} is an {kind}: it is resolved with its all-clear, which resolves its "
                              "open children and tells everyone who was told.",
                              endpoint=f"POST /api/v1/outages/{ticket.pk}/resolve/")
    if to_status == Status.CLOSED:
        raise ProcessConflict(f"#{ticket.pk} is an {kind}: it closes through the outage process.",
                              endpoint=f"POST /api/v1/outages/{ticket.pk}/close/")
    if to_status == Status.CANCELLED and (still_open := _open_children(ticket)):
        raise ProcessConflict(f"#{ticket.pk} still has open child tickets ({still_open}); unlink them before "
                              "cancelling it.", endpoint=f"POST /api/v1/outages/{ticket.pk}/children/unlink/")


def _apply_transition(ticket: Ticket, *, actor: User | None, to_status: str, channel: str,
                      now: datetime, events: list[AuditEvent], process: bool = False, note: str = "") -> set[str]:
    """Move the locked ``ticket`` to ``to_status`` in memory: SLA, automation timer, audit event, mail.

    ``note`` is a public note that accompanies the move (the lifecycle automation's): the requester's
    mail about the move carries it, so the note and the move are one message.
    """
    if (refusal := policies.transition_refusal(actor, ticket, to_status)) is not None:
        raise NotAllowed(refusal)
    check_transition(ticket.status, to_status, as_customer=policies.moves_as_customer(actor))
    if ticket.classification in PROCESS_CLASSIFICATIONS and not process:
        _refuse_process_transition(ticket, to_status)
    if to_status == Status.CLOSED and (still_open := _open_children(ticket)):
        raise StateConflict(f"#{ticket.pk} can close only when all its child tickets are closed; "
                            f"still open: {still_open}.")
    old = ticket.status
    ticket.status = to_status
    changed = {"status"}
    if to_status == Status.CLOSED:
        ticket.closed_at = now
        changed.add("closed_at")
    clocks = ClockCache()  # one calendar load for the SLA and the automation's timer
    changed.update(sla.sla_status_changed(ticket, old=sla_state(old), new=sla_state(to_status), now=now,
                                          clocks=clocks))
    changed.update(automation_plan.status_entered(ticket, now=now, clocks=clocks))
    events.append(_event(ticket, actor=actor, channel=channel, action=AuditEvent.Action.STATUS, now=now,
                         field="status", old=old, new=to_status))
    notify.status_changed(ticket, old=old, new=to_status, actor=actor, note=note)
    return changed


def _save(ticket: Ticket, changed: set[str], now: datetime, events: list[AuditEvent]) -> Ticket:
    ticket.updated_at = now
    ticket.version += 1
    ticket.save(update_fields=sorted(changed | {"updated_at", "version"}))
    AuditEvent.objects.bulk_create(events)
    return ticket


@transaction.atomic
def ticket_transition(
    *,
    ticket_id: int,
    actor: User | None,
    to_status: str,
    channel: str = Channel.API,
    expected_version: int | None = None,
) -> Ticket:
    """Move a ticket through the status machine under a row lock; refused moves change nothing.

    Resolving or closing an outage or problem is the outage process's (409 naming its endpoint).
    """
    return _transition(ticket_id=ticket_id, actor=actor, to_status=to_status, channel=channel,
                       expected_version=expected_version, process=False)


def _transition(*, ticket_id: int, actor: User | None, to_status: str, channel: str,
                expected_version: int | None, process: bool) -> Ticket:
    ticket = _lock(ticket_id, actor)
    _check_version(ticket, expected_version)
    now = timezone.now()
    events: list[AuditEvent] = []
    changed = _apply_transition(ticket, actor=actor, to_status=to_status, channel=channel, now=now, events=events,
                                process=process)
    return _save(ticket, changed, now, events)


@transaction.atomic
def ticket_update(
    *,
    ticket_id: int,
    actor: User,
    changes: Mapping[str, Any],
    channel: str = Channel.API,
    expected_version: int | None = None,
) -> Ticket:
    """Change fields of a ticket (and its status, through the machine) under a row lock.

    Each changed field is one audit event. Impact, urgency or service changes recompute the SLA.
    Moving a ticket to another group unassigns a technician who is not a member of it.

    What belongs to the outage process (classification, joining or leaving an outage, an outage's
    incident manager, resolving or closing it) is refused with a 409 naming the outage endpoint.
    """
    return _update(ticket_id=ticket_id, actor=actor, changes=changes, channel=channel,
                   expected_version=expected_version, process=False)


def _refuse_process_changes(ticket: Ticket, changes: Mapping[str, Any]) -> None:
    """The fields only the outage process changes, each with the door that changes them properly."""
    if "classification" in changes and changes["classification"] != ticket.classification:
        if ticket.classification not in PROCESS_CLASSIFICATIONS:
            raise ProcessConflict(f"#{ticket.pk} becomes an outage or problem by promotion, which opens the process "
                                  "record and makes it the first child.", endpoint="POST /api/v1/outages/promote/")
        raise ProcessConflict(f"#{ticket.pk} is reclassified by the outage process (outage ⇄ problem); it cannot "
                              "become an incident again.", endpoint=f"POST /api/v1/outages/{ticket.pk}/reclassify/")
    if "parent" in changes and _raw(changes["parent"]) != _raw(ticket.parent_id):
        parent = changes["parent"]
        if parent is not None and parent.classification in PROCESS_CLASSIFICATIONS:
            raise ProcessConflict(f"A ticket joins #{parent.pk} through the outage process, which tells its "
                                  "requester.", endpoint=f"POST /api/v1/outages/{parent.pk}/children/")
        if parent is None and ticket.parent_id is not None:
            raise ProcessConflict(f"#{ticket.pk} leaves #{ticket.parent_id} through the outage process.",
                                  endpoint=f"POST /api/v1/outages/{ticket.parent_id}/children/unlink/")
    if ticket.classification in PROCESS_CLASSIFICATIONS and "assignee" in changes \
            and _raw(changes["assignee"]) != _raw(ticket.assignee_id):
        raise ProcessConflict(f"#{ticket.pk}'s assignee is its incident manager, whom the service owner names.",
                              endpoint=f"POST /api/v1/outages/{ticket.pk}/incident-manager/")


def _update(*, ticket_id: int, actor: User | None, changes: Mapping[str, Any], channel: str,
            expected_version: int | None, process: bool) -> Ticket:
    ticket = _lock(ticket_id, actor)
    _check_version(ticket, expected_version)
    if actor is not None:
        _refuse_staff_fields(actor, set(changes), policies.editable_fields(actor))
    if not process:
        _refuse_process_changes(ticket, changes)

    now = timezone.now()
    events: list[AuditEvent] = []
    changed: set[str] = set()
    old_assignee_id, old_group_id = ticket.assignee_id, ticket.group_id
    for field, value in changes.items():
        if field == "status":
            continue
        old = getattr(ticket, field)
        if _raw(old) == _raw(value):
            continue
        setattr(ticket, field, value)
        changed.add(field)
        events.append(_event(ticket, actor=actor, channel=channel, action=AuditEvent.Action.CHANGED, now=now,
                             field=field, old=old, new=value))
    if "group" in changed and ticket.assignee is not None and ticket.group is not None \
            and ticket.classification == Classification.INCIDENT \
            and "assignee" not in changed and not ticket.group.members.filter(pk=ticket.assignee.pk).exists():
        events.append(_event(ticket, actor=actor, channel=channel, action=AuditEvent.Action.CHANGED, now=now,
                             field="assignee", old=ticket.assignee, new=None))
        ticket.assignee = None
        changed.add("assignee")
    if changed:
        _clean_own_fields(ticket)
        _validate_links(ticket)
    if changed & _REPRIORITISING_FIELDS:
        old_priority = ticket.priority
        changed.update(sla.sla_reprioritise(ticket, now=now))
        if ticket.priority != old_priority:
            events.append(_event(ticket, actor=actor, channel=channel, action=AuditEvent.Action.CHANGED, now=now,
                                 field="priority", old=old_priority, new=ticket.priority))
    if changed & {"assignee", "group"}:
        notify.assignment_changed(ticket, actor=actor, old_assignee_id=old_assignee_id, old_group_id=old_group_id)
    if "status" in changes and changes["status"] != ticket.status:
        changed |= _apply_transition(ticket, actor=actor, to_status=changes["status"], channel=channel,
                                     now=now, events=events, process=process)
    if not changed:
        return ticket
    return _save(ticket, changed, now, events)


@transaction.atomic
def entry_add(
    *,
    ticket_id: int,
    actor: User,
    body: str,
    internal: bool = False,
    channel: str = Channel.API,
    expected_version: int | None = None,
) -> ConversationEntry:
    """Post a public reply or an internal note.

    A public reply moves the ticket as ``lifecycle.reply_move`` says, the same on every channel: the
    requester answering a question puts it back in process, the requester writing to a resolved ticket
    says it is not fixed (Customer Responded), and a customer writing to a closed or cancelled ticket
    starts a follow-up ticket that refers to it; the entry returned is then the new ticket's first reply.
    ``expected_version`` refuses the post when the ticket changed since the writer last saw it.
    """
    if internal and not policies.may_write_internal(actor):
        raise NotAllowed("Only ITS staff can write internal notes.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["A reply cannot be empty."]})
    ticket = _lock(ticket_id, actor)
    _check_version(ticket, expected_version)
    move = None if internal else reply_move(ticket.status, from_requester=actor.pk == ticket.requester_id,
                                            from_staff=policies.is_staff(actor))
    if move == FOLLOW_UP:
        follow_up = ticket_follow_up(follows=ticket, requester=actor, channel=channel)
        return entry_add(ticket_id=follow_up.pk, actor=actor, body=body, channel=channel)
    if not policies.may_reply(actor, ticket):
        raise NotAllowed("This ticket is closed; please report a new problem instead.")
    now = timezone.now()
    entry = ConversationEntry.objects.create(
        ticket=ticket, author=actor, body=body, channel=channel, created_at=now,
        visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
    )
    action = AuditEvent.Action.NOTED if internal else AuditEvent.Action.REPLIED
    events = [_event(ticket, actor=actor, channel=channel, action=action, now=now, new=entry.pk, internal=internal)]
    changed: set[str] = set()
    if not internal:
        notify.public_reply(ticket, author=actor, body=body)
    if move is not None:
        # The system moves it on the customer's behalf: a customer may not choose these statuses themselves.
        changed = _apply_transition(ticket, actor=None, to_status=move, channel=channel, now=now, events=events)
    _save(ticket, changed, now, events)
    return entry


def ticket_follow_up(*, follows: Ticket, requester: User, channel: str, title: str = "",
                     description: str = "") -> Ticket:
    """A new ticket for someone who wrote to a closed or cancelled one; the old ticket's timeline points to it.

    It keeps the old ticket's service (so it reaches the same queue) and starts at the default priority,
    as any new report does; triage decides the rest.
    """
    intro = f"Follow-up to #{follows.pk} ({follows.title}), which is {follows.get_status_display().lower()}."
    ticket = ticket_create(
        actor=None, requester=requester, title=(title or f"Follow-up to #{follows.pk}: {follows.title}")[:200],
        description=f"{intro}\n\n{description}".strip(), impact=Impact.INDIVIDUAL, urgency=Urgency.IMPAIRED,
        service=follows.service, source=Source.EMAIL if channel == Channel.EMAIL else Source.PORTAL,
        channel=channel,
    )
    AuditEvent.objects.create(
        ticket=follows, actor=requester, channel=channel, action=AuditEvent.Action.CHANGED, field="follow_up",
        new_value=str(ticket.pk), created_at=timezone.now(),
    )
    return ticket


@transaction.atomic
def attachment_add(
    *,
    ticket_id: int,
    actor: User,
    uploaded: "UploadedFile[bytes]",  # generic in the stubs only
    internal: bool = False,
    channel: str = Channel.API,
) -> Attachment:
    """Attach a file to a ticket after checking its size and type."""
    from .attachments import validate_upload

    if internal and not policies.may_write_internal(actor):
        raise NotAllowed("Only ITS staff can add internal attachments.")
    name, content_type, size = validate_upload(uploaded)
    ticket = _lock(ticket_id, actor)
    if not policies.may_reply(actor, ticket):
        raise NotAllowed("This ticket is closed; please report a new problem instead.")
    now = timezone.now()
    attachment = Attachment(
        ticket=ticket, original_name=name, content_type=content_type, size=size,
        uploaded_by=actor, created_at=now, visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
    )
    attachment.file.save(name, uploaded, save=False)
    attachment.save()
    events = [_event(ticket, actor=actor, channel=channel, action=AuditEvent.Action.ATTACHED, now=now,
                     field="attachment", new=name, internal=internal)]
    _save(ticket, set(), now, events)
    return attachment


SLA_THRESHOLD_LABELS = {
    "respond_warned": "75% of the respond target has passed",
    "respond_breached": "Respond target breached",
    "resolve_warned": "75% of the resolve target has passed",
    "resolve_breached": "Resolve target breached",
}


@transaction.atomic
def ticket_sla_reevaluate(*, ticket_id: int, now: datetime) -> bool:
    """The service's operating hours began: apply the ticket's real impact from the opening."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("service").filter(pk=ticket_id).first()
    if ticket is None or ticket.sla_reevaluate_at is None or ticket.sla_reevaluate_at > now:
        return False
    if ticket.status in FINAL_STATUSES:
        Ticket.objects.filter(pk=ticket.pk).update(sla_reevaluate_at=None)
        return False
    old_priority = ticket.priority
    started_at = ticket.sla_reevaluate_at  # where the grace puts sla_started_at: the hours' opening
    changed = set(sla.sla_end_operating_hours_grace(ticket, now=now))
    events = [_event(ticket, actor=None, channel=Channel.TASK, action=AuditEvent.Action.SLA, now=now,
                     field="operating_hours_began", new=started_at.isoformat())]
    if ticket.priority != old_priority:
        events.append(_event(ticket, actor=None, channel=Channel.TASK, action=AuditEvent.Action.CHANGED, now=now,
                             field="priority", old=old_priority, new=ticket.priority))
    _save(ticket, changed, now, events)
    return True


# --- Bulk actions for dispatchers ------------------------------------------------------------

BULK_MAX_TICKETS = 100
# The ticket fields a bulk action may change: routing only. Status, priority inputs and the rest are
# decided ticket by ticket.
BULK_FIELDS = frozenset({"assignee", "group"})


class BulkUpdateFailed(TicketError):
    """At least one ticket of a bulk action was refused; the whole batch was rolled back.

    ``failures`` maps each failing ticket id to ``(kind, message)``; ``kind`` is ``"not_allowed"``,
    ``"conflict"`` or ``"invalid"``, and ``kind`` is the most severe of them (in that order).
    """

    SEVERITY = ("not_allowed", "conflict", "invalid")

    def __init__(self, failures: dict[int, tuple[str, str]], total: int):
        self.failures = dict(sorted(failures.items()))
        self.total = total
        self.kind = min((kind for kind, _ in self.failures.values()), key=self.SEVERITY.index)
        super().__init__(
            f"{len(self.failures)} of {total} tickets cannot be changed; no ticket was changed."
        )


def _failure_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return " ".join(
                message if field in ("__all__", "status") else f"{field}: {message}"
                for field, messages in error.message_dict.items() for message in messages
            )
        return " ".join(error.messages)
    return str(error)


@transaction.atomic
def tickets_bulk_update(
    *,
    actor: User,
    ticket_ids: list[int],
    changes: Mapping[str, Any],
    channel: str = Channel.API,
) -> tuple[list[Ticket], list[Ticket]]:
    """Route many tickets at once (assignee and/or group), all or nothing.

    Every ticket goes through ``ticket_update``, so each gets its own audit events, version bump,
    notifications and assignment validation (an assignee must be a member of the ticket's group;
    moving an incident to a group its assignee is not a member of unassigns it). The rows are
    locked in id order, so two concurrent bulk actions cannot deadlock each other.

    Refusals are collected for every ticket before giving up: ``BulkUpdateFailed`` names each failing
    ticket and nothing is changed. Returns ``(updated, unchanged)``: the tickets whose version moved,
    and those already in the requested state.
    """
    if not policies.may_bulk_route(actor):
        raise NotAllowed("Only dispatchers and administrators can assign or move tickets in bulk.")
    if not changes:
        raise ValidationError({"non_field_errors": ["Nothing to change."]})
    if refused := sorted(set(changes) - BULK_FIELDS):
        raise ValidationError({field: ["A bulk action cannot change this field."] for field in refused})
    ids = list(dict.fromkeys(int(pk) for pk in ticket_ids))
    if not 1 <= len(ids) <= BULK_MAX_TICKETS:
        raise ValidationError({"tickets": [f"Send between 1 and {BULK_MAX_TICKETS} ticket ids."]})

    tickets = list(Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    if unknown := sorted(set(ids) - {ticket.pk for ticket in tickets}):
        raise ValidationError({"tickets": [f"Unknown ticket ids: {', '.join(map(str, unknown))}."]})

    failures: dict[int, tuple[str, str]] = {}
    target_group = changes.get("group")
    dispatched = policies.dispatched_group_ids(actor)
    for ticket in tickets:
        if not policies.may_dispatch(actor, ticket, target_group, dispatched=dispatched):
            failures[ticket.pk] = ("not_allowed", "You do not dispatch this ticket's group.")
        elif ticket.status in FINAL_STATUSES:
            failures[ticket.pk] = ("conflict", f"The ticket is {ticket.get_status_display().lower()}; "
                                               "a final ticket cannot be reassigned.")
    if any(kind == "not_allowed" for kind, _ in failures.values()):
        # Refuse before writing anything: the actor learns which tickets are not theirs to route.
        raise BulkUpdateFailed(failures, len(tickets))

    updated: list[Ticket] = []
    unchanged: list[Ticket] = []
    for ticket in tickets:
        if ticket.pk in failures:
            continue
        try:
            # ticket_update runs in a savepoint: a refused ticket leaves the others to be checked too.
            result = ticket_update(ticket_id=ticket.pk, actor=actor, changes=dict(changes), channel=channel)
        except NotAllowed as error:
            failures[ticket.pk] = ("not_allowed", str(error))
        except (VersionConflict, InvalidTransition, StateConflict) as error:
            failures[ticket.pk] = ("conflict", str(error))
        except ValidationError as error:
            failures[ticket.pk] = ("invalid", _failure_message(error))
        else:
            (updated if result.version != ticket.version else unchanged).append(result)
    if failures:
        raise BulkUpdateFailed(failures, len(tickets))
    return updated, unchanged


# --- Resolving many tickets at once (an outage's children) ----------------------------------

# The columns a status change writes, as ``ticket_transition`` saves them (``_save``).
_STATUS_SAVE_FIELDS = sorted({"status", *sla.SLA_FIELDS, *automation_plan.AUTOMATION_FIELDS, "updated_at",
                              "version"})


@transaction.atomic
def tickets_resolve_many(*, actor: User | None, queryset: QuerySet[Ticket], channel: str = Channel.API) -> list[Ticket]:
    """Resolve every ticket of ``queryset`` with a fixed number of queries, whatever their number.

    Each ticket gets exactly what ``ticket_transition(to_status=RESOLVED)`` gives it: the status
    machine's check, the SLA state (``sla_status_changed`` on the instance), the automation's timer
    (``automation_plan.status_entered``: the children close by themselves later), ``updated_at``,
    ``version`` + 1, one STATUS audit event and the requester's "resolved" notification; but the
    rows are locked in one query (id order, like ``tickets_bulk_update``), written in one UPDATE
    (PostgreSQL; batched ``bulk_update`` elsewhere) and the events and notifications inserted with
    ``bulk_create``. A ticket the machine refuses raises ``InvalidTransition`` and changes nothing.
    """
    locked = queryset.select_for_update(of=("self",)).select_related("requester", "group", "service")
    if actor is not None:
        locked = policies.visible_tickets(actor, locked)
    rows = list(locked.order_by("pk"))
    if not rows:
        return []
    now = timezone.now()
    clocks = ClockCache()  # one calendar load for all of them, not one per ticket
    events: list[AuditEvent] = []
    messages = []
    for ticket in rows:
        check_transition(ticket.status, Status.RESOLVED, as_customer=False)
        old = ticket.status
        ticket.status = Status.RESOLVED
        sla.sla_status_changed(ticket, old=sla_state(old), new=sla_state(Status.RESOLVED), now=now, clocks=clocks)
        automation_plan.status_entered(ticket, now=now, clocks=clocks)
        ticket.updated_at = now
        ticket.version += 1
        events.append(_event(ticket, actor=actor, channel=channel, action=AuditEvent.Action.STATUS, now=now,
                             field="status", old=old, new=Status.RESOLVED))
        messages.append(notify.resolved(ticket, actor=actor, now=now))
    bulk.update_many(rows, _STATUS_SAVE_FIELDS)
    bulk.insert_many(events)
    notifications.queue(messages)
    return rows


def ticket_record_sla_thresholds(*, marks: list[tuple[Ticket, str]], now: datetime) -> list[AuditEvent]:
    """Put SLA warnings and breaches, each claimed once by the sweep, on the timelines and in the outbox.

    One batch, two INSERTs. ``marks`` are (ticket, threshold) pairs the sweep has claimed;
    ``ticket.group.dispatchers`` should be prefetched, or each unassigned ticket asks for its group's dispatchers.
    """
    messages, events = [], []
    queued_at = timezone.now()  # the outbox's clock, not the sweep's (a test may sweep "tomorrow")
    for ticket, threshold in marks:
        messages.append(notify.sla_threshold(ticket, threshold=threshold, now=queued_at))
        events.append(AuditEvent(
            ticket=ticket, actor=None, channel=Channel.TASK, action=AuditEvent.Action.SLA, field=threshold,
            new_value=SLA_THRESHOLD_LABELS[threshold], internal=True, created_at=now,
        ))
    notifications.queue(messages)
    bulk.insert_many(events)
    return events
