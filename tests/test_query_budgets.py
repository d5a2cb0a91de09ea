"""Query budgets (issue #8): the busiest reads run a fixed number of queries whatever the number of rows.

Each page or endpoint is measured at two sizes (3 and 30 tickets, entries, events or children); the
counts must be equal, so an N+1 (a query per row) fails here before it reaches a million tickets.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outages import services as outages
from tickets import services as tickets
from tickets.lifecycle import Status
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 30


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


@pytest.fixture
def report(technician, email_service, make_user):
    """A ticket from a customer of its own, some picked up by the technician (assignee, status)."""
    counter = {"n": 0}

    def make(**fields) -> Ticket:
        counter["n"] += 1
        n = counter["n"]
        requester = make_user(f"requester{n}")
        ticket = tickets.ticket_create(actor=technician, requester=requester, title=f"Printer {n} jams",
                                       impact="individual", urgency="impaired", service=email_service, **fields)
        if n % 2:
            tickets.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": technician})
            tickets.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
        return ticket

    return make


def test_the_ticket_list_is_a_fixed_number_of_queries(api, technician, report):
    client = api(technician)
    for _ in range(SMALL):
        report()
    client.get("/api/v1/tickets/")  # first-use caches (content types, permissions)
    small = queries(client, "/api/v1/tickets/")
    filtered = queries(client, "/api/v1/tickets/?status=new&status=in_process&ordering=respond_by")
    for _ in range(LARGE - SMALL):
        report()

    assert queries(client, "/api/v1/tickets/") == small
    assert queries(client, "/api/v1/tickets/?status=new&status=in_process&ordering=respond_by") == filtered


def test_a_customers_ticket_list_is_a_fixed_number_of_queries(api, customer, technician, email_service):
    def log(count: int) -> None:
        for n in range(count):
            ticket = tickets.ticket_create(actor=customer, title=f"Laptop {n}", impact="individual",
                                           urgency="impaired", service=email_service)
            tickets.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": technician})

    client = api(customer)
    log(SMALL)
    client.get("/api/v1/tickets/")
    small = queries(client, "/api/v1/tickets/")
    log(LARGE - SMALL)
    assert queries(client, "/api/v1/tickets/") == small


def test_the_ticket_detail_is_a_fixed_number_of_queries(api, technician, customer, report):
    ticket = report()
    client = api(technician)

    def converse(count: int) -> None:
        for n in range(count):
            tickets.entry_add(ticket_id=ticket.pk, actor=technician, body=f"Step {n}", internal=bool(n % 2))

    converse(SMALL)
    url = f"/api/v1/tickets/{ticket.pk}/"
    client.get(url)
    small = queries(client, url)
    converse(LARGE - SMALL)
    assert queries(client, url) == small


def test_the_queue_page_is_a_fixed_number_of_queries(client, dispatcher, report):
    client.force_login(dispatcher)
    for _ in range(SMALL):
        report()
    client.get("/queues/service-desk/")
    small = queries(client, "/queues/service-desk/")
    for _ in range(LARGE - SMALL):
        report()
    assert queries(client, "/queues/service-desk/") == small


def test_the_outage_console_is_a_fixed_number_of_queries(client, incident_manager, admin_user, email_service,
                                                         report):
    run = outages.outage_raise(actor=incident_manager, title="Print servers down", impact="university",
                               urgency="stopped_no_workaround", service=email_service)
    outage = outages.incident_manager_set(actor=admin_user, outage_id=run.pk, user=incident_manager)
    client.force_login(incident_manager)

    def grow(count: int) -> None:
        for n in range(count):
            outages.children_link(actor=incident_manager, outage_id=outage.pk, ticket_ids=[report().pk])
            outages.update_post(actor=incident_manager, outage_id=outage.pk, text=f"Still working on it ({n}).")

    grow(SMALL)
    url = f"/outages/{outage.pk}/"
    client.get(url)
    small = queries(client, url)
    grow(LARGE - SMALL)
    assert queries(client, url) == small
