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
