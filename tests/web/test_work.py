"""My work: what a technician sees in each view, in what order, and how the filters behave."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from sla.matrix import Impact, Priority, Urgency
from tickets import services
from tickets.lifecycle import Status
from tickets.models import Channel, Group, Service, Ticket

pytestmark = pytest.mark.django_db

ROW = re.compile(r'data-ticket="(\d+)"')
TAB_COUNT = re.compile(r'data-tab="([\w-]+)"[^>]*>[^<]*<strong data-count>(\d+)</strong>')


@pytest.fixture
def make_ticket(technician, customer, email_service):
    """A ticket logged through the service layer (so its SLA is real), then put in the state a test needs."""

    def make(title: str = "Printer jammed", *, assignee=technician, service=email_service, requester=customer,
             status: str | None = None, **fields) -> Ticket:
        ticket = services.ticket_create(
            actor=technician, title=title, impact=Impact.INDIVIDUAL, urgency=Urgency.IMPAIRED, service=service,
            assignee=assignee, requester=requester, channel=Channel.WEB)
        if status is not None:
            fields["status"] = status
        if fields:
            Ticket.objects.filter(pk=ticket.pk).update(**fields)
            ticket.refresh_from_db()
        return ticket

    return make


def clone(ticket: Ticket, count: int, **fields) -> None:
    """Copies of a real ticket (its SLA fields included), for lists that need many rows."""
    now = timezone.now()
    copies = []
    for n in range(count):
        copy = Ticket.objects.get(pk=ticket.pk)
        copy.pk = None
        copy.title = f"{ticket.title} {n}"
        copy.respond_by = now + timedelta(hours=2, minutes=n)
        for name, value in fields.items():
            setattr(copy, name, value)
        copies.append(copy)
    Ticket.objects.bulk_create(copies)


def rows(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def tab_counts(response) -> dict[str, int]:
    return {key: int(count) for key, count in TAB_COUNT.findall(response.content.decode())}


@pytest.fixture
def tech_client(client, technician):
    client.force_login(technician)
    return client


def test_breached_first_then_nearest_running_deadline_and_paused_last(tech_client, make_ticket, technician):
    now = timezone.now()
    paused = make_ticket("Paused: waiting for the customer's laptop")
    services.ticket_transition(ticket_id=paused.pk, actor=technician, to_status=Status.IN_PROCESS,
                               channel=Channel.WEB)
    services.ticket_transition(ticket_id=paused.pk, actor=technician, to_status=Status.WAIT_CUSTOMER,
                               channel=Channel.WEB)
    # Its deadline is the earliest of all, yet a paused clock does not compete for attention.
    Ticket.objects.filter(pk=paused.pk).update(resolve_by=now - timedelta(hours=3))
    far = make_ticket("Running, due in 5 hours", respond_by=now + timedelta(hours=5))
    near = make_ticket("Running, due in 30 minutes", respond_by=now + timedelta(minutes=30))
    breached = make_ticket("Breached an hour ago", respond_by=now - timedelta(hours=1))

    response = tech_client.get(reverse("work:mine"))

    assert rows(response) == [breached.pk, near.pk, far.pk, paused.pk]
    html = response.content.decode()
    assert 'data-sla-state="breached"' in html
    assert 'data-sla-state="paused"' in html


def test_each_tab_counts_exactly_the_rows_it_lists(tech_client, make_ticket, make_user, service_desk, customer,
                                                   technician):
    now = timezone.now()
    make_ticket("Mine, running")
    replied = make_ticket("Mine, the customer replied")
    services.entry_add(ticket_id=replied.pk, actor=customer, body="It is still broken.", channel=Channel.WEB)
    make_ticket("Mine, breached", respond_by=now - timedelta(minutes=10))
    make_ticket("Mine, waiting on the customer", status=Status.WAIT_CUSTOMER)
    make_ticket("Mine, closed", status=Status.CLOSED)
    make_ticket("Unassigned in the desk", assignee=None)
    colleague = make_user("colleague", staff=True)
    service_desk.members.add(colleague)
    make_ticket("A colleague's", assignee=colleague)
    elsewhere = Group.objects.create(name="Networks", slug="networks")
    make_ticket("Another group's", assignee=None, group=elsewhere)

    tabs = ["mine", "replied", "due", "waiting", "group-service-desk"]
    urls = [reverse("work:mine"), reverse("work:replied"), reverse("work:due"), reverse("work:waiting"),
            reverse("work:group", args=["service-desk"])]
    for query in ("", "?q=Mine", "?breached=yes"):
        counts = tab_counts(tech_client.get(reverse("work:mine") + query))
        assert list(counts) == tabs  # no tab for a group the technician is not in
        for key, url in zip(tabs, urls, strict=True):
            assert counts[key] == len(rows(tech_client.get(url + query))), (key, query)

    counts = tab_counts(tech_client.get(reverse("work:mine")))
    assert counts == {"mine": 4, "replied": 1, "due": 1, "waiting": 1, "group-service-desk": 6}


def test_customer_replied_rows_carry_a_dot_with_words(tech_client, make_ticket, customer):
    ticket = make_ticket("VPN drops")
    services.entry_add(ticket_id=ticket.pk, actor=customer, body="Happened again at 10:00.", channel=Channel.WEB)

    html = tech_client.get(reverse("work:replied")).content.decode()

    assert rows(tech_client.get(reverse("work:replied"))) == [ticket.pk]
    assert 'class="dot"' in html
    assert "(customer replied)" in html
    assert f'href="{reverse("ticket:detail", args=[ticket.pk])}" data-open' in html


def test_filters_by_status_priority_service_and_breached(tech_client, make_ticket, service_desk):
    now = timezone.now()
    wifi = Service.objects.create(name="Wi-Fi", slug="wifi", default_group=service_desk)
    new = make_ticket("New one")
    in_process = make_ticket("Being worked", status=Status.IN_PROCESS)
    high = make_ticket("High one", priority=Priority.HIGH)
    on_wifi = make_ticket("Wi-Fi one", service=wifi)
    breached = make_ticket("Late one", respond_by=now - timedelta(minutes=5))
    url = reverse("work:mine")

    assert set(rows(tech_client.get(url, {"status": "in_process"}))) == {in_process.pk}
    assert set(rows(tech_client.get(url, {"priority": "high"}))) == {high.pk}
    assert set(rows(tech_client.get(url, {"service": "wifi"}))) == {on_wifi.pk}
    assert set(rows(tech_client.get(url, {"breached": "yes"}))) == {breached.pk}
    assert set(rows(tech_client.get(url, {"status": "new", "service": "email"}))) == {new.pk, high.pk, breached.pk}
    # The chosen values stay chosen, so the page can be bookmarked and read back.
    html = tech_client.get(url, {"priority": "high"}).content.decode()
    assert '<option value="high" selected>' in html


def test_a_filter_value_it_cannot_use_is_explained_and_the_rest_still_apply(tech_client, make_ticket):
    make_ticket("Printer jammed")
    make_ticket("Eduroam drops")

    response = tech_client.get(reverse("work:mine"), {"status": "nonsense", "q": "eduroam", "service": "nope"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert html.count("Choose a status from the list") == 2  # in the summary and beside the field
    assert "Choose a service from the list" in html
    assert len(rows(response)) == 1  # the search still applied


def test_search_matches_title_description_and_id(tech_client, make_ticket):
    eduroam = make_ticket("Wi-Fi keeps dropping")
    Ticket.objects.filter(pk=eduroam.pk).update(description="On eduroam in the library")
    printer = make_ticket("Printer jammed")
    url = reverse("work:mine")

    assert rows(tech_client.get(url, {"q": "EDUROAM"})) == [eduroam.pk]
    assert rows(tech_client.get(url, {"q": "jammed"})) == [printer.pk]
    assert rows(tech_client.get(url, {"q": f"#{printer.pk}"})) == [printer.pk]


def test_nothing_matching_says_what_was_searched_and_how_to_clear_it(tech_client, make_ticket):
    make_ticket("Printer jammed")

    html = tech_client.get(reverse("work:due"), {"q": "eduroam"}).content.decode()

    assert "Nothing matches <strong>eduroam</strong> in this view." in html
    assert f'<a href="{reverse("work:due")}">Clear filters</a>' in html


def test_no_work_of_my_own_points_to_the_unassigned_tickets_in_my_group(tech_client, make_ticket):
    for n in range(4):
        make_ticket(f"Unassigned {n}", assignee=None)

    html = tech_client.get(reverse("work:mine")).content.decode()

    assert "No open tickets assigned to you — nice work." in html
    assert "4 unassigned in Service Desk" in html
    assert f'href="{reverse("work:group", args=["service-desk"])}"' in html


def test_other_empty_views_say_why(tech_client, make_ticket):
    make_ticket("Running")

    assert "None of your tickets are waiting on a customer or vendor." in tech_client.get(
        reverse("work:waiting")).content.decode()
    html = tech_client.get(reverse("work:replied")).content.decode()
    assert "No customer is waiting on an answer from you." in html
    assert "You have 1 open ticket." in html


def test_pages_of_fifty_with_a_total_and_the_filters_kept(tech_client, make_ticket):
    first = make_ticket("Printer jammed")
    clone(first, 119)
    url = reverse("work:mine")

    page1 = tech_client.get(url, {"q": "Printer"})
    assert len(rows(page1)) == 50
    assert "1–50 of 120" in page1.content.decode()
    assert f'href="{url}?q=Printer&amp;page=2"' in page1.content.decode()

    page3 = tech_client.get(url, {"q": "Printer", "page": "3"})
    assert len(rows(page3)) == 20
    assert "101–120 of 120" in page3.content.decode()
    assert set(rows(page1)).isdisjoint(rows(page3))

    assert "101–120 of 120" in tech_client.get(url, {"page": "99"}).content.decode()  # past the end: the last page
    assert "1–50 of 120" in tech_client.get(url, {"page": "two"}).content.decode()


def test_a_group_tab_lists_the_groups_open_tickets_assigned_or_not(tech_client, make_ticket, make_user, service_desk):
    colleague = make_user("colleague", staff=True)
    service_desk.members.add(colleague)
    mine = make_ticket("Mine")
    theirs = make_ticket("Theirs", assignee=colleague)
    nobody = make_ticket("Nobody's", assignee=None)
    make_ticket("Done", status=Status.CLOSED, assignee=None)

    response = tech_client.get(reverse("work:group", args=["service-desk"]))

    assert set(rows(response)) == {mine.pk, theirs.pk, nobody.pk}
    assert 'data-tab="group-service-desk"\n             aria-current="page"' in response.content.decode()
    assert tech_client.get(reverse("work:group", args=["no-such-group"])).status_code == 404


def test_a_colleague_can_open_a_groups_queue_by_link(client, make_user, make_ticket):
    outsider = make_user("outsider", staff=True)
    ticket = make_ticket("Nobody's", assignee=None)
    client.force_login(outsider)

    response = client.get(reverse("work:group", args=["service-desk"]))

    assert rows(response) == [ticket.pk]
    assert list(tab_counts(response)) == ["mine", "replied", "due", "waiting", "group-service-desk"]
    assert "just now" in response.content.decode()


def test_customers_are_turned_away_and_strangers_sent_to_sign_in(client, customer):
    assert client.get(reverse("work:mine")).status_code == 302
    client.force_login(customer)
    assert client.get(reverse("work:mine")).status_code == 403
    assert client.get(reverse("work:counts")).status_code == 403
    assert client.get(reverse("work:group", args=["service-desk"])).status_code == 403


@pytest.mark.parametrize("url_name", ["work:mine", "work:due"])
def test_the_page_runs_the_same_queries_for_3_and_30_rows(tech_client, make_ticket, customer, url_name,
                                                          django_assert_max_num_queries):
    first = make_ticket("Printer jammed", respond_by=timezone.now() - timedelta(minutes=1))
    services.entry_add(ticket_id=first.pk, actor=customer, body="Any news?", channel=Channel.WEB)
    clone(first, 2, respond_by=timezone.now() - timedelta(minutes=1))
    with django_assert_max_num_queries(10) as small:
        response = tech_client.get(reverse(url_name))
    assert len(rows(response)) == 3

    clone(first, 27, respond_by=timezone.now() - timedelta(minutes=1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = tech_client.get(reverse(url_name), {"q": "Printer"})
    assert len(rows(response)) == 30


def test_the_counts_fragment_is_the_tab_strip_alone_and_follows_new_work(tech_client, make_ticket):
    make_ticket("First")
    url = reverse("work:counts")

    response = tech_client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert '<nav id="work-tabs"' in html
    assert "<table" not in html and "<html" not in html
    assert 'hx-trigger="itsm:live" data-live-every="30"' in html
    assert tab_counts(response)["mine"] == 1

    make_ticket("Second", priority=Priority.HIGH)
    assert tab_counts(tech_client.get(url))["mine"] == 2
    # The poll keeps the page's filters, so the counts keep matching the rows on screen.
    filtered = tech_client.get(reverse("work:mine"), {"priority": "high"}).content.decode()
    assert f'hx-get="{url}?priority=high"' in filtered
    assert tab_counts(tech_client.get(url, {"priority": "high"}))["mine"] == 1
    group_counts = reverse("work:group-counts", args=["service-desk"])
    assert f'hx-get="{group_counts}"' in tech_client.get(reverse("work:group", args=["service-desk"])).content.decode()
    assert 'aria-current="page"' in tech_client.get(group_counts).content.decode()


def test_the_live_search_gets_the_rows_region_and_fresh_counts(tech_client, make_ticket):
    make_ticket("Printer jammed")
    eduroam = make_ticket("Eduroam drops")

    response = tech_client.get(reverse("work:mine"), {"q": "eduroam"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html and "<h1" not in html
    assert rows(response) == [eduroam.pk]
    assert 'hx-swap-oob="true"' in html
    assert tab_counts(response)["mine"] == 1
    assert "1–1 of 1" in html
    assert "HX-Request" in response["Vary"]


def test_the_page_has_the_live_toggle_the_search_box_and_the_poll(tech_client, make_ticket):
    make_ticket()

    html = tech_client.get(reverse("work:mine")).content.decode()

    assert "data-live-toggle" in html
    assert "data-search" in html
    assert 'hx-trigger="input changed delay:300ms, itsm:enter" data-search-on-enter' in html
    assert 'hx-push-url="true"' in html
    assert "data-row" in html
    # The failed-load message lives in the list region's handler, a static file (no inline script).
    assert '<script src="/static/itsm/work.js" defer></script>' in html
    assert "Couldn\\u2019t load tickets." in Path(finders.find("itsm/work.js")).read_text()
