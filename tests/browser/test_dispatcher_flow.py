"""The dispatcher's day in a real browser: bulk-assign from the queue, re-triage a ticket, raise an outage."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages.models import Outage
from tickets import services
from tickets.models import Service, Ticket

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def report(customer, service, title, *, minutes_ago=0):
    ticket = services.ticket_create(actor=customer, title=title, impact="individual", urgency="not_impaired",
                                    service=service)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return ticket


def test_bulk_assign_then_retriage(page, dispatcher, technician, customer, email_service):
    tickets = [report(customer, email_service, f"Mailbox full {n}", minutes_ago=60 * n) for n in range(4)]
    sign_in(page, dispatcher)
    expect(page).to_have_url(re.compile(r"/queues/service-desk/$"))
    expect(page.get_by_role("heading", name="Service Desk queue")).to_be_visible()
    bar = page.locator(".bulk-bar")
    expect(bar).to_be_hidden()

    # Two by mouse, one by keyboard: j moves to the next row, x ticks it.
    rows = page.locator("tbody tr[data-row]")
    first, second, third = (int(rows.nth(i).get_attribute("data-ticket")) for i in range(3))
    page.get_by_role("checkbox", name=re.compile(f"Select #{first} ")).check()
    page.get_by_role("checkbox", name=re.compile(f"Select #{second} ")).check()
    expect(bar).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(3):
        page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_role("checkbox", name=re.compile(f"Select #{third} "))).to_be_checked()

    page.get_by_label("Assign to").select_option(label=str(technician))
    page.get_by_role("button", name="Assign selected").click()

    result = page.locator("#bulk-result")
    expect(result).to_contain_text("3 updated")
    assert result.get_attribute("role") == "status" and result.get_attribute("aria-live") == "polite"
    for pk in (first, second, third):
        expect(page.locator(f"#row-{pk} [data-assignee]")).to_have_text(str(technician))
    expect(page.locator("[data-chip=unassigned] strong")).to_have_text("1")
    assert Ticket.objects.filter(assignee=technician).count() == 3

    # Re-triage the one left: the preview changes before anything is saved.
    left = next(t for t in tickets if t.pk not in (first, second, third))
    page.get_by_role("link", name=f"Re-triage #{left.pk}").click()
    expect(page.locator('[data-preview="priority"]')).to_have_text("Scheduled")
    old_respond = page.locator('[data-preview="respond_by"] time').get_attribute("datetime")
    page.get_by_label("Impact").select_option("department")
    page.get_by_label("Urgency").select_option("stopped_no_workaround")
    expect(page.locator('[data-preview="priority"]')).to_have_text("High")
    assert page.locator('[data-preview="respond_by"] time').get_attribute("datetime") != old_respond
    left.refresh_from_db()
    assert left.priority == "scheduled"

    page.get_by_role("button", name="Save priority").click()
    expect(page.get_by_role("status").first).to_contain_text(f"#{left.pk} re-triaged: priority High")
    expect(page.locator(f"#row-{left.pk} [data-priority]")).to_have_text("High")


def test_raise_an_outage_from_the_banner(page, dispatcher, customer, service_desk):
    wifi = Service.objects.create(name="Wi-Fi (eduroam)", slug="wifi", default_group=service_desk)
    tickets = [report(customer, wifi, f"No Wi-Fi in room {n}", minutes_ago=n * 3) for n in range(3)]
    sign_in(page, dispatcher)
    banner = page.get_by_role("region", name="Looks like an outage")
    expect(banner).to_contain_text("3 new tickets about Wi-Fi (eduroam) in 6 min")
    banner.get_by_role("button", name="Raise an outage and link them").click()
    page.wait_for_url(re.compile(r"/outages/\d+/$"))
    outage = Outage.objects.get()
    assert page.url.endswith(f"/outages/{outage.pk}/")
    assert set(outage.ticket.children.values_list("pk", flat=True)) == {t.pk for t in tickets}
