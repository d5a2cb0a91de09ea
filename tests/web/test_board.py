"""The dispatcher's queue board: order, chips, filters, paging, bulk routing and re-triage."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tickets import services
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Group, Ticket

from .conftest import page_text

BOARD = "/queues/service-desk/"
BULK = "/queues/service-desk/bulk/"


@pytest.fixture
def network(db):
    return Group.objects.create(name="Networks", slug="networks")


@pytest.fixture
def make_ticket(customer, email_service):
    def make(title="Mailbox problem", *, impact="individual", urgency="impaired", service=email_service, **fields):
        ticket = services.ticket_create(actor=customer, title=title, impact=impact, urgency=urgency, service=service)
        if fields:
            Ticket.objects.filter(pk=ticket.pk).update(**fields)
            ticket.refresh_from_db()
        return ticket

    return make


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-row id="row-(\d+)"', html)]


def chip_count(html: str, name: str) -> int:
    match = re.search(rf'data-chip="{name}">[^<]*<strong>(\d+)</strong>', html)
    assert match, f"no {name} chip"
    return int(match.group(1))


def chip_href(html: str, name: str) -> str:
    match = re.search(rf'<a href="([^"]+)"[^>]*data-chip="{name}"', html)
    assert match, f"{name} chip is not a link"
    return match.group(1).replace("&amp;", "&")


def close(ticket, actor):
    services.ticket_transition(ticket_id=ticket.pk, actor=actor, to_status=Status.RESOLVED)
    services.ticket_transition(ticket_id=ticket.pk, actor=actor, to_status=Status.CLOSED)


# --- Who may see a queue -------------------------------------------------------------------------


def test_a_dispatcher_of_one_group_goes_straight_to_its_queue(client, dispatcher, service_desk):
    client.force_login(dispatcher)
    response = client.get("/queues/")
    assert response.status_code == 302
    assert response["Location"] == BOARD


def test_a_dispatcher_of_two_groups_picks_one(client, dispatcher, network):
    network.dispatchers.add(dispatcher)
    client.force_login(dispatcher)
    html = client.get("/queues/").content.decode()
    assert 'href="/queues/networks/"' in html and 'href="/queues/service-desk/"' in html


def test_a_technician_who_does_not_dispatch_gets_a_friendly_403(client, technician, service_desk):
    client.force_login(technician)
    for url in ("/queues/", BOARD, "/outages/radar/service-desk/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "The queues are for dispatchers" in response.content.decode()


def test_a_dispatcher_cannot_open_another_groups_queue(client, dispatcher, network):
    client.force_login(dispatcher)
    response = client.get("/queues/networks/")
    assert response.status_code == 403
    assert "You don&#x27;t dispatch Networks" in response.content.decode()


def test_an_administrator_sees_every_group(client, admin_user, service_desk, network):
    client.force_login(admin_user)
    html = client.get("/queues/").content.decode()
    assert "Networks" in html and "Service Desk" in html
    assert client.get("/queues/networks/").status_code == 200


# --- Order, chips and filters ---------------------------------------------------------------------


def test_unassigned_first_then_nearest_respond_by(client, dispatcher, technician, make_ticket):
    now = timezone.now()
    assigned_soon = make_ticket("Assigned, due soon", assignee=technician, respond_by=now + timedelta(minutes=5))
    later = make_ticket("Unassigned, due later", respond_by=now + timedelta(hours=5))
    sooner = make_ticket("Unassigned, due sooner", respond_by=now + timedelta(hours=1))
    client.force_login(dispatcher)
    html = client.get(BOARD).content.decode()
    assert row_ids(html) == [sooner.pk, later.pk, assigned_soon.pk]


def test_each_chip_counts_the_rows_its_link_shows(client, dispatcher, technician, make_ticket, email_service):
    from tickets.models import Service

    wifi = Service.objects.create(name="Wi-Fi", slug="wifi", default_group=email_service.default_group)
    now = timezone.now()
    make_ticket("Breached", respond_by=now - timedelta(minutes=10))
    make_ticket("Due soon", respond_by=now + timedelta(minutes=30))
    make_ticket("Wi-Fi down", service=wifi, assignee=technician, respond_by=now + timedelta(hours=3))
    make_ticket("Wi-Fi slow", service=wifi, respond_by=now + timedelta(hours=4))
    client.force_login(dispatcher)
    for view in ("", "?service=" + str(wifi.pk), "?assignee=unassigned", "?q=wi-fi"):
        html = client.get(BOARD + view).content.decode()
        assert chip_count(html, "all") == len(row_ids(html))
        for name in ("unassigned", "due_soon", "breached", "service"):
            if f'<span data-chip="{name}">' in html:
                continue  # a zero chip is not a link
            count = chip_count(html, name)
            followed = client.get(chip_href(html, name)).content.decode()
            assert count == len(row_ids(followed)), (view, name)
    html = client.get(BOARD).content.decode()
    assert (chip_count(html, "unassigned"), chip_count(html, "due_soon"), chip_count(html, "breached")) == (3, 1, 1)
    assert "Wi-Fi <strong>2</strong>" in html and "Email <strong>2</strong>" in html


def test_the_chips_poll_returns_counts_under_the_same_filters(client, dispatcher, technician, make_ticket):
    make_ticket("One", assignee=technician)
    make_ticket("Two")
    client.force_login(dispatcher)
    page = client.get(BOARD + "?assignee=unassigned").content.decode()
    assert 'hx-trigger="itsm:live" data-live-every="30"' in page and 'data-live-toggle' in page
    fragment = client.get("/queues/service-desk/chips/?assignee=unassigned", HTTP_HX_REQUEST="true").content.decode()
    assert chip_count(fragment, "all") == 1
    assert "<html" not in fragment


def test_filters_narrow_the_rows_and_live_in_the_url(client, dispatcher, technician, make_ticket):
    mine = make_ticket("Printer on fire", assignee=technician)
    other = make_ticket("Password reset")
    done = make_ticket("Old thing")
    close(done, dispatcher)
    client.force_login(dispatcher)
    assert row_ids(client.get(BOARD).content.decode()) == [other.pk, mine.pk]
    assert row_ids(client.get(BOARD + f"?assignee={technician.pk}").content.decode()) == [mine.pk]
    assert row_ids(client.get(BOARD + "?q=printer").content.decode()) == [mine.pk]
    assert row_ids(client.get(BOARD + f"?q=%23{other.pk}").content.decode()) == [other.pk]
    assert row_ids(client.get(BOARD + "?status=closed").content.decode()) == [done.pk]
    empty = client.get(BOARD + "?q=eduroam").content.decode()
    assert "Nothing matches <em>eduroam</em> in this view" in empty and "Clear filters" in empty


def test_an_empty_unassigned_view_says_what_is_waiting(client, dispatcher, technician, make_ticket):
    make_ticket("Waiting", assignee=technician, status=Status.WAIT_CUSTOMER)
    client.force_login(dispatcher)
    html = client.get(BOARD + "?assignee=unassigned").content.decode()
    assert "No unassigned tickets in Service Desk · 1 is waiting on customers" in html
    assert "status=wait_customer" in html


def test_paging_shows_the_total_and_keeps_the_selection(client, dispatcher, make_ticket):
    tickets = [make_ticket(f"Ticket {n}") for n in range(55)]
    client.force_login(dispatcher)
    first = client.get(BOARD).content.decode()
    assert "Showing 1–50 of 55 tickets" in first
    on_first = row_ids(first)
    assert len(on_first) == 50

    response = client.post("/queues/service-desk/page/", {"ticket": on_first[:2], "page": "2", "return_query": ""})
    assert response.status_code == 302
    second = client.get(response["Location"]).content.decode()
    assert "Showing 51–55 of 55 tickets · 2 selected (2 on other pages)" in second
    assert set(row_ids(second)) == {t.pk for t in tickets} - set(on_first)
    for pk in on_first[:2]:
        assert f'<input type="hidden" name="selected" value="{pk}">' in second

    back = client.post("/queues/service-desk/page/", {"selected": on_first[:2], "ticket": [row_ids(second)[0]],
                                                      "page": "1", "return_query": ""})
    first_again = client.get(back["Location"]).content.decode()
    for pk in on_first[:2]:
        assert f'value="{pk}" id="select-{pk}" checked' in first_again


# --- Bulk routing ----------------------------------------------------------------------------------


def test_bulk_assign_reports_each_ticket_in_a_polite_live_region(client, dispatcher, technician, make_ticket):
    tickets = [make_ticket(f"T{n}") for n in range(3)]
    client.force_login(dispatcher)
    response = client.post(BULK, {"ticket": [t.pk for t in tickets], "action": "assign", "assignee": technician.pk,
                                  "return_query": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="bulk-result" hx-swap-oob="innerHTML">' in html
    assert "3 updated" in html
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == technician
        assert f"#{ticket.pk} assigned to {technician}" in html
        assert re.search(rf'id="row-{ticket.pk}".*?data-assignee>{technician}<', html, re.S)
    assert 'id="board-chips"' in html and 'hx-swap-oob="true"' in html
    page = client.get(BOARD).content.decode()
    assert 'id="bulk-result" role="status" aria-live="polite"' in page


def test_bulk_move_without_javascript_redirects_with_a_message(client, dispatcher, network, make_ticket):
    tickets = [make_ticket(f"T{n}") for n in range(2)]
    client.force_login(dispatcher)
    response = client.post(BULK, {"ticket": [t.pk for t in tickets], "action": "move", "target_group": network.pk,
                                  "return_query": "q=T"}, follow=True)
    assert response.redirect_chain[0][0] == BOARD + "?q=T"
    assert "2 updated" in response.content.decode()
    assert all(t.group == network for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]))


def test_closed_tickets_are_skipped_with_the_reason_and_the_rest_go_through(client, dispatcher, technician,
                                                                            make_ticket):
    tickets = [make_ticket(f"T{n}") for n in range(3)]
    closed = make_ticket("Done")
    close(closed, dispatcher)
    client.force_login(dispatcher)
    response = client.post(BULK, {"ticket": [t.pk for t in tickets], "selected": [closed.pk], "action": "assign",
                                  "assignee": technician.pk, "return_query": ""}, HTTP_HX_REQUEST="true")
    assert f"3 updated, 1 skipped: #{closed.pk} is closed" in response.content.decode()
    closed.refresh_from_db()
    assert closed.assignee is None
    assert Ticket.objects.filter(assignee=technician).count() == 3


def test_a_ticket_moved_to_a_queue_the_dispatcher_does_not_dispatch_is_skipped(client, dispatcher, technician,
                                                                              network, make_ticket):
    tickets = [make_ticket(f"T{n}") for n in range(2)]
    moved = make_ticket("Moved", group=network)
    client.force_login(dispatcher)
    response = client.post(BULK, {"ticket": [t.pk for t in tickets], "selected": [moved.pk], "action": "assign",
                                  "assignee": technician.pk, "return_query": ""}, HTTP_HX_REQUEST="true")
    assert f"2 updated, 1 skipped: #{moved.pk} is now in Networks, which you don't dispatch" in \
        page_text(response)
    moved.refresh_from_db()
    assert (moved.assignee, moved.version) == (None, 1)
    assert Ticket.objects.filter(assignee=technician).count() == 2


def test_more_than_100_tickets_are_refused_and_nothing_changes(client, dispatcher, technician, make_ticket):
    tickets = [make_ticket(f"T{n}") for n in range(101)]
    client.force_login(dispatcher)
    ids = [t.pk for t in tickets]
    response = client.post(BULK, {"ticket": ids[:50], "selected": ids[50:], "action": "assign",
                                  "assignee": technician.pk, "return_query": ""}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422
    assert "You selected 101 tickets; one batch can change at most 100. Unselect 1 and try again." in html
    assert not Ticket.objects.filter(assignee=technician).exists()
    # The selection is kept, so the dispatcher can unselect some and send again.
    assert html.count('name="selected"') + html.count("checked") >= 101


def test_a_bulk_action_needs_a_choice(client, dispatcher, make_ticket):
    ticket = make_ticket()
    client.force_login(dispatcher)
    response = client.post(BULK, {"ticket": [ticket.pk], "action": "assign", "assignee": "", "return_query": ""},
                           follow=True)
    assert "Choose who to assign the tickets to" in response.content.decode()


def test_assigning_to_someone_outside_the_group_is_refused_per_ticket(client, dispatcher, make_user, make_ticket):
    ticket = make_ticket()
    outsider = make_user("outsider", staff=True)
    client.force_login(dispatcher)
    response = client.post(BULK, {"ticket": [ticket.pk], "action": "assign", "assignee": outsider.pk,
                                  "return_query": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


# --- Re-triage ---------------------------------------------------------------------------------------


def triage_url(ticket):
    return f"/queues/service-desk/triage/{ticket.pk}/"


def test_retriage_previews_the_new_priority_and_deadlines(client, dispatcher, make_ticket):
    ticket = make_ticket(impact="individual", urgency="not_impaired")
    client.force_login(dispatcher)
    page = client.get(triage_url(ticket)).content.decode()
    assert 'data-preview="priority"><strong>Scheduled</strong>' in page
    fragment = client.get(triage_url(ticket) + "preview/", {"impact": "university",
                                                           "urgency": "stopped_no_workaround"},
                          HTTP_HX_REQUEST="true").content.decode()
    assert 'data-preview="priority"><strong>Emergency</strong>' in fragment
    respond_by = ticket.sla_started_at + timedelta(minutes=15)
    assert f'data-preview="respond_by"><time datetime="{timezone.localtime(respond_by).isoformat()}' in fragment
    assert "calls for outage management" in fragment
    ticket.refresh_from_db()
    assert ticket.priority == "scheduled"


def test_retriage_saves_through_the_service_with_an_audit_trail(client, dispatcher, make_ticket):
    ticket = make_ticket(impact="individual", urgency="not_impaired")
    client.force_login(dispatcher)
    response = client.post(triage_url(ticket), {"impact": "department", "urgency": "stopped_no_workaround",
                                                "version": ticket.version}, follow=True)
    assert f"#{ticket.pk} re-triaged: priority High (was Scheduled)." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.impact) == ("high", "department")
    assert ticket.respond_by == ticket.sla_started_at + timedelta(hours=1)
    changed = set(AuditEvent.objects.filter(ticket=ticket, action="changed", actor=dispatcher)
                  .values_list("field", flat=True))
    assert {"impact", "urgency", "priority"} <= changed


def test_retriage_from_a_stale_copy_explains_and_keeps_the_choice(client, dispatcher, technician, make_ticket):
    ticket = make_ticket(impact="individual", urgency="not_impaired")
    stale = ticket.version
    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"title": "Changed meanwhile"})
    client.force_login(dispatcher)
    response = client.post(triage_url(ticket), {"impact": "department", "urgency": "impaired", "version": stale})
    html = response.content.decode()
    assert response.status_code == 409
    assert "<title>Error:" in html and "There is a problem" in html
    assert "Someone else changed" in html
    assert '<option value="department" selected>' in html
    ticket.refresh_from_db()
    assert ticket.impact == "individual"
    assert f'name="version" value="{ticket.version}"' in html


def test_retriage_without_a_choice_says_what_is_missing(client, dispatcher, make_ticket):
    ticket = make_ticket()
    client.force_login(dispatcher)
    html = client.post(triage_url(ticket), {"impact": "", "urgency": "impaired", "version": ticket.version}
                       ).content.decode()
    assert html.count("Choose who is affected") == 2


# --- Query budget ------------------------------------------------------------------------------------


def test_the_board_runs_the_same_number_of_queries_at_3_and_30_rows(client, dispatcher, technician, make_ticket):
    def measure(tickets) -> tuple[int, int, int]:
        counts = []
        with CaptureQueriesContext(connection) as board:
            response = client.get(BOARD)
        assert len(row_ids(response.content.decode())) == len(tickets)
        counts.append(len(board.captured_queries))
        with CaptureQueriesContext(connection) as chips:
            client.get("/queues/service-desk/chips/", HTTP_HX_REQUEST="true")
        counts.append(len(chips.captured_queries))
        # The routing itself is per ticket, so two unassigned tickets are routed each time.
        unassigned = [t for t in tickets if t.assignee_id is None][-2:]
        with CaptureQueriesContext(connection) as bulk:
            response = client.post(BULK, {"ticket": [t.pk for t in unassigned], "action": "assign",
                                          "assignee": technician.pk, "return_query": ""}, HTTP_HX_REQUEST="true")
        assert "2 updated" in response.content.decode()
        counts.append(len(bulk.captured_queries))
        for ticket in unassigned:
            ticket.refresh_from_db()
        return tuple(counts)

    client.force_login(dispatcher)
    tickets = [make_ticket(f"T{n}") for n in range(3)]
    client.get(BOARD)  # warm the session
    small = measure(tickets)
    tickets += [make_ticket(f"T{n}") for n in range(3, 30)]
    large = measure(tickets)

    assert small == large
    board, chips, bulk = large
    assert board <= 17 and chips <= 10 and bulk <= 45
