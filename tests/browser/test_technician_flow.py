"""A technician works a ticket from new to resolved in a real browser; two agents see each other."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tickets import services
from tickets.models import Channel, ConversationEntry

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_presence_left_over():
    cache.clear()  # presence from an earlier run must not show up as a ghost viewer


@pytest.fixture
def ticket(customer, email_service):
    return services.ticket_create(actor=customer, title="Outlook keeps asking for my password",
                                  description="Since this morning.", impact="individual", urgency="impaired",
                                  service=email_service)


def badge(page, target: str):
    return page.locator(".sla-pair").first.locator(".sla").nth(0 if target == "respond" else 1)


@pytest.fixture
def urgent_ticket(customer, email_service):
    """High priority: its targets run on the 24x7 clock, so its badges count down at any hour of the day
    (a business-hours ticket viewed at night reads "Resumes ...")."""
    return services.ticket_create(actor=customer, title="Outlook keeps asking for my password",
                                  description="Since this morning.", impact="department",
                                  urgency="stopped_no_workaround", service=email_service)


def test_technician_responds_asks_waits_and_resolves(page, technician, customer, urgent_ticket):
    ticket = urgent_ticket
    sign_in(page, technician)
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outlook keeps asking for my password")
    expect(badge(page, "respond")).to_contain_text("Respond in")
    expect(badge(page, "resolve")).to_contain_text("Resolve in")
    expect(page.locator("[data-status]")).to_have_text("New")

    page.get_by_role("button", name="Start work").click()
    expect(page.locator("[data-status]")).to_have_text("In Process")
    expect(badge(page, "respond")).to_contain_text("Responded in")
    expect(page.get_by_role("status")).to_contain_text("Status is now “In Process”")
    expect(page.get_by_role("status")).to_be_focused()

    page.keyboard.press("r")
    message = page.get_by_label("Message")
    expect(message).to_be_focused()
    expect(page.get_by_label("Public reply (the customer sees it)")).to_be_checked()
    message.fill("Does it happen on your phone too?")
    message.press("Control+Enter")
    reply = page.locator("li.entry--public").last
    expect(reply).to_contain_text("Does it happen on your phone too?")
    expect(reply).to_contain_text("Public reply")
    expect(page.get_by_label("Message")).to_have_value("")

    page.get_by_role("button", name="Wait on customer").click()
    expect(page.locator("[data-status]")).to_have_text("Wait Customer")
    expect(badge(page, "resolve")).to_contain_text("Paused: waiting on customer")

    services.entry_add(ticket_id=ticket.pk, actor=customer, body="Yes, on my phone as well.", channel=Channel.EMAIL)
    page.reload()
    expect(page.locator("li.entry--public").last).to_contain_text("Yes, on my phone as well.")
    expect(page.locator("[data-status]")).to_have_text("In Process")
    expect(badge(page, "resolve")).to_contain_text("Resolve in")

    page.get_by_text("Resolve…").click()
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_text("Describe the fix for the customer before resolving").first).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.get_by_label("What did you do to fix it?").fill("Your password had expired; I reset it.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator("[data-status]")).to_have_text("Resolved")
    expect(page.locator("li.entry--public").last).to_contain_text("Your password had expired; I reset it.")
    expect(page.get_by_role("button", name="Close")).to_be_visible()


def test_a_second_agent_sees_viewing_then_writing(new_page, make_user, service_desk, ticket):
    ana = make_user("ana", staff=True, first_name="Ana", last_name="Ruiz")
    sam = make_user("sam", staff=True, first_name="Sam", last_name="Lee")
    service_desk.members.add(ana, sam)
    page_a, page_b = new_page(), new_page()
    sign_in(page_a, ana)
    sign_in(page_b, sam)

    page_a.goto(f"/tickets/{ticket.pk}/")
    page_b.goto(f"/tickets/{ticket.pk}/")
    presence_b = page_b.locator("#presence")
    expect(presence_b).to_contain_text("Ana Ruiz is viewing", timeout=15_000)
    expect(page_a.locator("#presence")).not_to_contain_text("Ana Ruiz")

    page_a.get_by_label("Message").press_sequentially("Looking into it")
    expect(presence_b).to_contain_text("Ana Ruiz is writing a reply…", timeout=15_000)
    expect(page_b.locator("#composer-presence")).to_contain_text("Ana Ruiz is writing a reply…")


def test_a_stale_send_is_held_and_the_draft_kept(page, technician, make_user, ticket):
    colleague = make_user("sam", staff=True, first_name="Sam", last_name="Lee")
    sign_in(page, technician)
    page.goto(f"/tickets/{ticket.pk}/")
    page.get_by_label("Message").fill("Have you tried resetting it?")
    page.reload()  # the draft survives a reload: it is saved in this browser
    expect(page.get_by_label("Message")).to_have_value("Have you tried resetting it?")

    services.entry_add(ticket_id=ticket.pk, actor=colleague, body="I reset it for her already.", internal=True,
                       channel=Channel.WEB)
    page.get_by_role("button", name="Send").click()
    news = page.get_by_role("alert").filter(has_text="new update")
    expect(news).to_contain_text("1 new update since you started")
    expect(news).to_contain_text("I reset it for her already.")
    expect(page.get_by_label("Message")).to_have_value("Have you tried resetting it?")
    assert ConversationEntry.objects.count() == 1

    page.get_by_role("button", name="Send").click()  # reviewed: the second send goes through
    expect(page.get_by_role("status")).to_contain_text("Reply sent to the customer")
    expect(page.get_by_label("Message")).to_have_value("")
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator("li.entry--public")).to_have_text(re.compile("Have you tried resetting it?"))
    assert ConversationEntry.objects.count() == 2
    page.reload()  # and the sent draft is gone from the browser's storage
    expect(page.get_by_label("Message")).to_have_value("")


def test_keyboard_assign_and_a_retriage_preview_before_saving(page, technician, ticket):
    sign_in(page, technician)
    page.goto(f"/tickets/{ticket.pk}/")
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_contain_text("Assigned to tech@example.edu")
    expect(page.locator(".ticket-header dl")).to_contain_text("tech@example.edu")

    page.get_by_label("Impact: who is affected").select_option(label="Entire University")
    page.get_by_label("Urgency: how work is affected").select_option(label="Work stopped – no workaround")
    preview = page.locator("#triage-preview")
    expect(preview).to_contain_text("If you save: priority Emergency (now Scheduled)")
    expect(preview.locator(".sla")).to_have_count(2)
    expect(page.locator(".ticket-header dl")).to_contain_text("Scheduled")  # nothing saved yet
    page.get_by_role("button", name="Save priority").click()
    expect(page.get_by_role("status")).to_contain_text("Priority is now Emergency")
    expect(page.locator(".ticket-header dl")).to_contain_text("Emergency")
