"""The incident manager's flow in a real browser: open the console, preview the email, send, see it land."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages import services as outages
from outages.models import Outage
from tickets import services as tickets

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def overdue_outage(incident_manager, email_service, customer):
    outage = outages.outage_raise(actor=incident_manager, title="Wi-Fi down in the Library", impact="university",
                                  urgency="stopped_no_workaround", service=email_service,
                                  incident_manager=incident_manager)
    child = tickets.ticket_create(actor=customer, title="No Wi-Fi on floor 2", impact="individual",
                                  urgency="impaired", service=email_service)
    outages.children_link(actor=incident_manager, outage_id=outage.pk, ticket_ids=[child.pk])
    outages.plan_set(actor=incident_manager, outage_id=outage.pk, audiences=["ticket"], cadence_minutes=30)
    Outage.objects.filter(pk=outage.pk).update(next_update_due_at=timezone.now() - timedelta(minutes=4))
    return outage


def test_the_incident_manager_previews_sends_and_sees_the_update_land(page, incident_manager, overdue_outage):
    sign_in(page, incident_manager)
    assert page.url.endswith("/outages/")
    page.get_by_role("link", name="Wi-Fi down in the Library").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wi-Fi down in the Library")
    countdown = page.locator("#next-update")
    expect(countdown).to_contain_text(re.compile(r"Overdue by [45] min"))

    composer = page.locator("#composer")
    composer.get_by_label("Identified").check()
    composer.get_by_label("What people need to know").fill("A failed access point controller; replacing it now.")
    composer.get_by_label(re.compile("ITS Alerts list")).check()
    composer.get_by_role("button", name="Preview email").click()

    preview = page.get_by_role("article", name="Email to ITS Alerts list")
    expect(preview).to_contain_text(f"[#{overdue_outage.pk}] Update: Wi-Fi down in the Library")
    expect(preview).to_contain_text("Identified: A failed access point controller; replacing it now.")
    expect(preview).to_contain_text("The next update will come by")
    expect(page.get_by_role("article", name=re.compile("Email to The ticket"))).to_contain_text("2 people")
    send = composer.get_by_role("button", name=re.compile(r"^Send to 2 people and 1 list$"))
    expect(send).to_be_visible()

    send.click()
    expect(page.get_by_role("status")).to_contain_text("Update sent.")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Update sent: Identified: A failed access point controller")
    expect(countdown).to_contain_text(re.compile(r"due in (29|30) min", re.IGNORECASE))
    expect(countdown).not_to_have_class(re.compile("countdown--overdue"))
    # The audiences just used stay ticked for the next update.
    expect(composer.get_by_label(re.compile("ITS Alerts list"))).to_be_checked()


def test_a_community_message_shows_as_awaiting_approval(page, incident_manager, overdue_outage):
    sign_in(page, incident_manager)
    page.goto(f"/outages/{overdue_outage.pk}/")
    composer = page.locator("#composer")
    composer.get_by_label("What people need to know").fill("Wi-Fi is down across the Library.")
    composer.get_by_label(re.compile("The entire university community")).check()
    composer.get_by_role("button", name="Preview email").click()
    expect(page.get_by_role("article", name=re.compile("Email to The entire university community"))).to_contain_text(
        "Awaiting approval before it goes out")
    composer.get_by_role("button", name=re.compile(r"^Send to")).click()

    approvals = page.get_by_role("region", name="Awaiting approval")
    expect(approvals).to_contain_text("Wi-Fi is down across the Library.")
    expect(page.locator("#timeline")).to_contain_text("Awaiting approval")
    expect(page.locator("#timeline")).to_contain_text("held for approval")
