"""After-Action Reviews: what happened, why, and what will keep it from happening again.

The process (step 9, and the same for problems) asks the incident manager to complete a review once the
outage or problem is resolved and to submit it for posting. A review is a draft while it is written, is
submitted once every section is filled, and is published by someone allowed to post it. Its timeline is
not written by hand: it is drawn from what the outage ticket recorded as it happened.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from tickets import policies
from tickets.errors import NotAllowed
from tickets.lifecycle import Status
from tickets.models import AuditEvent, ConversationEntry, Group, Service, Ticket, User

from .changes import InvalidState
from .models import AfterActionReview, Outage
from .timeline import record

REVIEW_STEP = "review"
SECTION_REQUIRED = "This section is required before the review is submitted."
# The statuses after which a review is owed (and may be submitted): the outage or problem is resolved.
REVIEWABLE_STATUSES = (Status.RESOLVED, Status.CLOSED)
# Each section with the heading the export gives it, in the order the process document lists them.
SECTIONS: dict[str, str] = {
    "initial_symptoms": "Initial symptoms",
    "root_cause": "Root cause",
    "prevention": "Prevention",
    "resolution": "Resolution",
    "teams_involved": "Teams involved",
    "customer_effect": "Effect on customers",
    "systems_affected": "Systems and services affected",
}


def due_days() -> int:
    """Days after resolution by which the review is due (``settings.AAR_DUE_DAYS``, default 5)."""
    return getattr(settings, "AAR_DUE_DAYS", 5)


def _require_staff(actor: User) -> None:
    if not policies.is_staff(actor):
        raise NotAllowed("After-Action Reviews are written and read by ITS staff.")


def _lock(outage_id: int) -> Outage:
    # The outage row, as outages.services locks it: a review step never interleaves with another on the outage.
    return Outage.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=outage_id)


def _clean_sections(fields: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        if name not in SECTIONS:
            errors[name] = ["This is not a section of the review."]
        elif not isinstance(value, str):
            errors[name] = ["Send the section as text."]
        elif "\x00" in value:
            errors[name] = ["Null characters are not allowed."]
        else:
            cleaned[name] = value.strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Writes ---------------------------------------------------------------------------------------


@transaction.atomic
def review_save(*, actor: User, outage_id: int, **fields: str) -> AfterActionReview:
    """Start or edit the review's sections; only the sections given change.

    Editable until it is published. A submitted review stays submitted when edited, so it may not lose a
    section it was submitted with: the publisher must never post an incomplete review.
    """
    _require_staff(actor)
    sections = _clean_sections(fields)
    outage = _lock(outage_id)
    now = timezone.now()
    review = AfterActionReview.objects.filter(outage=outage).first()
    created = review is None
    if review is None:
        review = AfterActionReview(outage=outage, author=actor, created_at=now, updated_at=now)
    elif review.state == AfterActionReview.State.PUBLISHED:
        raise InvalidState("This review is published; it can no longer be changed.")
    changed = [name for name, value in sections.items() if getattr(review, name) != value]
    for name in changed:
        setattr(review, name, sections[name])
    if review.state == AfterActionReview.State.SUBMITTED and (missing := review.missing_fields()):
        raise ValidationError({name: [SECTION_REQUIRED] for name in missing})
    if not (created or changed):
        return review
    review.updated_at = now
    review.save()
    if created:
        text = "After-Action Review started."
    else:
        text = "After-Action Review edited: " + ", ".join(SECTIONS[name].lower() for name in changed) + "."
    record(outage.ticket, actor=actor, step=REVIEW_STEP, text=text, internal=True, now=now)
    return review


@transaction.atomic
def review_submit(*, actor: User, outage_id: int) -> AfterActionReview:
    """Submit the review for posting: only once the outage is resolved, and only with every section written."""
    _require_staff(actor)
    outage = _lock(outage_id)
    review = AfterActionReview.objects.filter(outage=outage).first()
    if review is not None and review.state != AfterActionReview.State.DRAFT:
        raise InvalidState(f"This review is already {review.get_state_display().lower()}.")
    if outage.ticket.status not in REVIEWABLE_STATUSES:
        raise InvalidState(f"#{outage.ticket_id} is {outage.ticket.get_status_display().lower()}; the review is "
                           "submitted once the outage or problem is resolved.")
    missing = review.missing_fields() if review is not None else list(AfterActionReview.REQUIRED_FIELDS)
    if review is None or missing:
        raise ValidationError({name: [SECTION_REQUIRED] for name in missing})
    now = timezone.now()
    review.state, review.submitted_at, review.updated_at = AfterActionReview.State.SUBMITTED, now, now
    review.save(update_fields=["state", "submitted_at", "updated_at"])
    record(outage.ticket, actor=actor, step=REVIEW_STEP, text="After-Action Review submitted for posting.",
           internal=True, now=now)
    return review


@transaction.atomic
def review_publish(*, actor: User, outage_id: int) -> AfterActionReview:
    """Post a submitted review; from then on it is read by all staff and no longer changes."""
    if not policies.may_publish_review(actor):
        raise NotAllowed("Only reviewers with the publish permission can publish an After-Action Review.")
    outage = _lock(outage_id)
    review = AfterActionReview.objects.get(outage=outage)
    if review.state != AfterActionReview.State.SUBMITTED:
        raise InvalidState(f"This review is {review.get_state_display().lower()}; only a submitted review can be "
                           "published.")
    now = timezone.now()
    review.state, review.published_at, review.published_by = AfterActionReview.State.PUBLISHED, now, actor
    review.updated_at = now
    review.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    record(outage.ticket, actor=actor, step=REVIEW_STEP, text="After-Action Review published.", internal=True,
           now=now)
    return review


# --- Reads ----------------------------------------------------------------------------------------


def review_due_at(outage: Outage) -> datetime | None:
    """When the review is due: ``AAR_DUE_DAYS`` after the outage was resolved; None while none is owed."""
    ticket = outage.ticket
    if ticket.status not in REVIEWABLE_STATUSES or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=due_days())


def review_overdue(outage: Outage, now: datetime | None = None) -> bool:
    """Past due with no review submitted (none at all, or still a draft)."""
    return _overdue(outage, AfterActionReview.objects.filter(outage=outage).first(), now)


def review_is_overdue(review: AfterActionReview, now: datetime | None = None) -> bool:
    """``review_overdue`` for a review already in hand (a list of them): no query for the review again."""
    return _overdue(review.outage, review, now)


def _overdue(outage: Outage, review: AfterActionReview | None, now: datetime | None) -> bool:
    due = review_due_at(outage)
    if due is None or due >= (now or timezone.now()):
        return False
    return review is None or review.state == AfterActionReview.State.DRAFT


def reviews_published() -> QuerySet[AfterActionReview]:
    """Every published review, newest first: what all staff may read."""
    return (AfterActionReview.objects.filter(state=AfterActionReview.State.PUBLISHED)
            .select_related("outage__ticket__service", "author", "published_by")
            .order_by("-published_at", "-id"))


def reviews_submitted() -> QuerySet[AfterActionReview]:
    """Submitted reviews waiting for someone to publish them, oldest first."""
    return (AfterActionReview.objects.filter(state=AfterActionReview.State.SUBMITTED)
            .select_related("outage__ticket__service", "author").order_by("submitted_at", "id"))


def outages_review_overdue(*, now: datetime | None = None) -> QuerySet[Outage]:
    """Outages and problems resolved more than ``AAR_DUE_DAYS`` ago whose review is missing or still a draft."""
    cutoff = (now or timezone.now()) - timedelta(days=due_days())
    return (Outage.objects.filter(ticket__status__in=REVIEWABLE_STATUSES, ticket__resolved_at__lt=cutoff)
            .filter(Q(review__isnull=True) | Q(review__state=AfterActionReview.State.DRAFT))
            .select_related("ticket__service", "incident_manager", "review")
            .order_by("ticket__resolved_at", "pk"))


# Outage steps that repeat what the children's own "parent" events already say, one line per child.
_LINK_STEPS = frozenset({"children_linked"})
# Ticket fields whose audit values are primary keys, and where to find what they name.
_NAMED_FIELDS = {"assignee": User, "requester": User, "group": Group, "service": Service}


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _choice_label(field: str, value: str) -> str:
    try:
        choices = dict(getattr(Ticket._meta.get_field(field), "choices", None) or ())
    except FieldDoesNotExist:  # a field the ticket no longer has: show the raw value
        return value
    return str(choices.get(value, value))


class _Describer:
    """Turns audit events into sentences; looks up the people, groups and entries they name in one query each."""

    def __init__(self, events: Iterable[AuditEvent]):
        events = list(events)
        ids: dict[type[Model], set[int]] = {}
        entry_ids: set[int] = set()
        for event in events:
            if event.action == AuditEvent.Action.CHANGED and event.field in _NAMED_FIELDS:
                model = _NAMED_FIELDS[event.field]
                ids.setdefault(model, set()).update(int(v) for v in (event.old_value, event.new_value) if v.isdigit())
            elif event.action in (AuditEvent.Action.REPLIED, AuditEvent.Action.NOTED) and event.new_value.isdigit():
                entry_ids.add(int(event.new_value))
        self.names = {model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=pks)}
                      for model, pks in ids.items()}
        self.entries = dict(ConversationEntry.objects.filter(pk__in=entry_ids).values_list("pk", "body"))

    def _value(self, field: str, value: str) -> str:
        if not value:
            return "none"
        if field in _NAMED_FIELDS and value.isdigit():
            return self.names.get(_NAMED_FIELDS[field], {}).get(int(value), f"#{value}")
        if field == "parent":
            return f"#{value}"
        return _one_line(_choice_label(field, value), 80)

    def describe(self, event: AuditEvent, outage_ticket_id: int) -> str:
        action, field = event.action, event.field
        if event.ticket_id != outage_ticket_id:
            # A child's event: only its link to the outage is drawn.
            if action == AuditEvent.Action.CREATED:
                return f"#{event.ticket_id} reported as part of the outage"
            if event.new_value == str(outage_ticket_id):
                return f"#{event.ticket_id} linked as a child"
            return f"#{event.ticket_id} unlinked"
        if action == AuditEvent.Action.CREATED:
            return f"Ticket #{event.ticket_id} opened"
        if action == AuditEvent.Action.STATUS:
            return f"Status: {self._value('status', event.old_value)} → {self._value('status', event.new_value)}"
        if action == AuditEvent.Action.CHANGED:
            label = field.replace("_", " ").capitalize()
            return f"{label}: {self._value(field, event.old_value)} → {self._value(field, event.new_value)}"
        if action in (AuditEvent.Action.REPLIED, AuditEvent.Action.NOTED):
            kind = "Internal note" if action == AuditEvent.Action.NOTED else "Public reply"
            body = self.entries.get(int(event.new_value)) if event.new_value.isdigit() else None
            return f"{kind}: {_one_line(body)}" if body else kind
        if action == AuditEvent.Action.ATTACHED:
            return f"Attachment added: {_one_line(event.new_value, 120)}"
        if action == AuditEvent.Action.SLA:
            return f"SLA: {_one_line(event.new_value or field)}"
        if action == AuditEvent.Action.ALERT:
            return f"Alert: {_one_line(event.new_value or field)}"
        return _one_line(event.new_value or field.replace("_", " ").capitalize())


def _child_events(ticket: Ticket) -> list[AuditEvent]:
    """How each current child joined (and left and rejoined) the outage, from the child's own audit trail."""
    children = list(Ticket.objects.filter(parent_id=ticket.pk).values_list("pk", flat=True))
    if not children:
        return []
    key = str(ticket.pk)
    links = list(AuditEvent.objects.filter(ticket_id__in=children, action=AuditEvent.Action.CHANGED, field="parent")
                 .filter(Q(new_value=key) | Q(old_value=key)).select_related("actor"))
    # A child that was a child from the start (no link event, or its first one unlinks it) was reported as
    # part of the outage: its creation is the link.
    first: dict[int, AuditEvent] = {}
    for event in sorted(links, key=lambda event: (event.created_at, event.pk)):
        first.setdefault(event.ticket_id, event)
    born = [child for child in children if child not in first or first[child].old_value == key]
    created = list(AuditEvent.objects.filter(ticket_id__in=born, action=AuditEvent.Action.CREATED)
                   .select_related("actor")) if born else []
    return links + created


