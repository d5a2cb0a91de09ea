"""``manage.py generate_load --tickets N --seed S``: a realistic data set for benchmarks.

About 85 % of the tickets are closed and the rest spread over the open statuses; impact, urgency,
services, groups and customers follow skewed distributions (most reports are one person's, a few
services and customers account for most tickets); each ticket has its conversation and audit trail;
a few outages carry many children. SLA deadlines are computed with the real clocks and matrix, and
the thresholds that have passed are marked as the sweep would have marked them, so a sweep over the
result finds nothing due.

Rows go in by PostgreSQL's COPY (``executemany`` on SQLite), in batches: one save per row would take
hours at a million tickets. The command lives in ``outages`` because it writes both rooms' tables and
dependencies point ``outages → tickets``.
"""

import csv
import io
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from outages.models import Outage
from sla.calendars import ClockCache
from sla.matrix import cell_for
from sla.services import WARNING_FRACTION
from sla.thresholds import next_check_at
from tickets.lifecycle import Status
from tickets.models import AuditEvent, ConversationEntry, Group, Service, Ticket, User

STATUS_WEIGHTS = {
    Status.CLOSED: 85.0, Status.CANCELLED: 2.0, Status.RESOLVED: 1.0, Status.NEW: 4.0, Status.IN_PROCESS: 5.0,
    Status.WAIT_CUSTOMER: 1.5, Status.WAIT_VENDOR: 0.5, Status.CUSTOMER_RESPONDED: 1.0,
}
IMPACT_WEIGHTS = {
    "individual": 70, "building": 8, "department": 12, "multiple_buildings": 3, "multiple_departments": 2,
    "university": 1, "its_operations": 4,
}
URGENCY_WEIGHTS = {"impaired": 55, "not_impaired": 20, "stopped_workaround": 15, "stopped_no_workaround": 10}
SOURCE_WEIGHTS = {"portal": 45, "email": 35, "phone": 10, "walk_in": 3, "chat": 4, "monitoring": 3}
SUBJECTS = [
    "Cannot sign in to {s}", "{s} is very slow", "Error message in {s}", "{s} not working in my office",
    "Request access to {s}", "{s} keeps disconnecting", "Password problem with {s}", "{s} shows a blank page",
]
TICKET_COLUMNS = [
    "id", "classification", "title", "description", "status", "impact", "urgency", "source", "requester_id",
    "service_id", "group_id", "assignee_id", "parent_id", "created_at", "updated_at", "responded_at", "resolved_at",
    "closed_at", "version", "impact_category", "priority", "sla_clock", "sla_process", "sla_small_reason",
    "sla_started_at", "sla_pauses", "sla_paused", "respond_by", "resolve_by", "respond_warn_at", "resolve_warn_at",
    "respond_warned", "resolve_warned", "respond_breached", "resolve_breached", "sla_next_check_at",
    "sla_reevaluate_at",
]
ENTRY_COLUMNS = ["ticket_id", "author_id", "visibility", "body", "channel", "created_at"]
EVENT_COLUMNS = ["ticket_id", "actor_id", "channel", "action", "field", "old_value", "new_value", "internal",
                 "created_at"]


@dataclass
class World:
    services: list[Service]
    service_weights: list[float]  # cumulative, for random.choices(cum_weights=...)
    customers: list[int]
    customer_weights: list[float]  # cumulative
    technicians: list[int]


def _zipf(count: int, exponent: float = 1.1) -> list[float]:
    """Cumulative Zipf weights: a few services and customers account for most tickets.

    Cumulative, because ``random.choices(weights=...)`` re-sums the list on every call: at a million
    tickets and 25,000 customers that alone would take longer than the whole load.
    """
    return list(accumulate(1 / (rank ** exponent) for rank in range(1, count + 1)))


def _cumulative(weights: dict) -> tuple[list, list[float]]:
    return list(weights), list(accumulate(weights.values()))


STATUSES, STATUS_CUM = _cumulative(STATUS_WEIGHTS)
IMPACTS, IMPACT_CUM = _cumulative(IMPACT_WEIGHTS)
URGENCIES, URGENCY_CUM = _cumulative(URGENCY_WEIGHTS)
SOURCES, SOURCE_CUM = _cumulative(SOURCE_WEIGHTS)


