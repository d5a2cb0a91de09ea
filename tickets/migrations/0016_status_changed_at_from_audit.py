"""``status_changed_at`` for the tickets that existed before it: read from their audit trail.

Each ticket's latest status event (a move, or its creation) says when it entered the status it has; a
ticket without one (none was ever written without) falls back to its creation. The resolved and
waiting incidents among them get a timer set to that moment, so the first beat run after this plans
each from the time it really entered its status (``tickets.automation_plan``): it acts on the ones
whose business days have passed and moves the others' timers to their real time.
"""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_from_audit(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    AuditEvent = apps.get_model("tickets", "AuditEvent")
    alias = schema_editor.connection.alias if schema_editor is not None else "default"
    entered = (
        AuditEvent.objects.using(alias)
        .filter(ticket=OuterRef("pk"), field="status", action__in=["status", "created"])
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    Ticket.objects.using(alias).filter(status_changed_at__isnull=True).update(
        status_changed_at=Coalesce(Subquery(entered), F("created_at"))
    )
    Ticket.objects.using(alias).filter(
        classification="incident", status__in=["resolved", "wait_customer"], automation_due_at__isnull=True
    ).update(automation_due_at=F("status_changed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_lifecycle_automation"),
    ]

    operations = [
        migrations.RunPython(fill_from_audit, migrations.RunPython.noop, elidable=True),
    ]
