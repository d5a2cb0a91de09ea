import pytest

from tickets.customers import customer_for_email
from tickets.models import Ticket

REPORT = {"title": "Phone call: printer jams", "impact": "individual", "urgency": "impaired"}


@pytest.mark.django_db
def test_an_unknown_address_becomes_a_customer_who_cannot_sign_in_yet():
    user = customer_for_email("Carol.Smith@Example.edu", name="Carol Smith")

    assert (user.email, user.first_name, user.last_name) == ("Carol.Smith@Example.edu", "Carol", "Smith")
    assert user.is_staff is False
    assert user.has_usable_password() is False


def test_a_known_address_in_another_case_is_the_same_person(customer):
    assert customer_for_email("ALICE@example.edu") == customer


def test_staff_logs_a_call_for_someone_known_only_by_address(api, technician):
    response = api(technician).post(
        "/api/v1/tickets/", {**REPORT, "source": "phone", "requester_email": "dave@example.edu"}, format="json"
    )

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.requester.email == "dave@example.edu"
    assert ticket.source == "phone"
    assert response.json()["requester"]["email"] == "dave@example.edu"


def test_a_bad_address_is_a_400_and_creates_nothing(api, technician, django_user_model):
    users = django_user_model.objects.count()

    response = api(technician).post("/api/v1/tickets/", {**REPORT, "requester_email": "not-an-address"}, format="json")

    assert response.status_code == 400
    assert "requester_email" in response.json()["errors"]
    assert (django_user_model.objects.count(), Ticket.objects.count()) == (users, 0)


def test_a_customer_cannot_log_a_ticket_for_someone_else(api, customer, django_user_model):
    response = api(customer).post("/api/v1/tickets/", {**REPORT, "requester_email": "eve@example.edu"}, format="json")

    assert response.status_code == 403
    assert not django_user_model.objects.filter(email="eve@example.edu").exists()
    assert Ticket.objects.count() == 0
