"""The customer portal: questions, the error pattern, the outage banner, a request's page, "me too"."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outages import services as outages
from sla.matrix import Impact, Urgency
from tickets import selectors, services
from tickets.lifecycle import Status
from tickets.models import Channel, Ticket

from .conftest import page_text

pytestmark = pytest.mark.django_db


def make_ticket(user, title="Printer jammed", service=None, **extra):
    return services.ticket_create(actor=user, title=title, description="It beeps.", impact=Impact.INDIVIDUAL,
                                  urgency=Urgency.IMPAIRED, service=service, channel=Channel.WEB, **extra)


def raise_outage(manager, service, title="Wi-Fi is down in the Library", priority_urgency=Urgency.IMPAIRED):
    outage = outages.outage_raise(actor=manager, title=title, impact=Impact.MULTIPLE_BUILDINGS,
                                  urgency=priority_urgency, service=service)
    outages.plan_set(actor=manager, outage_id=outage.pk, audiences=["ticket"], cadence_minutes=60)
    outages.update_post(actor=manager, outage_id=outage.pk, text="We're looking at the access points.")
    return outage


def valid_answers(**overrides):
    data = {"service": "other", "description": "The screen goes blank when I log in.",
            "title": "Blank screen", "who": "only_me", "work": "slowly"}
    data.update(overrides)
    return data


# --- The report form: plain questions (checklist 14) ------------------------------------------

def test_the_report_form_asks_plain_questions_with_i_am_not_sure_and_no_asterisks(client, customer, wifi):
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:report")))
    for words in ("What are you having a problem with?", "Tell us what happened.", "Who is affected?",
                  "Can you still work?", "What's the problem, in a few words?", "Something else / I'm not sure",
                  "Wi-Fi"):
        assert words in text
    assert text.count("I'm not sure") >= 2
    assert 'type="radio" name="who"' in text and 'type="radio" name="work"' in text
    assert "Screenshots or files (optional)" in text
    form = text[text.index("<form method=\"post\" enctype"):]
    assert "*" not in form
    assert "novalidate" in form


@pytest.mark.parametrize(("who", "work", "impact", "urgency"), [
    ("only_me", "slowly", Impact.INDIVIDUAL, Urgency.IMPAIRED),
    ("everyone", "cannot_work", Impact.UNIVERSITY, Urgency.STOPPED_NO_WORKAROUND),
    ("not_sure", "not_sure", Impact.INDIVIDUAL, Urgency.IMPAIRED),
    ("several_people", "inconvenience", Impact.DEPARTMENT, Urgency.NOT_IMPAIRED),
])
def test_answers_map_onto_impact_and_urgency_and_the_reference_is_shown(client, customer, who, work, impact,
                                                                         urgency):
    client.force_login(customer)
    response = client.post(reverse("portal:report"), valid_answers(who=who, work=work))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == reverse("portal:sent", args=[ticket.pk])
    assert (ticket.impact, ticket.urgency) == (impact, urgency)
    assert ticket.requester == customer and ticket.source == "portal" and ticket.service is None
    confirmation = page_text(client.get(response.url))
    assert f"#{ticket.pk}" in confirmation and "What happens next" in confirmation


def test_a_report_keeps_its_service_and_files(client, customer, wifi):
    client.force_login(customer)
    upload = SimpleUploadedFile("error.txt", b"Error 0x800", content_type="text/plain")
    client.post(reverse("portal:report"), {**valid_answers(service=str(wifi.pk)), "outage_seen": "",
                                           "files": [upload]})
    ticket = Ticket.objects.get()
    assert ticket.service == wifi and ticket.group == wifi.default_group
    attachment = ticket.attachments.get()
    page = page_text(client.get(reverse("portal:request", args=[ticket.pk])))
    assert "error.txt" in page
    download = client.get(reverse("portal:attachment", args=[ticket.pk, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"Error 0x800"


def test_ask_for_something_is_the_same_form_with_other_words_and_gentle_defaults(client, customer):
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:ask")))
    assert "<h1>Ask for something</h1>" in text and "Tell us what you need." in text
    assert re.search(r'value="only_me"[^>]*checked', text) and re.search(r'value="inconvenience"[^>]*checked', text)


# --- The error pattern (checklist 15) ---------------------------------------------------------

def test_missing_answers_follow_the_govuk_error_pattern_and_keep_values(client, customer):
    client.force_login(customer)
    response = client.post(reverse("portal:report"), {"service": "other", "title": "Blank screen", "work": "slowly"})
    text = page_text(response)
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert re.search(r"<title>Error: ", text)
    summary = text[text.index("data-error-summary"):text.index("</div>", text.index("data-error-summary"))]
    assert "There is a problem" in summary
    assert 'href="#id_description"' in summary and 'href="#id_who_0"' in summary
    for message in ("Tell us what happened", "Tell us who is affected"):
        # In the summary and next to the field, the same words (the label "Tell us what happened." aside).
        assert len(re.findall(re.escape(message) + r"(?!\.)", text)) == 2
    assert "Tell us the problem in a few words" not in text
    assert text.index("data-error-summary") < text.index("<h1>")
    assert 'value="Blank screen"' in text
    assert re.search(r'value="slowly"[^>]*checked', text)
    assert 'aria-invalid="true"' in text


def test_files_chosen_on_a_form_with_errors_must_be_chosen_again_and_it_says_so(client, customer):
    client.force_login(customer)
    upload = SimpleUploadedFile("shot.txt", b"hello", content_type="text/plain")
    text = page_text(client.post(reverse("portal:report"), {"service": "other", "files": [upload]}))
    assert "Choose your files again" in text


# --- Outages before the form (checklist 16) and "me too" --------------------------------------

def test_picking_a_service_with_an_outage_shows_it_with_last_and_next_update(client, customer, incident_manager,
                                                                             wifi):
    raise_outage(incident_manager, wifi)
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:report_outage"), {"service": wifi.pk}, HTTP_HX_REQUEST="true"))
    assert "We already know Wi-Fi is down" in text
    assert "since <time" in text and "Last update <time" in text and "next update by <time" in text
    assert "This is affecting me too" in text and "My problem is different" in text
    assert page_text(client.get(reverse("portal:report_outage"), {"service": "other"})).strip() == ""


def test_without_javascript_the_outage_is_a_second_step_before_the_report_is_sent(client, customer,
                                                                                   incident_manager, wifi):
    raise_outage(incident_manager, wifi)
    client.force_login(customer)
    first = page_text(client.post(reverse("portal:report"), valid_answers(service=str(wifi.pk))))
    assert Ticket.objects.filter(requester=customer).count() == 0
    assert "We already know Wi-Fi is down" in first and "Error:" not in first
    assert 'value="Blank screen"' in first
    assert first.index("We already know") < first.index("Tell us what happened.")
    response = client.post(reverse("portal:report"), {**valid_answers(service=str(wifi.pk)), "different": "1"})
    assert response.status_code == 302
    assert Ticket.objects.get(requester=customer).parent is None


def test_affecting_me_too_creates_one_linked_ticket_and_subscribes_the_person(client, customer, incident_manager,
                                                                              wifi):
    outage = raise_outage(incident_manager, wifi)
    client.force_login(customer)
    join_url = reverse("affected:join", args=[outage.pk])
    response = client.post(join_url, valid_answers(service=str(wifi.pk)))
    assert response.url == reverse("affected:joined", args=[outage.pk])
    child = Ticket.objects.get(requester=customer)
    assert child.parent_id == outage.ticket_id and child.title == "Blank screen"
    assert customer in outages.affected_users(outage)
    assert child.notifications.filter(kind="outage_known").count() == 1
    text = page_text(client.get(response.url))
    assert "You're on the list for updates about Wi-Fi" in text and f"#{child.pk}" in text

    client.post(join_url)  # a second click
    assert Ticket.objects.filter(requester=customer).count() == 1
    again = page_text(client.get(reverse("affected:joined", args=[outage.pk])))
    assert "already on the list" in again and f"#{child.pk}" in again


def test_joining_an_outage_that_is_over_explains_itself(client, customer, incident_manager, wifi):
    outage = raise_outage(incident_manager, wifi)
    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk, all_clear="Fixed a broken switch.")
    client.force_login(customer)
    response = client.post(reverse("affected:join", args=[outage.pk]), follow=True)
    assert "already over" in page_text(response) and not Ticket.objects.filter(requester=customer).exists()


# --- Portal home (checklist 17) ---------------------------------------------------------------

def test_home_shows_at_most_one_banner_before_the_h1_as_a_labelled_region(client, customer, incident_manager, wifi,
                                                                          email_service):
    make_ticket(customer, service=wifi)
    make_ticket(customer, service=email_service)
    raise_outage(incident_manager, wifi, title="Wi-Fi is down in the Library")
    raise_outage(incident_manager, email_service, title="E-mail is slow", priority_urgency=Urgency.NOT_IMPAIRED)
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:home")))
    assert text.count('class="banner"') == 1
    banner = re.search(r'<section class="banner" role="region" aria-labelledby="([^"]+)"', text)
    assert banner and f'id="{banner.group(1)}"' in text
    assert text.index("data-outage-banner") < text.index("<h1>")
    assert "Wi-Fi is down" in text and "and 1 more" in text  # the more severe one shows


def test_no_banner_for_outages_of_services_the_customer_does_not_use(client, customer, incident_manager, wifi):
    raise_outage(incident_manager, wifi)
    client.force_login(customer)
    assert 'class="banner"' not in page_text(client.get(reverse("portal:home")))


def test_home_lists_requests_waiting_on_the_customer_first_in_customer_words(client, customer, other_customer,
                                                                             technician):
    done = make_ticket(customer, title="Old one")
    services.ticket_transition(ticket_id=done.pk, actor=customer, to_status=Status.CANCELLED)
    working = make_ticket(customer, title="Being worked on")
    services.ticket_transition(ticket_id=working.pk, actor=technician, to_status=Status.IN_PROCESS)
    waiting = make_ticket(customer, title="Needs an answer")
    services.ticket_transition(ticket_id=waiting.pk, actor=technician, to_status=Status.IN_PROCESS)
    services.ticket_transition(ticket_id=waiting.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
    fresh = make_ticket(customer, title="Just sent")
    make_ticket(other_customer, title="Someone else's")
    services.ticket_transition(ticket_id=working.pk, actor=technician, to_status=Status.WAIT_VENDOR)
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:home")))
    assert "Someone else's" not in text
    order = [text.index(title) for title in ("Needs an answer", "Being worked on", "Just sent", "Old one")]
    assert order[0] < min(order[1:]) and order[3] == max(order)
    for words in ("Waiting for your reply", "We're working on it", "Received", "Withdrawn"):
        assert words in text
    assert "Your requests" in text and f"{fresh.pk}" in text


def test_an_empty_home_says_what_to_do(client, customer):
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:home")))
    assert "You haven't asked us for anything yet" in text and "Report a problem" in text
    assert "Ask for something" in text


@pytest.mark.parametrize("rows", [3, 30])
def test_home_runs_a_constant_number_of_queries(client, customer, incident_manager, wifi, rows,
                                                django_assert_max_num_queries):
    for n in range(rows):
        make_ticket(customer, title=f"Ticket {n}", service=wifi)
    raise_outage(incident_manager, wifi)
    client.force_login(customer)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal:home"))
    assert page_text(response).count("data-request ") == rows


def test_home_paginates_with_a_total(client, customer):
    for n in range(52):
        make_ticket(customer, title=f"Ticket {n}")
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:home")))
    assert text.count("data-request ") == 50 and "Showing 1–50 of 52" in text
    assert page_text(client.get(reverse("portal:home"), {"page": 2})).count("data-request ") == 2


# --- A request's page ------------------------------------------------------------------------

def test_other_customers_requests_are_not_found(client, customer, other_customer):
    ticket = make_ticket(other_customer)
    client.force_login(customer)
    assert client.get(reverse("portal:request", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "hi"}).status_code == 404
    assert client.post(reverse("portal:fixed", args=[ticket.pk]), {"answer": "yes"}).status_code == 404


def test_followers_can_see_a_request_but_not_confirm_it(client, customer, other_customer, technician):
    ticket = make_ticket(customer)
    ticket.followers.add(other_customer)
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
    client.force_login(other_customer)
    text = page_text(client.get(reverse("portal:request", args=[ticket.pk])))
    assert "Fixed — please confirm" in text and "Is your problem fixed?" not in text


def test_the_conversation_shows_replies_and_never_internal_notes_or_targets(client, customer, technician):
    ticket = make_ticket(customer)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Have you tried another cable?")
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="SECRET: user is on the VIP list", internal=True)
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:request", args=[ticket.pk])))
    assert "Have you tried another cable?" in text and "(IT Service Desk)" in text
    assert "SECRET" not in text
    assert "data-sla-state" not in text and "Respond by" not in text and "Resolve by" not in text
    assert "Received" in text


def test_a_reply_while_waiting_on_the_customer_restarts_the_clock_and_marks_customer_replied(client, customer,
                                                                                            technician):
    ticket = make_ticket(customer)
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Which room are you in?")
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
    assert Ticket.objects.get(pk=ticket.pk).sla_paused
    client.force_login(customer)
    assert "Waiting for your reply" in page_text(client.get(reverse("portal:request", args=[ticket.pk])))
    response = client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "Room 204, Library."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROCESS and not ticket.sla_paused
    assert selectors.with_customer_replied(Ticket.objects.filter(pk=ticket.pk)).get().customer_replied
    text = page_text(response)
    assert "Your reply has been sent" in text and "Room 204, Library." in text and "We're working on it" in text


def test_an_empty_reply_is_explained_in_place(client, customer):
    ticket = make_ticket(customer)
    client.force_login(customer)
    text = page_text(client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "  "}))
    assert text.startswith("<!doctype html>") and "<title>Error: " in text
    assert text.count("Write your reply before sending it") == 2


def test_yes_its_fixed_closes_the_request(client, customer, technician):
    ticket = make_ticket(customer)
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
    client.force_login(customer)
    text = page_text(client.get(reverse("portal:request", args=[ticket.pk])))
    assert "Is your problem fixed?" in text and "Fixed — please confirm" in text
    version = Ticket.objects.get(pk=ticket.pk).version
    response = client.post(reverse("portal:fixed", args=[ticket.pk]), {"answer": "yes", "version": version},
                           follow=True)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert "Closed" in page_text(response) and "Is your problem fixed?" not in page_text(response)


def test_no_its_still_happening_reopens_it_with_the_customers_note(client, customer, technician):
    ticket = make_ticket(customer)
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
    client.force_login(customer)
    missing = page_text(client.post(reverse("portal:fixed", args=[ticket.pk]), {"answer": "no", "note": ""}))
    assert "Tell us what is still happening" in missing and "<title>Error: " in missing
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    response = client.post(reverse("portal:fixed", args=[ticket.pk]),
                           {"answer": "no", "note": "Still blank after restart."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_RESPONDED
    assert ticket.entries.get().body == "Still blank after restart."
    assert "We're working on it" in page_text(response)


def test_a_stale_confirmation_is_explained_not_a_crash(client, customer, technician):
    ticket = make_ticket(customer)
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
    stale = Ticket.objects.get(pk=ticket.pk).version
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="One more thing")
    client.force_login(customer)
    response = client.post(reverse("portal:fixed", args=[ticket.pk]), {"answer": "yes", "version": stale},
                           follow=True)
    assert "Someone else changed this request while you had it open" in page_text(response)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_withdrawing_an_open_request(client, customer):
    ticket = make_ticket(customer)
    client.force_login(customer)
    response = client.post(reverse("portal:withdraw", args=[ticket.pk]), follow=True)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CANCELLED
    text = page_text(response)
    assert "Withdrawn" in text and "Withdraw this request" not in text and "replies are closed" in text


@pytest.mark.parametrize("entries", [3, 30])
def test_the_request_page_runs_a_constant_number_of_queries(client, customer, technician, entries,
                                                            django_assert_max_num_queries):
    ticket = make_ticket(customer)
    for n in range(entries):
        services.entry_add(ticket_id=ticket.pk, actor=technician if n % 2 else customer, body=f"Message {n}")
    client.force_login(customer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:request", args=[ticket.pk]))
    assert page_text(response).count("data-entry") == entries
