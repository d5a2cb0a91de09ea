"""The outage and problem process, one function per step, each in one transaction and on the timeline.

Ticket changes (classification, assignee, parent links, resolving and closing) go through the
ticket services' process doors (``tickets.process``), so they keep their audit trail, SLA and
notifications; the generic ticket services refuse them, so this module is the only way to make them.
What only this process knows (incident manager, responders, communication plan, updates and
approvals, workaround, all-clear) is kept in ``Outage`` and ``Update``. Messages go out through
``outages.notify`` and the outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from tickets import policies
from tickets import process as ticket_process
from tickets import services as tickets
from tickets.errors import NotAllowed, StateConflict
from tickets.lifecycle import FINAL_STATUSES, OPEN_STATUSES, Status
from tickets.models import Channel, Classification, Service, Source, Ticket, User

from . import notify
from .models import Audience, Outage, Update
from .timeline import record

OUTAGE_CLASSES = (Classification.OUTAGE, Classification.PROBLEM)
MAX_CHILDREN_PER_CALL = 200
# The bounds of a communication plan's cadence and of a stated next-update time, in minutes.
MIN_NEXT_UPDATE, MAX_NEXT_UPDATE = 5, 7 * 24 * 60


class UpdateStatus(models.TextChoices):
    """Where the work stands, said first in an update (incident.io's and Statuspage's status words)."""

    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"


def update_text(text: str, status: str = "") -> str:
    """The words an update sends: the status word first when one is given ("Identified: …")."""
    text = (text or "").strip()
    if status and text:
        return f"{UpdateStatus(status).label}: {text}"
    return text


def _lock(outage_id: int) -> Outage:
    return Outage.objects.select_for_update(of=("self",)).select_related("ticket", "ticket__service").get(
        pk=outage_id)


def _require_staff(actor: User) -> None:
    if not policies.is_staff(actor):
        raise NotAllowed("Only ITS staff take part in outage management.")


def _require_runner(actor: User, outage: Outage) -> None:
    if not policies.may_run_outage(actor, outage):
        raise NotAllowed("Only the incident manager, the service owner or an administrator can do this.")


def _require_open(outage: Outage) -> None:
    if outage.ticket.status in FINAL_STATUSES:
        raise NotAllowed(f"#{outage.ticket_id} is {outage.ticket.status}.")


def _take_up(outage: Outage, *, actor: User, channel: str = Channel.API) -> None:
    """An outage someone is running is In Process: naming its incident manager, or its first update, moves a
    New one there (the response, for its SLA). ``outage.ticket`` is then the moved ticket, so the mail this
    step sends shows the status it now has."""
    if outage.ticket.status == Status.NEW:
        outage.ticket = ticket_process.process_ticket_transition(actor=actor, ticket_id=outage.ticket_id,
                                                                 to_status=Status.IN_PROCESS, channel=channel)


@transaction.atomic
def outage_raise(*, actor: User, title: str, impact: str, urgency: str, description: str = "",
                 service: Service | None = None, classification: str = Classification.OUTAGE,
                 incident_manager: User | None = None) -> Outage:
    """Open an outage or problem ticket directly, with its process record."""
    _require_staff(actor)
    if classification not in OUTAGE_CLASSES:
        raise ValidationError({"classification": ["Raise an outage or a problem."]})
    ticket = ticket_process.process_ticket_create(actor=actor, title=title, description=description, impact=impact,
                                                  urgency=urgency, service=service, classification=classification,
                                                  source=Source.STAFF)
    outage = Outage.objects.create(ticket=ticket, created_at=timezone.now(), audiences=[Audience.TICKET])
    record(ticket, actor=actor, step="raised", text=f"{ticket.get_classification_display()} raised.")
    if incident_manager is not None:
        outage = incident_manager_set(actor=actor, outage_id=outage.pk, user=incident_manager)
    return outage


@transaction.atomic
def incident_promote(*, actor: User, ticket_id: int, classification: str = Classification.OUTAGE,
                     title: str = "") -> Outage:
    """Raise an outage from an incident that turns out to affect many; the incident is its first child."""
    _require_staff(actor)
    incident = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)
    if incident.classification != Classification.INCIDENT:
        raise ValidationError({"ticket": ["Only an incident can be promoted; this one is already an outage."]})
    if incident.parent_id is not None:
        raise ValidationError({"ticket": [f"This incident is already a child of #{incident.parent_id}."]})
    outage = outage_raise(actor=actor, title=title or incident.title, description=incident.description,
                          impact=incident.impact, urgency=incident.urgency, service=incident.service,
                          classification=classification)
    record(outage.ticket, actor=actor, step="promoted", text=f"Raised from incident #{incident.pk}.")
    children_link(actor=actor, outage_id=outage.pk, ticket_ids=[incident.pk])
    return Outage.objects.get(pk=outage.pk)


@transaction.atomic
def incident_manager_set(*, actor: User, outage_id: int, user: User) -> Outage:
    """The service owner chooses the incident manager, who is then the outage ticket's assignee."""
    outage = _lock(outage_id)
    if not policies.may_choose_incident_manager(actor, outage):
        raise NotAllowed("The service owner chooses the incident manager.")
    if not policies.may_be_incident_manager(user):
        raise ValidationError({"incident_manager": [
            f"{user} cannot run an outage: incident managers are ITS staff with the incident manager role."]})
    _require_open(outage)
    outage.ticket = ticket_process.process_ticket_assign(actor=actor, ticket_id=outage.ticket_id, assignee=user)
    _take_up(outage, actor=actor)
    outage.incident_manager = user
    outage.save(update_fields=["incident_manager"])
    text = f"Incident manager: {user}."
    if outage.responders.filter(pk=user.pk).exists():
        # The process keeps the incident manager apart from the team fixing it.
        outage.responders.remove(user)
        text += f" {user} no longer counts as a responder."
    record(outage.ticket, actor=actor, step="incident_manager", text=text)
    return outage


