"""Log a call: find or add the caller, the plain questions, the SLA preview, and known outages."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from outages import services as outages
from sla.matrix import Impact, Urgency
from tickets.models import Ticket

from .conftest import page_text

pytestmark = pytest.mark.django_db


def call(caller, **overrides):
    data = {"q": "", "customer": str(caller.pk), "source": "phone", "who": "only_me", "work": "slowly",
            "service": "", "title": "Can't print", "description": "Printer says offline."}
    data.update(overrides)
    return data


def test_customers_cannot_open_the_desk(client, customer):
    client.force_login(customer)
    assert client.get(reverse("desk:new")).status_code == 403


def test_the_desk_asks_the_same_plain_questions(client, technician):
    client.force_login(technician)
    text = page_text(client.get(reverse("desk:new")))
    for words in ("Who is calling?", "How did they contact us?", "Who is affected?", "Can they still work?",
                  "I'm not sure", "Phone", "Chat", "In person (walk-in)", "Which service is it about? (optional)"):
        assert words in text
    assert "*" not in text[text.index("<form method=\"post\" action=\"/desk/new/\""):]


def test_searching_finds_the_caller_by_name_or_email_as_radio_choices(client, technician, make_user):
    alice = make_user("alice", first_name="Alice", last_name="Smith")
    make_user("bob", first_name="Bob", last_name="Jones")
    client.force_login(technician)
    for query in ("smith", "alice@exa", "Alice Smi"):
        text = page_text(client.get(reverse("desk:customers"), {"q": query}, HTTP_HX_REQUEST="true"))
        assert f'type="radio" name="customer" value="{alice.pk}"' in text
        assert "Alice Smith — alice@example.edu" in text and "Bob" not in text
    nobody = page_text(client.get(reverse("desk:customers"), {"q": "zzz"}))
    assert "No one matches “zzz”" in nobody


def test_without_javascript_find_shows_the_matches_and_keeps_the_answers(client, technician, make_user):
    alice = make_user("alice", first_name="Alice", last_name="Smith")
    client.force_login(technician)
    text = page_text(client.post(reverse("desk:new"), {**call(alice, customer="", q="smith"), "find": "1"}))
    assert f'value="{alice.pk}"' in text and 'value="Can\'t print"' in text
    assert "Error:" not in text and not Ticket.objects.exists()


def test_logging_a_call_for_a_found_customer_opens_the_new_ticket(client, technician, customer, wifi):
    client.force_login(technician)
    response = client.post(reverse("desk:new"), call(customer, source="walk_in", who="everyone",
                                                     work="cannot_work", service=str(wifi.pk)))
    ticket = Ticket.objects.get()
    assert response.url == reverse("ticket:detail", args=[ticket.pk])
    assert ticket.requester == customer and ticket.source == "walk_in" and ticket.service == wifi
    assert (ticket.impact, ticket.urgency) == (Impact.UNIVERSITY, Urgency.STOPPED_NO_WORKAROUND)
    assert ticket.priority == "emergency" and ticket.group == wifi.default_group


def test_a_new_caller_is_added_by_email(client, technician):
    client.force_login(technician)
    client.post(reverse("desk:new"), {**call(technician, customer=""), "new_name": "Carol Danvers",
                                      "new_email": "carol@example.edu"})
    ticket = Ticket.objects.get()
    assert ticket.requester.email == "carol@example.edu" and ticket.requester.get_full_name() == "Carol Danvers"
    assert not ticket.requester.is_staff and not ticket.requester.has_usable_password()


def test_missing_answers_are_explained_in_the_govuk_pattern(client, technician):
    client.force_login(technician)
    text = page_text(client.post(reverse("desk:new"), {"q": "", "new_email": "not-an-address", "title": "x"}))
    assert "<title>Error: " in text and "There is a problem" in text
    assert text.count("Enter an e-mail address like name@example.edu") == 2
    assert 'href="#id_who_0"' in text and text.count("Tell us whether they can still work") == 2
    assert 'value="not-an-address"' in text and not Ticket.objects.exists()
    text = page_text(client.post(reverse("desk:new"), {"q": "", "title": "x"}))
    assert 'href="#id_q"' in text
    assert text.count("Choose the caller, or add them as a new customer with their e-mail address") == 2
    assert get_user_model().objects.count() == 1


def test_the_preview_shows_priority_and_both_deadlines_with_their_clock(client, technician, wifi):
    client.force_login(technician)
    urgent = page_text(client.get(reverse("desk:preview"), {"who": "everyone", "work": "cannot_work"}))
    assert "Emergency" in urgent and "Respond by <time datetime=" in urgent and "Resolve by <time" in urgent
    assert "24×7" in urgent
    calm = page_text(client.get(reverse("desk:preview"), {"who": "only_me", "work": "inconvenience",
                                                          "service": wifi.pk}))
    assert "Scheduled" in calm and "business hours" in calm
    empty = page_text(client.get(reverse("desk:preview")))
    assert "to see the priority and deadlines" in empty


def test_a_known_outage_of_the_service_is_offered_and_linking_is_one_click_and_idempotent(client, technician,
                                                                                       customer, incident_manager,
                                                                                       wifi):
    outage = outages.outage_raise(actor=incident_manager, title="Wi-Fi down in the Library",
                                  impact=Impact.MULTIPLE_BUILDINGS, urgency=Urgency.IMPAIRED, service=wifi)
    client.force_login(technician)
    text = page_text(client.get(reverse("desk:preview"), {"who": "only_me", "work": "slowly", "service": wifi.pk}))
    assert "We already know Wi-Fi is down" in text and "Link to this outage instead" in text
    assert f'formaction="{reverse("affected:desk", args=[outage.pk])}"' in text

    response = client.post(reverse("affected:desk", args=[outage.pk]), call(customer, service=str(wifi.pk)))
    child = Ticket.objects.get(requester=customer)
    assert response.url == reverse("ticket:detail", args=[child.pk])
    assert child.parent_id == outage.ticket_id and child.source == "phone"
    assert customer in outages.affected_users(outage)
    client.post(reverse("affected:desk", args=[outage.pk]), call(customer, service=str(wifi.pk)))
    assert Ticket.objects.filter(requester=customer).count() == 1


def test_linking_needs_a_caller(client, technician, incident_manager, wifi):
    outage = outages.outage_raise(actor=incident_manager, title="Wi-Fi down", impact=Impact.MULTIPLE_BUILDINGS,
                                  urgency=Urgency.IMPAIRED, service=wifi)
    client.force_login(technician)
    text = page_text(client.post(reverse("affected:desk", args=[outage.pk]), {"q": "", "service": str(wifi.pk)}))
    assert "Choose the caller" in text and re.search(r"<title>Error: ", text)
    assert Ticket.objects.count() == 1  # only the outage itself
