"""The outage radar on the queue board: when tickets look like one outage, and raising it from them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import Outage
from outages.radar import suspected_outages
from tickets import services
from tickets.models import Classification, Service, Ticket

BANNER = "/outages/radar/service-desk/"


@pytest.fixture
def wifi(email_service):
    return Service.objects.create(name="Wi-Fi (eduroam)", slug="wifi", default_group=email_service.default_group)


@pytest.fixture
def report(customer):
    def make(service, *, minutes_ago: float = 0, impact="individual", urgency="impaired", title="No Wi-Fi"):
        ticket = services.ticket_create(actor=customer, title=title, impact=impact, urgency=urgency, service=service)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
        return ticket

    return make


def test_three_reports_within_15_minutes_raise_the_banner(client, dispatcher, service_desk, wifi, report):
    tickets = [report(wifi, minutes_ago=m) for m in (40, 33, 28)]
    client.force_login(dispatcher)
    html = client.get(BANNER, HTTP_HX_REQUEST="true").content.decode()
    assert "3 new tickets about <em>Wi-Fi (eduroam)</em> in 12 min" in html
    assert "Raise an outage and link them" in html
    assert 'role="region"' in html
    [suspect] = suspected_outages(service_desk)
    assert sorted(suspect.ticket_ids) == sorted(t.pk for t in tickets)


def test_two_reports_are_not_an_outage(client, dispatcher, service_desk, wifi, report):
    report(wifi, minutes_ago=5)
    report(wifi, minutes_ago=1)
    client.force_login(dispatcher)
    response = client.get(BANNER, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_reports_spread_over_hours_are_not_an_outage(dispatcher, service_desk, wifi, report):
    for minutes in (10, 40, 70, 130, 190):
        report(wifi, minutes_ago=minutes)
    assert suspected_outages(service_desk) == []


def test_reports_about_different_services_are_not_one_outage(service_desk, wifi, email_service, report):
    report(wifi, minutes_ago=3)
    report(wifi, minutes_ago=2)
    report(email_service, minutes_ago=1)
    assert suspected_outages(service_desk) == []


def test_one_ticket_whose_matrix_cell_calls_for_outage_management(client, dispatcher, service_desk, wifi, report):
    ticket = report(wifi, minutes_ago=300, impact="university", urgency="stopped_no_workaround")
    assert ticket.sla_process == "outage"
    client.force_login(dispatcher)
    html = client.get(BANNER, HTTP_HX_REQUEST="true").content.decode()
    assert f"#{ticket.pk} about <em>Wi-Fi (eduroam)</em> calls for outage management" in html


def test_without_javascript_the_radar_is_a_page(client, dispatcher, service_desk, wifi, report):
    client.force_login(dispatcher)
    board = client.get("/queues/service-desk/").content.decode()
    assert 'hx-get="/outages/radar/service-desk/"' in board
    assert '<a href="/outages/radar/service-desk/">' in board
    html = client.get(BANNER).content.decode()
    assert "<h1>Outage radar for Service Desk</h1>" in html
    assert "Nothing in Service Desk looks like an outage right now" in html


def test_raise_and_link_creates_the_outage_with_its_children(client, dispatcher, service_desk, wifi, report):
    tickets = [report(wifi, minutes_ago=m) for m in (9, 6, 2)]
    client.force_login(dispatcher)
    response = client.post(BANNER + "raise/", {"service": str(wifi.pk)})
    outage = Outage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/outages/{outage.pk}/"
    assert outage.ticket.classification == Classification.OUTAGE
    assert outage.ticket.service == wifi
    assert set(outage.ticket.children.values_list("pk", flat=True)) == {t.pk for t in tickets}
    # Linked tickets no longer look like a new outage.
    assert suspected_outages(service_desk) == []


def test_when_an_outage_is_open_the_banner_offers_to_link_to_it(client, dispatcher, service_desk, wifi, report):
    from outages import services as outage_services

    current = outage_services.outage_raise(actor=dispatcher, title="Wi-Fi down in the Library", impact="building",
                                           urgency="stopped_no_workaround", service=wifi)
    tickets = [report(wifi, minutes_ago=m) for m in (9, 6, 2)]
    client.force_login(dispatcher)
    html = client.get(BANNER, HTTP_HX_REQUEST="true").content.decode()
    assert "Link to the current outage" in html and "Raise an outage" not in html
    response = client.post(BANNER + "link/", {"service": str(wifi.pk), "outage": str(current.pk)}, follow=True)
    assert f"3 tickets linked to #{current.pk}" in response.content.decode()
    assert set(current.ticket.children.values_list("pk", flat=True)) == {t.pk for t in tickets}


def test_a_stale_banner_raises_nothing(client, dispatcher, service_desk, wifi):
    client.force_login(dispatcher)
    response = client.post(BANNER + "raise/", {"service": str(wifi.pk)}, follow=True)
    assert "no longer look like an outage" in response.content.decode()
    assert not Outage.objects.exists()


def test_only_the_groups_dispatchers_may_raise_from_its_radar(client, technician, service_desk, wifi, report):
    for minutes in (3, 2, 1):
        report(wifi, minutes_ago=minutes)
    client.force_login(technician)
    assert client.post(BANNER + "raise/", {"service": str(wifi.pk)}).status_code == 403
    assert not Outage.objects.exists()