def _check_responders(outage: Outage, users: list[User]) -> None:
    if bad := [str(user) for user in users if not policies.is_staff(user)]:
        raise ValidationError({"responders": [f"Only ITS staff work on an outage: {', '.join(bad)}."]})
    if outage.incident_manager_id is not None and any(user.pk == outage.incident_manager_id for user in users):
        raise ValidationError({"responders": [
            f"{outage.incident_manager} is the incident manager, who is kept apart from the team fixing it."]})


def _record_responders(outage: Outage, actor: User, text: str) -> None:
    team = ", ".join(str(user) for user in outage.responders.order_by("pk")) or "nobody"
    record(outage.ticket, actor=actor, step="responders", text=f"{text} Working on it: {team}.")


@transaction.atomic
def responders_set(*, actor: User, outage_id: int, users: list[User]) -> Outage:
    """The technicians fixing it, replacing the list: recorded apart from the incident manager."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    _check_responders(outage, users)
    outage.responders.set(users)
    _record_responders(outage, actor, "Responders replaced.")
    return outage


@transaction.atomic
def responder_add(*, actor: User, outage_id: int, user: User) -> Outage:
    """One more technician on the fix; adding someone already on it changes nothing."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    _require_open(outage)
    _check_responders(outage, [user])
    if not outage.responders.filter(pk=user.pk).exists():
        outage.responders.add(user)
        _record_responders(outage, actor, f"{user} joined the responders.")
    return outage


