"""Database-side benchmarks for issue #8: the SLA sweep and resolving a large outage.

Run inside a configured Django process against the benchmark database (loaded with
``manage.py generate_load``); nothing they change is kept: every measurement that writes runs in a
transaction rolled back afterwards (no notification is dispatched, no row stays changed).

    DATABASE_URL=postgres://.../itsm_bench .venv/bin/python bench/db_benchmarks.py [--repeat 5] [--children 10000]

prints one JSON document; ``make bench`` imports ``sweep_benchmark`` and ``outage_resolve_benchmark``.
Every figure is ``{"median", "min", "max"}`` over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path


def _figure(values: list[float]) -> dict:
    # The harness's own summary (median, min, max and the runs), with the precision a few-millisecond sweep needs.
    from bench.stats import summarize  # here: run as a script, main() puts the project on the path first

    return summarize(values, digits=6)


class _Rollback(Exception):
    """Raised to leave an ``atomic`` block with everything undone."""


def _rolled_back(work):
    """Run ``work()`` in a transaction that is rolled back; return what it returned."""
    from django.db import transaction

    box = {}
    try:
        with transaction.atomic():
            box["result"] = work()
            raise _Rollback
    except _Rollback:
        pass
    return box["result"]


# --- SLA sweep -------------------------------------------------------------------------------------


def _running_count() -> int:
    from tickets.models import Ticket

    return Ticket.objects.filter(sla_next_check_at__isnull=False).count()


def _make_due(count: int, now) -> int:
    """``count`` running tickets get a passed, unmarked 75 % resolve warning, in one UPDATE; returns the rows."""
    from django.db import connection

    from tickets.models import Ticket

    table = connection.ops.quote_name(Ticket._meta.db_table)
    past = now - timedelta(minutes=1)
    with connection.cursor() as cursor:
        # A scattered sample (not the oldest ids), the same at every run.
        cursor.execute(
            f"UPDATE {table} SET resolve_warn_at = %s, resolve_warned = %s, sla_next_check_at = %s "
            f"WHERE id IN (SELECT id FROM {table} WHERE sla_next_check_at IS NOT NULL "
            f"ORDER BY (id * 7919) %% 10007, id LIMIT %s)",
            [past, False, past, count],
        )
        return cursor.rowcount


def _timed_sweep(now) -> tuple[float, int, int]:
    from tickets.sla_sweep import sla_sweep

    started = time.perf_counter()
    result = sla_sweep(now=now)
    return time.perf_counter() - started, result.examined, len(result.marked)


def _due_point(fraction: float, repeat: int, running: int) -> dict:
    from django.utils import timezone

    due = max(1, round(running * fraction))
    seconds, examined, marked = [], [], []
    for _ in range(repeat):
        def run():
            now = timezone.now()
            _make_due(due, now)
            return _timed_sweep(now)

        took, seen, done = _rolled_back(run)
        seconds.append(took)
        examined.append(seen)
        marked.append(done)
    return {
        "fraction": fraction, "due_tickets": due,
        "seconds": _figure(seconds), "examined": _figure(examined), "marked": _figure(marked),
        "due_tickets_per_second": _figure([seen / took for seen, took in zip(examined, seconds, strict=True)]),
    }


def sweep_benchmark(repeat: int = 5, fractions: tuple[float, ...] = (0.005, 0.01, 0.02)) -> dict:
    """The sweep with nothing due, then with a fraction of the running tickets due (1 % and others).

    The cost should follow the number due: seconds per due ticket stay flat across the fractions, and
    with nothing due a sweep is one index probe whatever the table's size.
    """
    from django.utils import timezone

    from tickets.models import Ticket

    _timed_sweep(timezone.now())  # whatever real time has made due since the load, marked for good
    none_seconds, none_examined = [], []
    for _ in range(repeat):
        took, seen, _ = _timed_sweep(timezone.now())
        none_seconds.append(took)
        none_examined.append(seen)
    running = _running_count()
    points = {f"{fraction * 100:g}%": _due_point(fraction, repeat, running) for fraction in fractions}
    one = points.get("1%") or next(iter(points.values()))
    per_ticket = [point["seconds"]["median"] / point["due_tickets"] for point in points.values()]
    return {
        "tickets": Ticket.objects.count(), "running_tickets": running,
        "none_due": {"seconds": _figure(none_seconds), "examined": _figure(none_examined)},
        "one_percent_due": one,
        "points": points,
        # Linear in the due count: the seconds per due ticket at each point, and their spread.
        "seconds_per_due_ticket": {"by_point": per_ticket,
                                   "max_over_min": max(per_ticket) / min(per_ticket) if min(per_ticket) else None},
    }


# --- Outage with many children ---------------------------------------------------------------------


def _outage_with_children(children: int):
    """An open outage with ``children`` open child incidents, written in bulk as ``generate_load`` does."""
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from outages import services as outages
    from outages.management.commands.generate_load import _apply_sla
    from sla.calendars import ClockCache
    from tickets.lifecycle import Status
    from tickets.models import Ticket, User

    now = timezone.now()
    stamp = f"{time.time_ns()}"
    manager = User.objects.create(username=f"bench-im-{stamp}", email=f"bench-im-{stamp}@bench.example.edu",
                                  is_staff=True, password="!")
    manager.user_permissions.add(Permission.objects.get(codename="act_as_incident_manager"))
    customers = User.objects.bulk_create(
        [User(username=f"bench-{stamp}-{n}", email=f"bench-{stamp}-{n}@bench.example.edu", password="!",
              first_name="Bench") for n in range(min(children, 2000))], batch_size=2000)
    outage = outages.outage_raise(actor=manager, title="Benchmark outage", impact="university",
                                  urgency="stopped_no_workaround", incident_manager=manager)
    clocks = ClockCache()
    rows = []
    for n in range(children):
        status = Status.NEW if n % 2 else Status.IN_PROCESS
        start = now - timedelta(minutes=5 + n % 60)
        child = Ticket(classification="incident", title=f"Affected by the outage ({n})", description="",
                       status=status, impact="individual", urgency="stopped_no_workaround", source="portal",
                       requester_id=customers[n % len(customers)].pk, parent_id=outage.ticket_id,
                       created_at=start, updated_at=start, version=1)
        _apply_sla(child, start, now, clocks, responded_at=start + timedelta(minutes=2)
                   if status == Status.IN_PROCESS else None)
        rows.append(child)
    Ticket.objects.bulk_create(rows, batch_size=2000)
    return manager, outage


def outage_resolve_benchmark(children: int = 10_000, repeat: int = 3) -> dict:
    """Seconds and SQL queries of ``outage_resolve`` for an outage with ``children`` open children.

    Also counts the queries at a tenth of the children: the two counts are equal when nothing is done
    per child.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from outages import services as outages
    from tickets.lifecycle import Status
    from tickets.models import Ticket
    from tickets.notifications.models import Notification

    def once(size: int) -> dict:
        manager, outage = _outage_with_children(size)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            outages.outage_resolve(actor=manager, outage_id=outage.pk, all_clear="Benchmark: fixed.")
            took = time.perf_counter() - started
        resolved = Ticket.objects.filter(parent_id=outage.ticket_id, status=Status.RESOLVED).count()
        notified = Notification.objects.filter(ticket__parent_id=outage.ticket_id, kind="resolved").count()
        assert resolved == size and notified == size, (resolved, notified, size)
        return {"seconds": took, "queries": len(queries.captured_queries)}

    runs = [_rolled_back(lambda: once(children)) for _ in range(repeat)]
    smaller = _rolled_back(lambda: once(max(1, children // 10)))
    return {
        "children": children, "seconds": _figure([run["seconds"] for run in runs]),
        "queries": _figure([run["queries"] for run in runs]),
        "queries_at_a_tenth": {"children": max(1, children // 10), "queries": smaller["queries"]},
        "children_per_second": _figure([children / run["seconds"] for run in runs]),
    }


# --- Command line ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--only", choices=["sweep", "outage"], default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    results = {}
    if args.only in (None, "sweep"):
        results["sla_sweep"] = sweep_benchmark(repeat=args.repeat)
    if args.only in (None, "outage"):
        results["outage_resolve"] = outage_resolve_benchmark(children=args.children, repeat=min(args.repeat, 3))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
