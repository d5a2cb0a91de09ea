"""A customer reports a problem, gets a reference, and later says the fix didn't work; and "me too"."""

import re

import pytest
from playwright.sync_api import expect

from outages import services as outages
from sla.matrix import Impact, Urgency
from tickets import services
from tickets.lifecycle import Status
from tickets.models import Service, Ticket

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_report_a_problem_then_say_it_is_still_happening(page, customer, technician):
    sign_in(page, customer)
    page.get_by_role("link", name="Report a problem").first.click()
    page.get_by_label("What are you having a problem with?").select_option(label="Something else / I'm not sure")
    page.get_by_label("Tell us what happened.").fill("The projector in room 12 shows no signal.")
    page.get_by_label("What's the problem, in a few words?").fill("Projector: no signal")
    page.get_by_label("Yes, but slowly or with difficulty").check()
    page.get_by_role("button", name="Send my report").click()

    # One answer missing: the error pattern, with focus on the summary and every answer kept.
    assert page.title().startswith("Error:")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Tell us who is affected")).to_be_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    expect(page.get_by_label("Tell us what happened.")).to_have_value("The projector in room 12 shows no signal.")
    expect(page.get_by_label("Yes, but slowly or with difficulty")).to_be_checked()
    summary.get_by_role("link", name="Tell us who is affected").click()
    page.get_by_label("Only me").check()
    page.get_by_role("button", name="Send my report").click()

    expect(page.get_by_role("heading", name="We've got your request")).to_be_visible()
    ticket = Ticket.objects.get(requester=customer)
    expect(page.locator("[data-reference]")).to_have_text(f"#{ticket.pk}")

    # Staff fix it (through the services), and the customer looks again.
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="I replaced the HDMI cable.")
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
    page.goto("/portal/")
    expect(page.locator("[data-request]").first).to_contain_text("Fixed — please confirm")
    page.get_by_role("link", name="Projector: no signal").click()
    expect(page.get_by_text("I replaced the HDMI cable.")).to_be_visible()
    expect(page.get_by_role("heading", name="Is your problem fixed?")).to_be_visible()
    page.get_by_text("No, it's still happening").click()
    page.get_by_label("What is still happening?").fill("Still no signal from the lectern PC.")
    page.get_by_role("button", name="Tell us it's still happening").click()

    expect(page.locator("[data-customer-status]")).to_have_text("We're working on it")
    expect(page.get_by_text("Still no signal from the lectern PC.")).to_be_visible()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CUSTOMER_RESPONDED


def test_picking_a_service_with_an_outage_shows_it_first_and_me_too_works(page, customer, incident_manager,
                                                                          service_desk):
    wifi = Service.objects.create(name="Wi-Fi", slug="wifi", default_group=service_desk)
    outage = outages.outage_raise(actor=incident_manager, title="No Wi-Fi in the Library",
                                  impact=Impact.MULTIPLE_BUILDINGS, urgency=Urgency.IMPAIRED, service=wifi)
    outages.plan_set(actor=incident_manager, outage_id=outage.pk, audiences=["ticket"], cadence_minutes=60)
    outages.update_post(actor=incident_manager, outage_id=outage.pk, text="Access points are being restarted.")

    sign_in(page, customer)
    page.goto("/portal/report/")
    page.get_by_label("What are you having a problem with?").select_option(label="Wi-Fi")
    notice = page.get_by_role("region", name=re.compile("We already know Wi-Fi is down"))
    expect(notice).to_contain_text("Last update")
    expect(notice).to_contain_text("next update by")
    # The notice comes before the rest of the questions.
    assert page.evaluate("""() => {
        const notice = document.querySelector('[data-outage-notice]');
        const next = document.getElementById('id_description');
        return !!(notice.compareDocumentPosition(next) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    notice.get_by_role("button", name="This is affecting me too").click()

    expect(page.get_by_role("heading", name="You're on the list for updates about Wi-Fi")).to_be_visible()
    child = Ticket.objects.get(requester=customer)
    assert child.parent_id == outage.ticket_id
    expect(page.locator("[data-reference]")).to_have_text(f"#{child.pk}")
