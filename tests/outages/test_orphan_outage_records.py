"""Databases from before the outage process had its own doors may hold outage tickets without a record."""

import importlib

from django.apps import apps
from rest_framework.test import APIClient

from outages.models import Outage
from tickets import services
from tickets.models import Ticket

migration = importlib.import_module("outages.migrations.0002_records_for_orphan_outage_tickets")


def test_an_outage_ticket_without_its_record_gets_one_and_can_be_run(customer, technician, admin_user,
                                                                        incident_manager, email_service):
    ticket = services.ticket_create(actor=customer, title="Mail down", impact="individual", urgency="impaired",
                                    service=email_service)
    Ticket.objects.filter(pk=ticket.pk).update(classification="outage")  # what a PATCH used to allow
    incident = services.ticket_create(actor=customer, title="My mail", impact="individual", urgency="impaired")

    migration.create_missing_records(apps, None)
    migration.create_missing_records(apps, None)  # a second run finds nothing left to do

    outage = Outage.objects.get()
    assert outage.ticket_id == ticket.pk and outage.audiences == ["ticket"]
    assert not Outage.objects.filter(ticket=incident).exists()
    api = APIClient()
    api.force_authenticate(admin_user)
    named = api.post(f"/api/v1/outages/{ticket.pk}/incident-manager/", {"user": incident_manager.pk}, format="json")
    assert named.status_code == 200 and named.json()["incident_manager"]["id"] == incident_manager.pk