@transaction.atomic
def responder_remove(*, actor: User, outage_id: int, user: User) -> Outage:
    """A technician leaves the fix; one who was not on it is a 400, so a typo is not taken for success."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    if not outage.responders.filter(pk=user.pk).exists():
        raise ValidationError({"user": [f"{user} is not a responder of #{outage.ticket_id}."]})
    outage.responders.remove(user)
    _record_responders(outage, actor, f"{user} left the responders.")
    return outage


@transaction.atomic
def children_link(*, actor: User, outage_id: int, ticket_ids: list[int], channel: str = Channel.API) -> list[Ticket]:
    """Link incidents as children; each newly linked requester hears once that the issue is known."""
    _require_staff(actor)
    outage = _lock(outage_id)
    _require_open(outage)
    ids = sorted(set(ticket_ids))
    if not ids or len(ids) > MAX_CHILDREN_PER_CALL:
        raise ValidationError({"tickets": [f"Send 1 to {MAX_CHILDREN_PER_CALL} ticket ids."]})
    found = set(Ticket.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if missing := [str(pk) for pk in ids if pk not in found]:
        raise ValidationError({"tickets": [f"Unknown ticket ids: {', '.join(missing)}."]})
    linked = []
    for ticket_id in ids:
        child = Ticket.objects.get(pk=ticket_id)
        if child.parent_id == outage.ticket_id:
            continue
        try:
            child = ticket_process.process_ticket_link(actor=actor, ticket_id=ticket_id, parent=outage.ticket,
                                                       channel=channel)
        except ValidationError as error:
            messages = "; ".join(error.messages)
            raise ValidationError({"tickets": [f"#{ticket_id}: {messages}"]}) from None
        notify.known_issue(outage, child)
        linked.append(child)
    if linked:
        record(outage.ticket, actor=actor, step="children_linked", channel=channel,
               text="Linked " + ", ".join(f"#{child.pk}" for child in linked) + ".")
    return linked


@transaction.atomic
def children_unlink(*, actor: User, outage_id: int, ticket_ids: list[int], channel: str = Channel.API) -> list[Ticket]:
    """Tickets found not to belong to the outage leave it; they go on as incidents of their own."""
    _require_staff(actor)
    outage = _lock(outage_id)
    children = list(Ticket.objects.filter(pk__in=ticket_ids, parent_id=outage.ticket_id).order_by("pk"))
    for child in children:
        ticket_process.process_ticket_link(actor=actor, ticket_id=child.pk, parent=None, channel=channel)
    if children:
        record(outage.ticket, actor=actor, step="children_unlinked",
               text="Unlinked " + ", ".join(f"#{child.pk}" for child in children) + ".")
    return children


def affected_users(outage: Outage) -> list[User]:
    """The people the outage touches: the outage ticket's requester and followers, and every child's."""
    ticket = outage.ticket
    people = {ticket.requester_id, *ticket.followers.values_list("pk", flat=True)}
    children = Ticket.objects.filter(parent_id=ticket.pk)
    people.update(children.values_list("requester_id", flat=True))
    people.update(Ticket.followers.through.objects.filter(ticket__parent_id=ticket.pk).values_list("user_id",
                                                                                                     flat=True))
    return list(User.objects.filter(pk__in=people, is_active=True).order_by("pk"))


@transaction.atomic
def outage_reclassify(*, actor: User, outage_id: int, classification: str, channel: str = Channel.API) -> Outage:
    """Outage ⇄ Problem: a workaround is in place, or no longer holds."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    if classification not in OUTAGE_CLASSES:
        raise ValidationError({"classification": ["An outage can become a problem, or a problem an outage."]})
    ticket_process.process_ticket_reclassify(actor=actor, ticket_id=outage.ticket_id, classification=classification,
                                             channel=channel)
    return Outage.objects.select_related("ticket").get(pk=outage.pk)