class Command(BaseCommand):
    help = "Generate a realistic benchmark data set of N tickets (bulk inserts; PostgreSQL uses COPY)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--batch", type=int, default=20_000, help="Tickets per COPY batch.")
        parser.add_argument("--outages", type=int, default=3, help="Outages, each with many children.")
        parser.add_argument("--children", type=int, default=None,
                            help="Children per outage (default: 1 in 500 tickets, at least 10).")

    def handle(self, *args, tickets: int, seed: int, batch: int, outages: int, children: int | None, **options):
        if tickets < 1:
            raise CommandError("--tickets must be at least 1.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        started = time.monotonic()
        rng = random.Random(seed)
        now = timezone.now()
        world = self._world(rng, tickets, seed)
        clocks = ClockCache()
        children = children if children is not None else max(10, tickets // 500)
        outage_ids = self._outages(rng, world, now, outages, clocks)
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        made = 0
        while made < tickets:
            size = min(batch, tickets - made)
            rows: list[Ticket] = []
            entries: list[tuple] = []
            events: list[tuple] = []
            for offset in range(size):
                number = made + offset
                parent = outage_ids[number % len(outage_ids)] if outage_ids and number < children * len(
                    outage_ids) else None
                ticket = self._ticket(rng, world, first_id + number, now, clocks, parent)
                rows.append(ticket)
                self._history(rng, world, ticket, entries, events)
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Generated data can be made again from its seed: no need to wait for each WAL flush.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                _copy("tickets_ticket", TICKET_COLUMNS, rows)
                _copy("tickets_conversationentry", ENTRY_COLUMNS, entries)
                _copy("tickets_auditevent", EVENT_COLUMNS, events)
            made += size
            rate = made / max(time.monotonic() - started, 1e-9)
            self.stdout.write(f"{made:>10,} tickets  ({rate:,.0f}/s)")
        _reset_sequences()
        _vacuum_analyze()
        self.stdout.write(self.style.SUCCESS(
            f"Generated {tickets:,} tickets with seed {seed} in {time.monotonic() - started:.1f} s."))

    # --- reference data ---------------------------------------------------------------------------

    def _world(self, rng: random.Random, tickets: int, seed: int) -> World:
        prefix = f"load{seed}"
        groups = [Group.objects.get_or_create(slug=f"{prefix}-group-{i}",
                                              defaults={"name": f"Load group {seed}-{i}"})[0] for i in range(12)]
        services = [Service.objects.get_or_create(
            slug=f"{prefix}-service-{i}",
            defaults={"name": f"Load service {seed}-{i}", "default_group": groups[i % len(groups)]})[0]
            for i in range(40)]
        customer_count = max(50, tickets // 40)
        customers = self._users(f"{prefix}-customer", customer_count, staff=False)
        technicians = self._users(f"{prefix}-tech", 80, staff=True)
        for index, group in enumerate(groups):
            group.members.add(*technicians[index * 6:(index + 1) * 6 + 2])
        return World(services=services, service_weights=_zipf(len(services)), customers=customers,
                     customer_weights=_zipf(len(customers), 0.8), technicians=technicians)

    def _users(self, prefix: str, count: int, *, staff: bool) -> list[int]:
        existing = set(User.objects.filter(username__startswith=prefix + "-").values_list("username", flat=True))
        new = [User(username=f"{prefix}-{i:07d}", email=f"{prefix}-{i:07d}@load.example.edu", password="!",
                    is_staff=staff, first_name="Load", last_name=f"{i:07d}")
               for i in range(count) if f"{prefix}-{i:07d}" not in existing]
        User.objects.bulk_create(new, batch_size=5000)
        return list(User.objects.filter(username__startswith=prefix + "-").order_by("id").values_list("id", flat=True))

    def _outages(self, rng: random.Random, world: World, now: datetime, count: int, clocks: ClockCache) -> list[int]:
        ids = []
        for index in range(count):
            service = world.services[index % len(world.services)]
            start = now - timedelta(minutes=20 + 10 * index)  # recent: their clocks still run
            outage = Ticket(classification="outage", title=f"{service.name} unavailable", status=Status.IN_PROCESS,
                            impact="university", urgency="stopped_no_workaround", source="staff",
                            requester_id=world.technicians[0], service=service, group_id=service.default_group_id,
                            assignee_id=world.technicians[0], created_at=start, updated_at=start)
            _apply_sla(outage, start, now, clocks, responded_at=start + timedelta(minutes=5))
            outage.save()
            Outage.objects.create(ticket=outage, incident_manager_id=world.technicians[0], created_at=start,
                                  audiences=["ticket"], cadence_minutes=60, next_update_due_at=now + timedelta(
                                      minutes=30))
            ids.append(outage.pk)
        return ids

    # --- one ticket -------------------------------------------------------------------------------

    def _ticket(self, rng: random.Random, world: World, pk: int, now: datetime, clocks: ClockCache,
                parent: int | None) -> Ticket:
        status = rng.choices(STATUSES, cum_weights=STATUS_CUM)[0]
        if parent is not None:
            status = rng.choice([Status.NEW, Status.IN_PROCESS])
        impact = rng.choices(IMPACTS, cum_weights=IMPACT_CUM)[0]
        urgency = rng.choices(URGENCIES, cum_weights=URGENCY_CUM)[0]
        service = rng.choices(world.services, cum_weights=world.service_weights)[0]
        requester = rng.choices(world.customers, cum_weights=world.customer_weights)[0]
        if status in (Status.CLOSED, Status.CANCELLED):
            created = now - timedelta(minutes=rng.randint(60 * 24 * 20, 60 * 24 * 365 * 3))
        else:
            created = now - timedelta(minutes=rng.randint(5, 60 * 24 * 14))
        assignee = None if status == Status.NEW and rng.random() < 0.7 else rng.choice(world.technicians)
        ticket = Ticket(
            id=pk, classification="incident", title=rng.choice(SUBJECTS).format(s=service.name),
            description="Generated for benchmarks.", status=status, impact=impact, urgency=urgency,
            source=rng.choices(SOURCES, cum_weights=SOURCE_CUM)[0],
            requester_id=requester, service_id=service.pk, group_id=service.default_group_id, assignee_id=assignee,
            parent_id=parent, created_at=created, updated_at=created, version=1,
        )
        ticket.service = service
        cell = cell_for(impact, urgency)
        respond_after = timedelta(minutes=rng.randint(5, max(6, int(cell.respond.total_seconds() // 60))))
        responded = created + respond_after if status != Status.NEW else None
        resolved = closed = None
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved = (responded or created) + timedelta(minutes=rng.randint(10, 60 * 24 * 3))
            resolved = min(resolved, now - timedelta(minutes=1))
            closed = resolved + timedelta(days=rng.randint(1, 5)) if status == Status.CLOSED else None
            closed = min(closed, now) if closed else None
        if responded is not None:
            responded = min(responded, now - timedelta(minutes=1))
        _apply_sla(ticket, created, now, clocks, responded_at=responded, resolved_at=resolved)
        ticket.closed_at = closed
        ticket.updated_at = closed or resolved or responded or created
        return ticket

    def _history(self, rng: random.Random, world: World, ticket: Ticket, entries: list, events: list) -> None:
        created = ticket.created_at
        events.append((ticket.pk, ticket.requester_id, "web", AuditEvent.Action.CREATED, "status", "", "new", False,
                       created))
        tech = ticket.assignee_id or world.technicians[ticket.pk % len(world.technicians)]
        path = {Status.NEW: [], Status.IN_PROCESS: ["in_process"],
                Status.WAIT_CUSTOMER: ["in_process", "wait_customer"],
                Status.WAIT_VENDOR: ["in_process", "wait_vendor"],
                Status.RESOLVED: ["in_process", "resolved"], Status.CLOSED: ["in_process", "resolved", "closed"],
                Status.CUSTOMER_RESPONDED: ["in_process", "resolved", "customer_responded"],
                Status.CANCELLED: ["cancelled"]}[Status(ticket.status)]
        moment, previous = ticket.responded_at or created + timedelta(minutes=1), "new"
        for step in path:
            if step == "resolved" and ticket.resolved_at:
                moment = ticket.resolved_at
            elif step == "closed" and ticket.closed_at:
                moment = ticket.closed_at
            else:
                moment = moment + timedelta(minutes=rng.randint(1, 90))
            events.append((ticket.pk, tech, "web", AuditEvent.Action.STATUS, "status", previous, step, False, moment))
            previous = step
        if ticket.status != Status.NEW:
            reply_at = (ticket.responded_at or created) + timedelta(seconds=30)
            entries.append((ticket.pk, tech, "public", "Thanks, we are looking into it.", "web", reply_at))
            events.append((ticket.pk, tech, "web", AuditEvent.Action.REPLIED, "", "", "", False, reply_at))
            if rng.random() < 0.5:
                entries.append((ticket.pk, ticket.requester_id, "public", "Thank you; it still happens this morning.",
                                "email", reply_at + timedelta(minutes=rng.randint(5, 600))))
            if rng.random() < 0.3:
                entries.append((ticket.pk, tech, "internal", "Checked the logs; see the vendor case.", "web",
                                reply_at + timedelta(minutes=rng.randint(1, 300))))


def _apply_sla(ticket: Ticket, start: datetime, now: datetime, clocks: ClockCache, *,
               responded_at: datetime | None = None, resolved_at: datetime | None = None) -> None:
    """Deadlines from the real matrix and clock; thresholds already passed marked as the sweep marks them."""
    cell = cell_for(ticket.impact, ticket.urgency)
    clock = clocks.clock(cell.clock, None)
    ticket.impact_category, ticket.priority, ticket.sla_clock = cell.impact_category, cell.priority, cell.clock
    ticket.sla_process, ticket.sla_small_reason = cell.process, ""
    ticket.sla_started_at = start
    ticket.respond_by = clock.add(start, cell.respond)
    ticket.resolve_by = clock.add(start, cell.resolve)
    ticket.respond_warn_at = clock.add(start, cell.respond * WARNING_FRACTION)
    ticket.resolve_warn_at = clock.add(start, cell.resolve * WARNING_FRACTION)
    ticket.responded_at, ticket.resolved_at = responded_at, resolved_at
    waiting = ticket.status in (Status.WAIT_CUSTOMER, Status.WAIT_VENDOR, Status.RESOLVED)
    pause_from = max(start, (responded_at or start)) + timedelta(minutes=30)
    ticket.sla_pauses = [{"status": ticket.status, "from": min(pause_from, now).isoformat(), "until": None}] \
        if waiting else []
    ticket.sla_paused = waiting
    ticket.respond_breached = (responded_at or now) > ticket.respond_by
    ticket.resolve_breached = (resolved_at or now) > ticket.resolve_by
    ticket.respond_warned = ticket.respond_breached or now >= ticket.respond_warn_at
    ticket.resolve_warned = ticket.resolve_breached or now >= ticket.resolve_warn_at
    ticket.sla_next_check_at = next_check_at(ticket)
    ticket.sla_reevaluate_at = None


def _rows(columns: list[str], rows: list) -> list[tuple]:
    # SQLite compares timestamps as text, so they must be in Django's own stored form there.
    stamp = datetime.isoformat if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value

    def value(item):
        if isinstance(item, datetime):
            return stamp(item)
        if isinstance(item, list | dict):
            return json.dumps(item)
        return item

    if rows and isinstance(rows[0], Ticket):
        return [tuple(value(getattr(row, column)) for column in columns) for row in rows]
    return [tuple(value(item) for item in row) for row in rows]


def _copy(table: str, columns: list[str], rows: list) -> None:
    if not rows:
        return
    values = _rows(columns, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in values:
                writer.writerow(["\\N" if item is None else item for item in row])
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values)


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Ticket, ConversationEntry, AuditEvent):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")


def _vacuum_analyze() -> None:
    """Planner statistics and the visibility map as a running system has them (autovacuum would get there
    later): without them the first benchmarks would measure a freshly bulk-loaded table."""
    if connection.vendor != "postgresql":
        return
    # VACUUM cannot run inside a transaction (a caller's, or a test's); ANALYZE alone can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (Ticket, ConversationEntry, AuditEvent):
            cursor.execute(f"{command} {model._meta.db_table}")