def review_timeline(outage: Outage) -> list[dict[str, Any]]:
    """The outage as it happened, oldest first: ``{"at", "actor", "what"}`` for each recorded step.

    Drawn from the outage ticket's audit trail (its status changes, triage, conversation, alerts and
    every outage step, internal ones included: a review is a staff document) and from its children's
    trails (each one's link to the outage). The review's own editing is left out: it is not the outage.
    """
    ticket = outage.ticket
    own = [event for event in ticket.audit_events.select_related("actor")
           if not (event.action == AuditEvent.Action.OUTAGE
                   and (event.field == REVIEW_STEP or event.field in _LINK_STEPS))]
    events = sorted([*own, *_child_events(ticket)], key=lambda event: (event.created_at, event.pk))
    describer = _Describer(events)
    return [
        {"at": event.created_at, "actor": str(event.actor) if event.actor else "System",
         "what": describer.describe(event, ticket.pk)}
        for event in events
    ]


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def review_markdown(review: AfterActionReview) -> str:
    """The review as a Markdown document to post or archive: facts, every section, and the timeline."""
    outage = Outage.objects.select_related("ticket__service", "incident_manager").get(pk=review.outage_id)
    ticket = outage.ticket
    lines = [
        f"# After-Action Review: #{ticket.pk} {_one_line(ticket.title)}",
        "",
        f"- **Service:** {ticket.service or '—'}",
        f"- **Classification:** {ticket.get_classification_display()}",
        f"- **Incident manager:** {outage.incident_manager or '—'}",
        f"- **Opened:** {_when(ticket.created_at)}",
        f"- **Resolved:** {_when(ticket.resolved_at)}",
        f"- **Closed:** {_when(ticket.closed_at)}",
        f"- **Child tickets:** {Ticket.objects.filter(parent_id=ticket.pk).count()}",
        f"- **Review:** {review.get_state_display()}, by {review.author}"
        + (f"; published {_when(review.published_at)}" if review.published_at else ""),
    ]
    for name, heading in SECTIONS.items():
        text = getattr(review, name).strip()
        lines += ["", f"## {heading}", "", text or "_Not written yet._"]
    lines += ["", "## Timeline", ""]
    timeline = review_timeline(outage)
    items = [f"- {_when(item['at'])} — {item['actor']}: {item['what']}" for item in timeline]
    lines += items or ["_Nothing recorded._"]
    return "\n".join(lines) + "\n"


