"""Accessibility checks a browser can make on every role's main pages (UX §9): labels on every control,
one h1, no information by colour alone in SLA badges, keyboard-only use, focus never under the sticky
header or the bulk bar, and colour contrast of the site's own palette."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from outages import services as outages
from tickets import services

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Every visible control without an accessible name, as "tag#id name=…"; [] when all are labelled.
UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.labels && el.labels.length && Array.from(el.labels).some(l => l.textContent.trim())) return false;
    if (el.tagName === 'BUTTON' && el.textContent.trim()) return false;
    if (el.title) return false;
    return true;
  })
  .map(el => `${el.tagName.toLowerCase()}#${el.id} name=${el.name}`)"""


@pytest.fixture
def world(customer, technician, dispatcher, incident_manager, email_service, service_desk):
    ticket = services.ticket_create(actor=customer, title="Laptop will not join eduroam", impact="individual",
                                    urgency="impaired", service=email_service)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Which building are you in?")
    outage = outages.outage_raise(actor=incident_manager, title="Mail relay down", impact="department",
                                  urgency="impaired", service=email_service, incident_manager=incident_manager)
    return {"ticket": ticket, "outage": outage}


def pages_for(world):
    ticket, outage = world["ticket"], world["outage"]
    return [
        ("customer", ["/portal/", "/portal/report/", f"/portal/requests/{ticket.pk}/"]),
        ("technician", ["/work/", f"/tickets/{ticket.pk}/", "/desk/new/"]),
        ("dispatcher", ["/queues/service-desk/", f"/queues/service-desk/triage/{ticket.pk}/"]),
        ("incident_manager", ["/outages/", f"/outages/{outage.pk}/"]),
    ]


DUPLICATE_IDS = """() => { const seen = {};
  document.querySelectorAll('[id]').forEach(el => seen[el.id] = (seen[el.id] || 0) + 1);
  return Object.keys(seen).filter(id => seen[id] > 1); }"""


def test_every_control_is_labelled_and_every_page_has_one_h1_and_a_language(new_page, request, world):
    for role, paths in pages_for(world):
        page = new_page()
        sign_in(page, request.getfixturevalue(role))
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate(UNLABELLED_CONTROLS) == [], f"{role} {path}"
            assert page.evaluate(DUPLICATE_IDS) == [], f"{role} {path}: labels and links need unique ids"
            assert page.locator("h1").count() == 1, f"{role} {path}"
            assert page.evaluate("document.documentElement.lang") == "en"
            for badge in page.locator(".sla").all():
                # Colour is the third signal: every badge has words and an icon.
                assert badge.locator(".sla__text").inner_text().strip(), f"{role} {path}"
                assert badge.locator(".sla__icon").inner_text().strip(), f"{role} {path}"


def test_a_customer_can_report_a_problem_with_the_keyboard_alone(page, customer, email_service):
    sign_in(page, customer)
    page.goto("/portal/report/")
    page.get_by_label("What are you having a problem with?").select_option(label="Email")
    page.get_by_label("Tell us what happened.").focus()
    page.keyboard.type("Outlook shows a certificate warning every time it starts.")
    page.keyboard.press("Tab")
    page.keyboard.type("Certificate warning in Outlook")
    # Radios: Tab into the group, arrows choose; nothing needs a mouse.
    page.get_by_label("Only me").focus()
    page.keyboard.press("Space")
    page.get_by_label("Yes, it's an inconvenience").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name=re.compile("Send")).focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("We've got your request")


def test_the_focused_checkbox_is_never_hidden_under_the_bulk_bar(page, dispatcher, customer, email_service):
    for number in range(40):
        services.ticket_create(actor=customer, title=f"Printer {number} jams", impact="individual",
                               urgency="impaired", service=email_service)
    sign_in(page, dispatcher)
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto("/queues/service-desk/")
    boxes = page.locator("tbody input[type=checkbox]")
    boxes.first.check()  # the sticky bulk bar appears at the bottom
    bar = page.locator(".bulk-bar")
    expect(bar).to_be_visible()
    for index in (10, 20, 30):
        boxes.nth(index).focus()
        box = boxes.nth(index).bounding_box()
        bar_box = bar.bounding_box()
        header = page.locator(".site-header").bounding_box()
        assert box["y"] + box["height"] <= bar_box["y"], f"checkbox {index} is under the bulk bar"
        assert box["y"] >= header["y"] + header["height"], f"checkbox {index} is under the header"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_badge_and_note_colours_meet_wcag_aa_contrast():
    css = (Path(__file__).resolve().parents[2] / "itsm" / "static" / "itsm" / "itsm.css").read_text()
    palette = dict(re.findall(r"--itsm-([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [("green", "#ffffff"), ("amber", "amber-bg"), ("red", "red-bg"), ("grey", "grey-bg"),
             ("grey", "#ffffff"), ("red", "#ffffff")]
    for foreground, background in pairs:
        fg = palette[foreground]
        bg = palette.get(background, background)
        assert _contrast(fg, bg) >= 4.5, f"{foreground} on {background}: {_contrast(fg, bg):.2f}"
