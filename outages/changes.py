"""Emergency Requests for Change: how a fix that needs a change is pushed through during an outage.

The process (step 5) links every RFC to its outage and has it follow change management: it is requested
with a reason, an implementation plan and a backout plan, decided by a change approver, then implemented.
Each step is one function here, in one transaction, and a line on the outage ticket's timeline.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tickets import policies
from tickets.errors import NotAllowed, StateConflict
from tickets.lifecycle import FINAL_STATUSES
from tickets.models import User

from .models import ChangeRequest, Outage
from .timeline import record

# The text every RFC must carry: change management decides on these, so none may be left blank.
RFC_TEXT_FIELDS = ("title", "reason", "implementation_plan", "backout_plan")
RFC_STEP = "rfc"


# The record is not in a state this step starts from (an RFC already decided, a published review): 409.
InvalidState = StateConflict


def _require_staff(actor: User) -> None:
    if not policies.is_staff(actor):
        raise NotAllowed("Only ITS staff work with requests for change.")


def _lock_change(change_id: int) -> ChangeRequest:
    # The RFC row is what two approvers would race on; the outage ticket is only read.
    return ChangeRequest.objects.select_for_update(of=("self",)).select_related("outage__ticket").get(pk=change_id)


def _require_state(change: ChangeRequest, expected: str, doing: str) -> None:
    if change.state != expected:
        raise InvalidState(f"RFC {change.pk} is {change.get_state_display().lower()}: only "
                           f"{ChangeRequest.State(expected).label.lower()} changes can be {doing}.")


def _clean_request(fields: dict[str, str], risk: str) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        value = (value or "").strip() if isinstance(value, str) else ""
        if not value:
            errors[name] = ["This field is required."]
        elif "\x00" in value:
            errors[name] = ["Null characters are not allowed."]
        cleaned[name] = value
    title_max = ChangeRequest._meta.get_field("title").max_length
    if title_max is not None and len(cleaned["title"]) > title_max:
        errors["title"] = ["Keep the title to 200 characters."]
    if risk not in ChangeRequest.Risk.values:
        errors["risk"] = [f"Choose one of: {', '.join(ChangeRequest.Risk.values)}."]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def change_request(*, actor: User, outage_id: int, title: str, reason: str, implementation_plan: str,
                   backout_plan: str, risk: str, emergency: bool = True) -> ChangeRequest:
    """Request a change to fix the outage; it waits for a change approver's decision.

    Refused for customers (the role decides before the outage is even looked up) and on a closed or
    cancelled outage: a change to fix something already settled is a new piece of work, not this one's.
    """
    _require_staff(actor)
    cleaned = _clean_request({"title": title, "reason": reason, "implementation_plan": implementation_plan,
                              "backout_plan": backout_plan}, risk)
    # The outage row serialises this against the outage's own steps (outages.services locks it too).
    outage = Outage.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=outage_id)
    if outage.ticket.status in FINAL_STATUSES:
        raise InvalidState(f"#{outage.ticket_id} is {outage.ticket.get_status_display().lower()}; "
                           "changes are requested while it is still being worked.")
    now = timezone.now()
    change = ChangeRequest.objects.create(
        outage=outage, risk=risk, emergency=bool(emergency), requested_by=actor, requested_at=now, **cleaned,
    )
    kind = "Emergency RFC" if change.emergency else "RFC"
    record(outage.ticket, actor=actor, step=RFC_STEP, now=now, internal=True,
           text=f"{kind} {change.pk} requested ({change.get_risk_display().lower()} risk): {change.title}")
    return change


@transaction.atomic
def change_decide(*, actor: User, change_id: int, approve: bool) -> ChangeRequest:
    """A change approver approves or rejects a requested change; a decision is final."""
    if not policies.may_decide_change(actor):
        raise NotAllowed("Only change approvers can approve or reject a request for change.")
    change = _lock_change(change_id)
    _require_state(change, ChangeRequest.State.REQUESTED, "approved or rejected")
    now = timezone.now()
    change.state = ChangeRequest.State.APPROVED if approve else ChangeRequest.State.REJECTED
    change.decided_by, change.decided_at = actor, now
    change.save(update_fields=["state", "decided_by", "decided_at"])
    record(change.outage.ticket, actor=actor, step=RFC_STEP, now=now, internal=True,
           text=f"RFC {change.pk} {change.get_state_display().lower()}: {change.title}")
    return change


@transaction.atomic
def change_implemented(*, actor: User, change_id: int) -> ChangeRequest:
    """The approved change is in place; a rejected or pending one may not be reported as done."""
    _require_staff(actor)
    change = _lock_change(change_id)
    _require_state(change, ChangeRequest.State.APPROVED, "implemented")
    now = timezone.now()
    change.state, change.implemented_at = ChangeRequest.State.IMPLEMENTED, now
    change.save(update_fields=["state", "implemented_at"])
    record(change.outage.ticket, actor=actor, step=RFC_STEP, now=now, internal=True,
           text=f"RFC {change.pk} implemented: {change.title}")
    return change