def review_prefill(outage: Outage) -> dict[str, str]:
    """A first draft of the review from what the outage recorded, so the author edits rather than recalls.

    Symptoms from the outage's own description, the resolution from its all-clear, the services and
    teams from the ticket and its children, the effect on customers from the child count and duration.
    Root cause and prevention are left for the author: no record knows them.
    """
    ticket = outage.ticket
    children = Ticket.objects.filter(parent_id=ticket.pk)
    groups = sorted({name for name in children.exclude(group=None).values_list("group__name", flat=True)}
                    | ({ticket.group.name} if ticket.group else set()))
    people = [str(user) for user in outage.responders.all()]
    services = sorted({*children.exclude(service=None).values_list("service__name", flat=True),
                       *([ticket.service.name] if ticket.service else [])})
    ended = ticket.resolved_at or timezone.now()
    hours, minutes = divmod(int((ended - ticket.created_at).total_seconds() // 60), 60)
    count = children.count()
    return {
        "initial_symptoms": ticket.description.strip() or ticket.title,
        "root_cause": "",
        "prevention": "",
        "resolution": outage.all_clear.strip(),
        "teams_involved": "; ".join(filter(None, [", ".join(groups), ", ".join(people)])),
        "customer_effect": (f"{count} child ticket{'' if count == 1 else 's'} reported; affected for "
                            f"{hours}h {minutes}m ({_when(ticket.created_at)} to {_when(ticket.resolved_at)})."),
        "systems_affected": ", ".join(services),
    }
