"""My work in a real browser: keyboard use, focus under the sticky header, and the live search."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sla.matrix import Impact, Urgency
from tickets import services
from tickets.models import Channel, Ticket

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tickets(technician, customer, email_service):
    """Tickets assigned to the technician, nearest deadline first; ``tickets(n)`` returns them in list order."""

    def make(count: int, title: str = "Printer jammed") -> list[Ticket]:
        first = services.ticket_create(
            actor=technician, title=f"{title} 0", impact=Impact.INDIVIDUAL, urgency=Urgency.IMPAIRED,
            service=email_service, assignee=technician, requester=customer, channel=Channel.WEB)
        now = timezone.now()
        Ticket.objects.filter(pk=first.pk).update(respond_by=now + timedelta(hours=1))
        copies = []
        for n in range(1, count):
            copy = Ticket.objects.get(pk=first.pk)
            copy.pk, copy.title, copy.respond_by = None, f"{title} {n}", now + timedelta(hours=1, minutes=n)
            copies.append(copy)
        Ticket.objects.bulk_create(copies)
        return list(Ticket.objects.filter(title__startswith=title).order_by("respond_by"))

    return make


def current_row(page) -> str | None:
    return page.evaluate("(document.querySelector('[data-row].row--current') || {}).dataset?.ticket || null")


def test_j_and_k_move_between_rows_and_o_opens_the_ticket(page, technician, tickets):
    listed = tickets(3)
    sign_in(page, technician)
    assert page.url.endswith("/work/")

    page.keyboard.press("j")
    assert current_row(page) == str(listed[0].pk)
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert current_row(page) == str(listed[2].pk)
    expect(page.get_by_role("link", name=listed[2].title)).to_be_focused()
    page.keyboard.press("k")
    assert current_row(page) == str(listed[1].pk)

    page.keyboard.press("x")
    expect(page.get_by_role("checkbox", name=f"Select #{listed[1].pk}")).to_be_checked()
    expect(page.locator(f"[data-ticket='{listed[1].pk}']")).to_have_attribute("aria-selected", "true")

    page.keyboard.press("o")
    page.wait_for_url(f"**/tickets/{listed[1].pk}/")


def test_question_mark_lists_the_shortcuts_and_they_can_be_turned_off(page, technician, tickets):
    tickets(3)
    sign_in(page, technician)

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next / previous row")
    dialog.get_by_role("switch", name="Single-key shortcuts on").uncheck()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    page.keyboard.press("j")
    assert current_row(page) is None

    # The choice is remembered, and can be turned back on.
    page.reload()
    page.keyboard.press("j")
    assert current_row(page) is None
    page.keyboard.press("?")
    dialog.get_by_role("switch", name="Single-key shortcuts on").check()
    dialog.get_by_role("button", name="Close").click()
    page.keyboard.press("j")
    assert current_row(page) is not None


def test_typing_j_in_the_search_box_types_rather_than_moving(page, technician, tickets):
    tickets(3)
    sign_in(page, technician)

    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()
    page.keyboard.press("j")

    expect(search).to_have_value("j")
    assert current_row(page) is None


def test_the_focused_row_is_never_under_the_sticky_header(new_page, technician, tickets):
    tickets(45)
    page = new_page(width=1280, height=600)
    sign_in(page, technician)
    header_bottom = page.locator(".site-header").bounding_box()["y"] + page.locator(".site-header").bounding_box()[
        "height"]

    def focused_top() -> float:
        return page.evaluate("document.activeElement.getBoundingClientRect().top")

    for _ in range(30):
        page.keyboard.press("j")
    assert focused_top() >= header_bottom
    assert page.evaluate("window.scrollY") > 0  # the list really scrolled
    for _ in range(25):
        page.keyboard.press("k")
        assert focused_top() >= header_bottom


def test_live_search_updates_the_rows_and_the_address(page, technician, tickets):
    tickets(3)
    wifi = tickets(1, title="Eduroam drops")[0]
    sign_in(page, technician)
    expect(page.locator("[data-row]")).to_have_count(4)

    page.get_by_role("searchbox", name="Search").fill("eduroam")

    expect(page.locator("[data-row]")).to_have_count(1)
    expect(page.get_by_role("link", name=wifi.title)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/work/\?q=eduroam"))
    expect(page.locator("[data-tab=mine] [data-count]")).to_have_text("1")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()  # typing was not interrupted

    page.get_by_role("searchbox", name="Search").fill("no such words")
    expect(page.locator("[data-empty]")).to_contain_text("Nothing matches no such words in this view.")


def test_a_failed_load_says_so_and_offers_a_retry(page, technician, tickets):
    tickets(2)
    sign_in(page, technician)
    page.route(re.compile(r"/work/\?q="), lambda route: route.fulfill(status=500, body="boom"))

    page.get_by_role("searchbox", name="Search").fill("printer")

    failed = page.locator("#rows [data-load-failed]")
    expect(failed).to_contain_text("Couldn’t load tickets.")
    page.unroute(re.compile(r"/work/\?q="))
    failed.get_by_role("button", name="Try again").click()
    expect(page.locator("[data-row]")).to_have_count(2)


def test_counts_refresh_on_the_poll_without_reordering_the_rows_and_pausing_stops_them(
        page, technician, customer, email_service, tickets):
    listed = tickets(2)
    page.clock.install()
    sign_in(page, technician)
    mine = page.locator("[data-tab=mine] [data-count]")
    expect(mine).to_have_text("2")
    services.ticket_create(actor=technician, title="Arrived meanwhile", impact=Impact.INDIVIDUAL,
                           urgency=Urgency.IMPAIRED, service=email_service, assignee=technician, requester=customer,
                           channel=Channel.WEB)

    page.clock.run_for("00:31")

    expect(mine).to_have_text("3")
    # The rows under the cursor stay as they were; the new ticket waits for a reload.
    assert page.locator("[data-row]").evaluate_all("rows => rows.map(r => r.dataset.ticket)") == [
        str(ticket.pk) for ticket in listed]

    page.get_by_role("switch", name="Live updates (every 30 s)").uncheck()
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/work/counts/" in request.url else None)
    page.clock.run_for("01:05")
    page.wait_for_timeout(300)  # real time for a request to have started, had one been sent
    assert polls == []
    expect(mine).to_have_text("3")
