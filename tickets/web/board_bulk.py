"""Bulk routing from the queue board: skip what cannot move, send the rest, report each ticket.

``tickets_bulk_update`` is all-or-nothing; closed tickets (and tickets that left the dispatcher's
groups) are set aside with a reason first, so one stale row does not block the other eleven (UX §3).
"""

from dataclasses import dataclass, field

from itsm import page_errors
from tickets import policies
from tickets.lifecycle import FINAL_STATUSES
from tickets.models import Channel, Ticket
from tickets.services import BULK_MAX_TICKETS, BulkUpdateFailed, tickets_bulk_update


@dataclass
class Outcome:
    ticket_id: int
    text: str  # what happened to this ticket, in words


@dataclass
class BulkReport:
    updated: list[Outcome] = field(default_factory=list)
    unchanged: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    error: str = ""  # the batch was refused as a whole; nothing changed

    @property
    def ok(self) -> bool:
        return not self.error and not self.failed

    @property
    def summary(self) -> str:
        """"12 updated, 1 skipped: #4411 is closed" — the sentence the live region announces."""
        if self.error:
            return self.error
        if self.failed:
            reasons = "; ".join(outcome.text for outcome in self.failed)
            return f"Nothing was changed: {reasons}"
        parts = [f"{len(self.updated)} updated"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already as asked")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped: " + "; ".join(o.text for o in self.skipped))
        return ", ".join(parts)

    @property
    def outcomes(self) -> list[Outcome]:
        return self.updated + self.unchanged + self.skipped + self.failed


def selected_ids(values: list[str]) -> list[int]:
    """The ticket ids in a form's checkboxes and hidden inputs, in order, without repeats or junk."""
    ids: dict[int, None] = {}
    for value in values:
        for part in str(value).split(","):
            part = part.strip().lstrip("#")
            if part.isdigit():
                ids[int(part)] = None
    return list(ids)


def _done_text(ticket: Ticket, changes: dict) -> str:
    if "assignee" in changes:
        return f"#{ticket.pk} assigned to {changes['assignee']}"
    return f"#{ticket.pk} moved to {changes['group']}"


def bulk_route(*, actor, ticket_ids: list[int], changes: dict) -> BulkReport:
    """Route the tickets as ``changes`` says; the report names each ticket's outcome."""
    report = BulkReport()
    if not ticket_ids:
        report.error = "Select at least one ticket first."
        return report
    if len(ticket_ids) > BULK_MAX_TICKETS:
        extra = len(ticket_ids) - BULK_MAX_TICKETS
        report.error = (f"You selected {len(ticket_ids)} tickets; one batch can change at most {BULK_MAX_TICKETS}. "
                        f"Unselect {extra} and try again. Nothing was changed.")
        return report
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=ticket_ids).select_related("group")}
    dispatched = policies.dispatched_group_ids(actor)
    target_group = changes.get("group")
    to_send = []
    for pk in ticket_ids:
        ticket = tickets.get(pk)
        if ticket is None:
            report.skipped.append(Outcome(pk, f"#{pk} no longer exists"))
        elif ticket.status in FINAL_STATUSES:
            report.skipped.append(Outcome(pk, f"#{pk} is {ticket.get_status_display().lower()}"))
        elif not policies.may_dispatch(actor, ticket, target_group, dispatched=dispatched):
            where = f"now in {ticket.group}" if ticket.group_id else "in no group"
            report.skipped.append(Outcome(pk, f"#{pk} is {where}, which you don't dispatch"))
        else:
            to_send.append(pk)
    if not to_send:
        return report
    try:
        updated, unchanged = tickets_bulk_update(actor=actor, ticket_ids=to_send, changes=changes,
                                                 channel=Channel.WEB)
    except BulkUpdateFailed as failure:
        report.failed = [Outcome(pk, f"#{pk}: {message}") for pk, (_kind, message) in failure.failures.items()]
    except page_errors.SERVICE_ERRORS as error:
        report.error = page_errors.words(error)
    else:
        report.updated = [Outcome(t.pk, _done_text(t, changes)) for t in updated]
        report.unchanged = [Outcome(t.pk, f"#{t.pk} was already as asked") for t in unchanged]
    return report
