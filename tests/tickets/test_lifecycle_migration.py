"""Tickets that existed before the lifecycle automation learn when they entered their status from the audit trail.

The test database is taken back to tickets 0014 (the last before the automation), filled through the
historical models, and migrated forward; then the first beat run closes the resolved ticket whose
business days have passed and moves the recent one's timer to its real time. It leaves the database
fully migrated for the tests after it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tickets.automation import resolved_tickets_close
from tickets.lifecycle import Status
from tickets.models import Ticket

BEFORE = ("tickets", "0014_auditevent_append_only")
NOW = datetime(2026, 12, 10, 15, tzinfo=UTC)  # a Thursday, 10:00 in New York


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_status_changed_at_comes_from_the_latest_status_event_and_the_automation_takes_it_from_there():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate([BEFORE] + [node for node in latest if node[0] != "tickets"])
    user = old.get_model("tickets", "User").objects.create(username="old-customer", email="old@example.edu")
    tickets, events = old.get_model("tickets", "Ticket").objects, old.get_model("tickets", "AuditEvent").objects
    created = NOW - timedelta(days=30)

    def ticket(title: str, status: str, moves: list[tuple[str, datetime]], classification: str = "incident") -> int:
        row = tickets.create(title=title, requester=user, status=status, classification=classification,
                             created_at=created, updated_at=created, sla_started_at=created)
        events.create(ticket=row, channel="web", action="created", field="status", new_value="new",
                      created_at=created)
        previous = "new"
        for to, at in moves:
            events.create(ticket=row, channel="web", action="status", field="status", old_value=previous,
                          new_value=to, created_at=at)
            previous = to
        return row.pk

    long_resolved = ticket("Old fix", "resolved", [("in_process", NOW - timedelta(days=20)),
                                                   ("resolved", NOW - timedelta(days=10))])
    just_resolved = ticket("Recent fix", "resolved", [("in_process", NOW - timedelta(days=2)),
                                                      ("resolved", NOW - timedelta(hours=1))])
    waiting = ticket("Question out", "wait_customer", [("in_process", NOW - timedelta(days=5)),
                                                       ("wait_customer", NOW - timedelta(days=4))])
    untouched = ticket("Still new", "new", [])
    outage = ticket("Outage", "resolved", [("resolved", NOW - timedelta(days=10))], classification="outage")
    no_trail = tickets.create(title="Imported", requester=user, status="in_process", created_at=created,
                              updated_at=created).pk

    migrate(latest)

    rows = {row.pk: row for row in Ticket.objects.all()}
    assert rows[long_resolved].status_changed_at == NOW - timedelta(days=10)
    assert rows[just_resolved].status_changed_at == NOW - timedelta(hours=1)
    assert rows[waiting].status_changed_at == NOW - timedelta(days=4)
    assert rows[untouched].status_changed_at == created
    assert rows[no_trail].status_changed_at == created
    # The resolved and waiting incidents are looked at by the first run; nothing else has a timer.
    assert {pk for pk, row in rows.items() if row.automation_due_at is not None} == {
        long_resolved, just_resolved, waiting}
    assert rows[outage].automation_due_at is None

    result = resolved_tickets_close(now=NOW)

    assert result.done == [(long_resolved, "auto_close")]
    assert Ticket.objects.get(pk=long_resolved).status == Status.CLOSED
    recent = Ticket.objects.get(pk=just_resolved)
    assert recent.status == Status.RESOLVED
    assert recent.automation_due_at == datetime(2026, 12, 15, 14, tzinfo=UTC)  # Fri, Mon, Tue; 09:00 New York
