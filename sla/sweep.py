"""The SLA sweep: mark each ticket's 75 % warning and 100 % breach once, as time passes.

Only rows whose ``sla_next_check_at`` has passed are read (a range scan on a partial index), so a
sweep's cost follows the number of tickets due, not the number open. Each threshold is claimed
with a conditional UPDATE (``... WHERE respond_warned = false``): a second or concurrent sweep
that reaches the same ticket updates nothing and records nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from .services import next_check_at

# (flag column, the instant column it watches, whether it applies only before the response)
THRESHOLDS = (
    ("respond_warned", "respond_warn_at", True),
    ("respond_breached", "respond_by", True),
    ("resolve_warned", "resolve_warn_at", False),
    ("resolve_breached", "resolve_by", False),
)


@dataclass
class SweepResult:
    examined: int = 0
    marked: list[tuple[int, str]] = field(default_factory=list)


def _due_thresholds(ticket, now: datetime) -> list[str]:
    due = []
    for flag, instant_field, before_response in THRESHOLDS:
        if before_response and ticket.responded_at is not None:
            continue
        instant = getattr(ticket, instant_field)
        if not getattr(ticket, flag) and instant is not None and instant <= now:
            due.append(flag)
    return due


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 100) -> SweepResult:
    """Mark every threshold that has come due; returns what it examined and marked.

    A batch costs a fixed number of queries whatever its size: the locked read, one prefetch of the
    groups' dispatchers, a read per threshold, two INSERTs (notifications, audit events) and one
    UPDATE writing every row's flags and next check (a ticket row is rewritten once, not per column:
    on this table each rewrite touches every index).
    """
    Ticket = apps.get_model("tickets", "Ticket")
    now = now or timezone.now()
    result = SweepResult()
    for _ in range(max_batches):
        with transaction.atomic():
            due = list(
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("assignee", "group", "requester")
                .filter(sla_next_check_at__lte=now)
                .order_by("sla_next_check_at")[:batch_size]
            )
            result.examined += len(due)
            if due:
                _sweep_batch(Ticket, due, now, result)
        if len(due) < batch_size:
            break
    return result


def _sweep_batch(Ticket, due: list, now: datetime, result: SweepResult) -> None:
    from django.db.models import prefetch_related_objects

    from tickets.bulk import update_many
    from tickets.services import ticket_record_sla_thresholds

    wanted = {flag: [t for t in due if flag in _due_thresholds(t, now)] for flag, _, _ in THRESHOLDS}
    marks = []
    for flag, tickets in wanted.items():
        if not tickets:
            continue
        # The rows are locked by this transaction (FOR UPDATE; SQLite serialises writers), so nobody
        # can flip a flag between this read and the batch's UPDATE: exactly the rows read as unclaimed
        # are claimed, and only they are recorded (a flag already set by a recomputation or an earlier
        # sweep is not recorded twice).
        unclaimed = set(Ticket.objects.filter(pk__in=[t.pk for t in tickets], **{flag: False})
                        .values_list("pk", flat=True))
        for ticket in tickets:
            setattr(ticket, flag, True)
            if ticket.pk in unclaimed:
                marks.append((ticket, flag))
    if marks:
        groups = {t.group_id: t.group for t, _ in marks if t.group is not None and t.assignee_id is None}
        prefetch_related_objects(list(groups.values()), "dispatchers")
        for ticket, _ in marks:  # the tickets of a group share its prefetched dispatchers
            if ticket.group_id in groups:
                ticket.group = groups[ticket.group_id]
        position = {ticket.pk: index for index, ticket in enumerate(due)}
        flags = [flag for flag, _, _ in THRESHOLDS]
        marks.sort(key=lambda mark: (position[mark[0].pk], flags.index(mark[1])))  # ticket by ticket, as read
        ticket_record_sla_thresholds(marks=marks, now=now)
        result.marked.extend((ticket.pk, flag) for ticket, flag in marks)
    # Rows whose next check passed but whose flags were already set (a lost race, or a recomputation)
    # still get their next check moved on, so none is re-read.
    for ticket in due:
        ticket.sla_next_check_at = next_check_at(ticket)
    update_many(due, [*(flag for flag, _, _ in THRESHOLDS), "sla_next_check_at"])


def sla_reevaluate_operating_hours(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Give tickets reported outside their service's hours their real impact once the hours begin."""
    from tickets.services import ticket_sla_reevaluate

    Ticket = apps.get_model("tickets", "Ticket")
    now = now or timezone.now()
    ids = list(
        Ticket.objects.filter(sla_reevaluate_at__lte=now).order_by("sla_reevaluate_at").values_list("pk", flat=True)[
            :batch_size
        ]
    )
    return sum(1 for ticket_id in ids if ticket_sla_reevaluate(ticket_id=ticket_id, now=now))
