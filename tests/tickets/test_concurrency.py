"""Two people changing one ticket at once: exactly one wins, the others get a conflict.

Runs on both databases: PostgreSQL serialises the writers with the row lock, SQLite with its
IMMEDIATE write transactions; either way the version check sees the winner's write.
"""

import threading

import pytest
from django.db import connection

from tickets import services
from tickets.errors import VersionConflict
from tickets.models import AuditEvent, Ticket

WORKERS = 8


@pytest.mark.django_db(transaction=True)
def test_eight_technicians_claim_one_ticket_exactly_one_wins(make_user, service_desk, customer):
    technicians = [make_user(f"tech{i}", staff=True) for i in range(WORKERS)]
    service_desk.members.add(*technicians)
    for round_number in range(5):
        ticket = services.ticket_create(actor=customer, title=f"Round {round_number}", impact="individual",
                                        urgency="impaired")
        Ticket.objects.filter(pk=ticket.pk).update(group=service_desk)
        barrier = threading.Barrier(WORKERS)
        outcomes: list[str] = []

        def claim(tech, ticket_id=ticket.pk, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                services.ticket_update(ticket_id=ticket_id, actor=tech, changes={"assignee": tech},
                                       expected_version=1)
                outcomes.append("won")
            except VersionConflict:
                outcomes.append("conflict")
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(tech,)) for tech in technicians]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes) == ["conflict"] * (WORKERS - 1) + ["won"]
        ticket.refresh_from_db()
        assert ticket.version == 2
        assignments = AuditEvent.objects.filter(ticket=ticket, field="assignee")
        assert assignments.count() == 1
        assert assignments.get().new_value == str(ticket.assignee_id)
