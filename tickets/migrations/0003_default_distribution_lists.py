"""The process document's distribution lists, with placeholder addresses to replace in the admin."""

from django.db import migrations

LISTS = [
    ("USDC-L", "usdc-l", "ITS managers and above: every outage notification and update.", "usdc-l@example.edu", False),
    ("ITS Alerts", "its-alerts", "ITS staff alerting list for outages.", "its-alerts@example.edu", False),
    ("Community", "community", "The entire university; a message needs approval first.", "community@example.edu",
     True),
    ("E-Files", "e-files", "E-Files announcement list.", "e-files@example.edu", False),
]


def create(apps, schema_editor):
    DistributionList = apps.get_model("tickets", "DistributionList")
    for name, slug, description, email, requires_approval in LISTS:
        DistributionList.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "email": email,
                      "requires_approval": requires_approval},
        )


def remove(apps, schema_editor):
    apps.get_model("tickets", "DistributionList").objects.filter(slug__in=[row[1] for row in LISTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_notifications")]

    operations = [migrations.RunPython(create, remove)]
