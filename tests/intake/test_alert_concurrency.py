"""The same alert from many senders at the same instant: one ticket, every delivery counted.

The dedup is the partial unique constraint on open (integration, key), not a read-then-write: on
PostgreSQL the losers of the insert race wait for the winner's commit, fail on the constraint, roll
back their savepoint and add their occurrence to the winner's group.
"""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tickets.intake.api import IntegrationThrottle
from tickets.intake.models import Alert, AlertGroup, RawEvent
from tickets.models import AuditEvent, Ticket

SENDERS = 32


@pytest.mark.django_db(transaction=True)
def test_identical_alerts_released_together_open_exactly_one_ticket(make_integration, monkeypatch):
    monkeypatch.setattr(IntegrationThrottle, "THROTTLE_RATES", {"integration": "100000/min"})
    integration = make_integration("alertmanager")
    rounds = 10 if connection.vendor == "postgresql" else 2
    for round_number in range(rounds):
        body = json.dumps({
            "version": "4", "status": "firing", "receiver": "itsm", "groupKey": f"{{}}:{{round=\"{round_number}\"}}",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
            "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "round": str(round_number)},
                        "annotations": {"summary": "Disk full"}, "startsAt": "2026-11-26T10:00:00Z",
                        "fingerprint": f"f{round_number:015d}"}],
        })
        barrier = threading.Barrier(SENDERS)
        codes: list[int] = []

        def send(barrier=barrier, codes=codes, body=body):
            client = APIClient()
            try:
                barrier.wait()
                response = client.post("/api/v1/integrations/alertmanager/", data=body, content_type="application/json",
                                       HTTP_AUTHORIZATION=f"Bearer {integration.issued.token}")
                codes.append(response.status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert codes == [200] * SENDERS, codes
        group = AlertGroup.objects.get(key__contains=f'round="{round_number}"')
        assert Ticket.objects.filter(alert_groups=group).count() == 1
        assert group.occurrences == SENDERS
        assert Alert.objects.get(group=group).occurrences == SENDERS
        assert AuditEvent.objects.filter(ticket=group.ticket, action="alert").count() == SENDERS
    assert Ticket.objects.count() == rounds
    assert RawEvent.objects.filter(state="processed").count() == rounds * SENDERS