@transaction.atomic
def plan_set(*, actor: User, outage_id: int, audiences: list[str], cadence_minutes: int,
             channel: str = Channel.API) -> Outage:
    """Who hears about it and how often; the first update is due one cadence from now."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    _require_open(outage)
    audiences = _clean_audiences(audiences)
    if not MIN_NEXT_UPDATE <= cadence_minutes <= MAX_NEXT_UPDATE:
        raise ValidationError({"cadence_minutes": ["Updates go out between every 5 minutes and once a week."]})
    now = timezone.now()
    outage.audiences, outage.cadence_minutes = audiences, cadence_minutes
    outage.next_update_due_at = now + timedelta(minutes=cadence_minutes)
    outage.save(update_fields=["audiences", "cadence_minutes", "next_update_due_at"])
    labels = ", ".join(Audience(a).label for a in audiences)
    record(outage.ticket, actor=actor, step="plan", now=now, channel=channel,
           text=f"Communication plan: every {cadence_minutes} minutes to {labels}.")
    return outage


def _clean_audiences(audiences: list[str]) -> list[str]:
    unknown = [a for a in audiences if a not in Audience.values]
    if unknown or not audiences:
        raise ValidationError({"audiences": [
            f"Choose from {', '.join(Audience.values)}" + (f"; unknown: {', '.join(unknown)}" if unknown else "")]})
    return [a for a in Audience.values if a in audiences]  # narrowest first, no repeats


@transaction.atomic
def update_post(*, actor: User, outage_id: int, text: str, audiences: list[str] | None = None,
                kind: str = Update.Kind.UPDATE, status: str = "", next_update_minutes: int | None = None,
                channel: str = Channel.API) -> Update:
    """Send an update to the plan's audiences; it says when the next one will come.

    ``status`` (an ``UpdateStatus``) leads the text; ``next_update_minutes`` states the next update's time
    for this once, otherwise the plan's cadence does. The community audience waits for an approval unless
    the sender may approve it themselves.
    """
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    _require_open(outage)
    if status and status not in UpdateStatus.values:
        raise ValidationError({"status": ["Choose Investigating, Identified or Monitoring."]})
    text = update_text(text, status)
    if not text:
        raise ValidationError({"text": ["Write what people need to know."]})
    audiences = _clean_audiences(audiences if audiences is not None else (outage.audiences or [Audience.TICKET]))
    if kind != Update.Kind.ALL_CLEAR:  # the all-clear comes after the outage is resolved (outage_resolve)
        _take_up(outage, actor=actor, channel=channel)
    now = timezone.now()
    next_at = next_update_at(outage, now=now, kind=kind, minutes=next_update_minutes)
    update = Update(outage=outage, kind=kind, text=text, audiences=audiences, posted_by=actor, posted_at=now,
                    next_update_at=next_at)
    if Audience.COMMUNITY in audiences:
        if policies.may_approve_community(actor):
            update.community_state, update.decided_by, update.decided_at = Update.CommunityState.APPROVED, actor, now
        else:
            update.community_state = Update.CommunityState.HELD
    update.save()
    notify.update_sent(update, include_community=update.community_state == Update.CommunityState.APPROVED)
    if update.community_state == Update.CommunityState.HELD:
        notify.approval_needed(update)
    if kind != Update.Kind.ALL_CLEAR:
        outage.next_update_due_at, outage.reminded_for = next_at, None
        outage.save(update_fields=["next_update_due_at", "reminded_for"])
    held = " (community message held for approval)" if update.community_state == Update.CommunityState.HELD else ""
    record(outage.ticket, actor=actor, step=kind, now=now, channel=channel,
           text=f"{update.get_kind_display()} sent{held}: {text}")
    return update


def next_update_at(outage: Outage, *, now: datetime, kind: str = Update.Kind.UPDATE,
                   minutes: int | None = None) -> datetime | None:
    """When an update sent ``now`` says the next one comes: ``minutes`` if stated, else one cadence on.

    The all-clear is the last message, so it names no next time.
    """
    if kind == Update.Kind.ALL_CLEAR:
        return None
    if minutes is not None:
        if not MIN_NEXT_UPDATE <= minutes <= MAX_NEXT_UPDATE:
            raise ValidationError({"next_update_minutes": [
                "Say when the next update will come: between 5 minutes and a week from now."]})
        return now + timedelta(minutes=minutes)
    return now + timedelta(minutes=outage.cadence_minutes) if outage.cadence_minutes else None


@transaction.atomic
def update_decide(*, actor: User, update_id: int, approve: bool, channel: str = Channel.API) -> Update:
    """Communications / Senior Leadership approve or reject a held community message."""
    if not policies.may_approve_community(actor):
        raise NotAllowed("Only Communications or Senior Leadership approve messages to the whole community.")
    update = Update.objects.select_for_update(of=("self",)).select_related("outage__ticket").get(pk=update_id)
    if update.community_state != Update.CommunityState.HELD:
        raise NotAllowed(f"This message is not waiting for approval ({update.get_community_state_display()}).")
    now = timezone.now()
    update.community_state = Update.CommunityState.APPROVED if approve else Update.CommunityState.REJECTED
    update.decided_by, update.decided_at = actor, now
    update.save(update_fields=["community_state", "decided_by", "decided_at"])
    if approve:
        notify.update_sent(update, only_community=True)
    record(update.outage.ticket, actor=actor, step="community_approval", now=now, channel=channel,
           text=f"Community message {'approved and sent' if approve else 'rejected'}.")
    return update


@transaction.atomic
def workaround_publish(*, actor: User, outage_id: int, text: str, channel: str = Channel.API) -> Update:
    """A problem's workaround, recorded and sent to every affected user at once."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    if outage.ticket.classification != Classification.PROBLEM:
        raise ValidationError({"classification": ["Reclassify the outage as a problem before publishing a "
                                                  "workaround."]})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Describe the workaround."]})
    audiences = sorted({*outage.audiences, Audience.TICKET}, key=Audience.values.index)
    update = update_post(actor=actor, outage_id=outage.pk, text=text, audiences=audiences,
                         kind=Update.Kind.WORKAROUND, channel=channel)
    Outage.objects.filter(pk=outage.pk).update(workaround=text, workaround_published_at=update.posted_at)
    return update


def all_clear_audiences(outage: Outage) -> list[str]:
    """Everyone who was told about the outage, narrowest first: they all get the all-clear."""
    told = set(outage.audiences or []) | {Audience.TICKET}
    held = False
    for update in outage.updates.all():
        told.update(update.audiences)
        held = held or update.community_state == Update.CommunityState.HELD
    if held:
        told.discard(Audience.COMMUNITY)  # never told, so never given an all-clear it could not place
    return sorted(told, key=Audience.values.index)


