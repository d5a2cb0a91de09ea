"""The API's planned representation says exactly what DRF's field-by-field one says, for every kind of ticket."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from outages import services as outages
from tickets import services
from tickets.api.representation import PlannedRepresentation
from tickets.api.serializers import CustomerTicketSerializer, TicketSerializer
from tickets.lifecycle import Status
from tickets.models import Classification
from tickets.selectors import ticket_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets_of_every_kind(customer, technician, dispatcher, email_service):
    new = services.ticket_create(actor=customer, title="Printer offline", impact="individual", urgency="impaired")
    assigned = services.ticket_create(actor=dispatcher, title="VPN down for the lab", impact="department",
                                      urgency="stopped_no_workaround", service=email_service, assignee=technician,
                                      requester=customer, description="Since 9:00.\nEveryone on floor 2.")
    outage = outages.outage_raise(actor=dispatcher, title="Email outage", impact="university",
                                  urgency="stopped_no_workaround", service=email_service,
                                  classification=Classification.OUTAGE).ticket
    child = services.ticket_create(actor=dispatcher, title="Cannot send mail", impact="individual", urgency="impaired",
                                   requester=customer, service=email_service)
    child = outages.children_link(actor=dispatcher, outage_id=outage.pk, ticket_ids=[child.pk])[0]
    services.ticket_transition(ticket_id=assigned.pk, actor=technician, to_status=Status.IN_PROCESS)
    waiting = services.ticket_transition(ticket_id=assigned.pk, actor=technician, to_status=Status.WAIT_CUSTOMER)
    return [new, waiting, outage, child]


@pytest.mark.parametrize("viewer_name, serializer_class", [("technician", TicketSerializer),
                                                           ("customer", CustomerTicketSerializer)])
def test_every_field_reads_as_drf_would_read_it(request, monkeypatch, tickets_of_every_kind, viewer_name,
                                                serializer_class):
    viewer = request.getfixturevalue(viewer_name)
    http = APIRequestFactory().get("/api/v1/tickets/")
    http.user = viewer
    rows = list(ticket_list(user=viewer).filter(pk__in=[t.pk for t in tickets_of_every_kind]).order_by("pk"))

    planned = serializer_class(rows, many=True, context={"request": http}).data
    with monkeypatch.context() as patch:  # DRF's own field-by-field path, the nested user summaries too
        patch.setattr(PlannedRepresentation, "to_representation", serializers.Serializer.to_representation)
        reference = serializer_class(rows, many=True, context={"request": http}).data

    assert [dict(row) for row in planned] == [dict(row) for row in reference]
    # The rows cover what differs between tickets: a parent, an assignee, a paused clock, nulls.
    assert any(row["parent"] for row in planned) and any(row["parent"] is None for row in planned)
    assert any(row["assignee"] for row in planned) and any(row["assignee"] is None for row in planned)
    assert any(row["sla_paused"] for row in planned)
