"""The SLA sweep: mark each ticket's 75 % warning and 100 % breach once, as time passes.

The rules (which thresholds are due, when to look next) are ``sla.thresholds``'; this service does
the ticket writes. Only rows whose ``sla_next_check_at`` has passed are read (a range scan on a
partial index), so a sweep's cost follows the number of tickets due, not the number open. Each
threshold is claimed with a conditional read under the batch's row locks (``... WHERE respond_warned
= false``): a second or concurrent sweep that reaches the same ticket records nothing.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from itsm.bulk import update_many
from sla.thresholds import THRESHOLD_FLAGS, due_thresholds, next_check_at

from .models import Ticket
from .services import ticket_record_sla_thresholds, ticket_sla_reevaluate

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    examined: int = 0
    marked: list[tuple[int, str]] = field(default_factory=list)


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 100) -> SweepResult:
    """Mark every threshold that has come due; returns what it examined and marked.

    A batch costs a fixed number of queries whatever its size: the locked read, one prefetch of the
    groups' dispatchers, a read per threshold, two INSERTs (notifications, audit events) and one
    UPDATE writing every row's flags and next check (a ticket row is rewritten once, not per column:
    on this table each rewrite touches every index).
    """
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
                _sweep_batch(due, now, result)
        if len(due) < batch_size:
            break
    if result.marked:
        logger.info("SLA sweep marked %d thresholds on %d tickets", len(result.marked), result.examined)
    return result


def _sweep_batch(due: list[Ticket], now: datetime, result: SweepResult) -> None:
    due_flags = {ticket.pk: due_thresholds(ticket, now) for ticket in due}
    marks: list[tuple[Ticket, str]] = []
    for flag in THRESHOLD_FLAGS:
        tickets = [ticket for ticket in due if flag in due_flags[ticket.pk]]
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
        marks.sort(key=lambda mark: (position[mark[0].pk], THRESHOLD_FLAGS.index(mark[1])))  # ticket by ticket
        ticket_record_sla_thresholds(marks=marks, now=now)
        result.marked.extend((ticket.pk, flag) for ticket, flag in marks)
    # Rows whose next check passed but whose flags were already set (a lost race, or a recomputation)
    # still get their next check moved on, so none is re-read.
    for ticket in due:
        ticket.sla_next_check_at = next_check_at(ticket)
    update_many(due, [*THRESHOLD_FLAGS, "sla_next_check_at"])


def sla_reevaluate_operating_hours(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Give tickets reported outside their service's hours their real impact once the hours begin."""
    now = now or timezone.now()
    ids = list(
        Ticket.objects.filter(sla_reevaluate_at__lte=now).order_by("sla_reevaluate_at").values_list("pk", flat=True)[
            :batch_size
        ]
    )
    return sum(1 for ticket_id in ids if ticket_sla_reevaluate(ticket_id=ticket_id, now=now))
