"""The administrator's admin site and the landing page, as each role sees them."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tickets import services
from tickets.models import AuditEvent


@pytest.fixture
def ticket(customer, email_service, technician):
    ticket = services.ticket_create(actor=customer, title="VPN drops every hour", impact="individual",
                                    urgency="impaired", service=email_service)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Checked the concentrator logs.", internal=True)
    return ticket


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_has_a_searchable_filterable_admin_list(client, admin_user, ticket):
    client.force_login(admin_user)
    models = list(admin.site._registry)
    assert {m._meta.label for m in models} >= {
        "tickets.Ticket", "tickets.Group", "tickets.Service", "tickets.User", "tickets.ConversationEntry",
        "tickets.Attachment", "tickets.AuditEvent", "sla.Calendar", "sla.Holiday",
    }
    for model in models:
        response = client.get(_admin_url(model, "changelist"), {"q": "vpn"})
        assert response.status_code == 200, model._meta.label


def test_admin_ticket_page_shows_conversation_and_audit_trail(client, admin_user, ticket):
    client.force_login(admin_user)

    response = client.get(_admin_url(type(ticket), "change", ticket.pk))

    assert response.status_code == 200
    assert b"Checked the concentrator logs." in response.content
    filtered = client.get(
        _admin_url(type(ticket), "changelist"), {"status__exact": "new", "priority__exact": "scheduled"}
    )
    assert b"VPN drops every hour" in filtered.content


def test_the_audit_trail_cannot_be_changed_or_deleted_in_the_admin(client, admin_user, ticket):
    client.force_login(admin_user)
    event = AuditEvent.objects.filter(ticket=ticket).first()
    before = (event.action, event.new_value)

    client.post(_admin_url(AuditEvent, "change", event.pk), {"new_value": "forged", "action": "changed"})
    delete = client.post(_admin_url(AuditEvent, "delete", event.pk), {"post": "yes"})

    event.refresh_from_db()
    assert (event.action, event.new_value) == before
    assert delete.status_code == 403


def test_a_customer_cannot_enter_the_admin(client, customer):
    client.force_login(customer)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("role", "home"), [
    ("customer", "/portal/"),
    ("technician", "/work/"),
    ("dispatcher", "/queues/"),
    ("admin_user", "/work/"),
])
def test_each_role_lands_on_its_own_home(client, request, role, home):
    client.force_login(request.getfixturevalue(role))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == home


def test_an_incident_manager_without_a_queue_lands_on_the_outage_list(client, incident_manager):
    client.force_login(incident_manager)

    assert client.get("/")["Location"] == "/outages/"


def test_staff_navigation_offers_their_pages_and_the_customer_only_the_portal(client, technician, dispatcher,
                                                                             customer):
    client.force_login(dispatcher)
    dispatcher_page = client.get("/work/").content.decode()
    client.force_login(technician)
    staff_page = client.get("/work/").content.decode()
    client.force_login(customer)
    customer_page = client.get("/portal/").content.decode()

    for label in ("My work", "Log a call", "Outages"):
        assert f">{label}</a>" in staff_page and f">{label}</a>" in dispatcher_page
        assert f">{label}</a>" not in customer_page
    assert ">Queues</a>" in dispatcher_page
    assert ">Queues</a>" not in staff_page, "a technician who dispatches nothing is not offered the queue board"
    assert ">My requests</a>" in customer_page
    assert "Keyboard shortcuts" in staff_page and "Keyboard shortcuts" not in customer_page