@transaction.atomic
def outage_resolve(*, actor: User, outage_id: int, all_clear: str, channel: str = Channel.API) -> Outage:
    """Resolve with an all-clear to everyone who was told; open children are resolved with a notice."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    all_clear = (all_clear or "").strip()
    if not all_clear:
        raise ValidationError({"all_clear": ["Say in plain words what caused it and how it was fixed."]})
    # Every open child at once (locked in id order): a fixed number of queries however many there are.
    tickets.tickets_resolve_many(actor=actor, channel=channel,
                                 queryset=Ticket.objects.filter(parent_id=outage.ticket_id, status__in=OPEN_STATUSES))
    if outage.ticket.status != Status.RESOLVED:
        ticket_process.process_ticket_transition(actor=actor, ticket_id=outage.ticket_id, to_status=Status.RESOLVED,
                                                 channel=channel)
    # Resolved first, so the all-clear's mail says "Resolved", the status its readers will find.
    update_post(actor=actor, outage_id=outage.pk, text=all_clear, kind=Update.Kind.ALL_CLEAR,
                audiences=all_clear_audiences(outage), channel=channel)
    now = timezone.now()
    Outage.objects.filter(pk=outage.pk).update(all_clear=all_clear, all_clear_sent_at=now, next_update_due_at=None)
    return Outage.objects.select_related("ticket").get(pk=outage.pk)


@transaction.atomic
def permanent_fix_record(*, actor: User, outage_id: int, text: str, channel: str = Channel.API) -> Outage:
    """A problem closes only once its permanent fix is in place; this records it."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    if not (text or "").strip():
        raise ValidationError({"permanent_fix": ["Describe the permanent fix."]})
    outage.permanent_fix = text.strip()
    outage.save(update_fields=["permanent_fix"])
    record(outage.ticket, actor=actor, step="permanent_fix", channel=channel,
           text=f"Permanent fix: {outage.permanent_fix}")
    return outage


@transaction.atomic
def outage_close(*, actor: User, outage_id: int, channel: str = Channel.API) -> Outage:
    """Close once every child is closed (the Support Center has confirmed with each) and, for a problem,
    once its permanent fix is recorded; refused with a 409 that says which is missing."""
    outage = _lock(outage_id)
    _require_runner(actor, outage)
    ticket = outage.ticket
    # The ticket services refuse first while a child is open (step 8 of the process); this transaction
    # then undoes the move if a problem still lacks its permanent fix.
    ticket_process.process_ticket_transition(actor=actor, ticket_id=ticket.pk, to_status=Status.CLOSED,
                                             channel=channel)
    if ticket.classification == Classification.PROBLEM and not outage.permanent_fix.strip():
        raise StateConflict(f"Problem #{ticket.pk} closes when its permanent fix is in place; record the fix first "
                            f"(POST /api/v1/outages/{ticket.pk}/permanent-fix/).")
    return Outage.objects.select_related("ticket").get(pk=outage.pk)


def update_overdue(outage: Outage, now: datetime | None = None) -> bool:
    return bool(outage.next_update_due_at and outage.ticket.status in OPEN_STATUSES
                and outage.next_update_due_at <= (now or timezone.now()))


def updates_due_remind(*, now: datetime | None = None) -> int:
    """Remind each incident manager once per due time of an update not yet posted (beat, every minute)."""
    now = now or timezone.now()
    reminded = 0
    due = Outage.objects.filter(next_update_due_at__lte=now, ticket__status__in=OPEN_STATUSES).values_list(
        "pk", flat=True)
    for outage_id in due:
        with transaction.atomic():
            outage = Outage.objects.select_for_update(of=("self",), skip_locked=True).select_related(
                "ticket", "incident_manager").filter(pk=outage_id).first()
            if outage is None or outage.next_update_due_at is None or outage.next_update_due_at > now \
                    or outage.reminded_for == outage.next_update_due_at:
                continue
            notify.update_due(outage)
            outage.reminded_for = outage.next_update_due_at
            outage.save(update_fields=["reminded_for"])
            record(outage.ticket, actor=None, step="update_due", internal=True, now=now,
                   text=f"Update was due at {timezone.localtime(outage.next_update_due_at):%H:%M}; "
                        "incident manager reminded.")
            reminded += 1
    return reminded
