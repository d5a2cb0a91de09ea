"""People copied on a ticket: they read it and reply, but only the requester withdraws or confirms it."""

from tickets import services
from tickets.lifecycle import Status


def test_a_follower_reads_and_replies_but_cannot_change_the_status(api, customer, other_customer):
    ticket = services.ticket_create(actor=customer, title="Lab printer offline", impact="department",
                                    urgency="impaired")
    client = api(other_customer)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404

    ticket.followers.add(other_customer)
    listed = client.get("/api/v1/tickets/").json()["results"]
    assert [item["id"] for item in listed] == [ticket.pk]
    assert client.post(f"/api/v1/tickets/{ticket.pk}/entries/", {"body": "Same here."}, format="json").status_code \
        == 201

    response = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": Status.CANCELLED}, format="json")
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_customers_see_staff_by_name_only(api, customer, technician):
    ticket = services.ticket_create(actor=customer, title="Printer offline", impact="individual", urgency="impaired")
    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"assignee": technician})
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="On my way.")
    client = api(customer)

    assignee = client.get(f"/api/v1/tickets/{ticket.pk}/").json()["assignee"]
    author = client.get(f"/api/v1/tickets/{ticket.pk}/entries/").json()[0]["author"]
    for person in (assignee, author):
        assert person["name"] == (technician.get_full_name() or technician.username)
        assert person["email"] == "" and person["username"] == ""
    assert api(technician).get(f"/api/v1/tickets/{ticket.pk}/").json()["assignee"]["email"] == technician.email
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").json()["requester"]["email"] == customer.email
