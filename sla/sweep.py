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
    """Mark every threshold that has come due; returns what it examined and marked."""
    from tickets.services import ticket_record_sla_threshold

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
            for ticket in due:
                for flag in _due_thresholds(ticket, now):
                    claimed = Ticket.objects.filter(pk=ticket.pk, **{flag: False}).update(**{flag: True})
                    setattr(ticket, flag, True)
                    if claimed:
                        ticket_record_sla_threshold(ticket=ticket, threshold=flag, now=now)
                        result.marked.append((ticket.pk, flag))
                # Rows whose next check passed but whose flags were already set (a lost race,
                # or a recomputation) still get their next check moved on, so none is re-read.
                Ticket.objects.filter(pk=ticket.pk).update(sla_next_check_at=next_check_at(ticket))
        if len(due) < batch_size:
            break
    return result


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
