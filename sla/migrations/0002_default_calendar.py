from datetime import time

from django.db import migrations


def create_default_calendar(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    WorkingHours = apps.get_model("sla", "WorkingHours")
    if Calendar.objects.filter(is_default=True).exists():
        return
    calendar = Calendar.objects.create(
        name="ITS business hours", slug="business-hours", time_zone="America/New_York", is_default=True
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, opens=time(8), closes=time(17)) for day in range(5)
    )


def remove_default_calendar(apps, schema_editor):
    apps.get_model("sla", "Calendar").objects.filter(slug="business-hours").delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create_default_calendar, remove_default_calendar)]
