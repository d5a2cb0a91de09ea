"""Outage and problem tickets made before the ticket services refused it (a PATCH of ``classification``)
have no process record, so nobody could name their incident manager: give each one."""

from django.db import migrations


def create_missing_records(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Outage = apps.get_model("outages", "Outage")
    orphans = Ticket.objects.filter(classification__in=("outage", "problem"), outage__isnull=True)
    Outage.objects.bulk_create(
        Outage(ticket_id=ticket.pk, created_at=ticket.created_at, audiences=["ticket"])
        for ticket in orphans.only("pk", "created_at").iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outages", "0001_initial"),
    ]

    # Reversing keeps the records: they hold whatever the process wrote since.
    operations = [migrations.RunPython(create_missing_records, migrations.RunPython.noop)]
