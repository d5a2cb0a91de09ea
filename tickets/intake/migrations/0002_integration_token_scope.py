"""The tokens of an integration's account become ``integration`` tokens: they keep opening the integration's
intake door, and nothing else. Every other token stays ``personal`` (tickets 0012's default)."""

from django.db import migrations


def mark_integration_tokens(apps, schema_editor):
    ApiToken = apps.get_model("tickets", "ApiToken")
    Integration = apps.get_model("intake", "Integration")
    ApiToken.objects.filter(user_id__in=Integration.objects.values("user_id")).update(scope="integration")


def unmark_integration_tokens(apps, schema_editor):
    apps.get_model("tickets", "ApiToken").objects.filter(scope="integration").update(scope="personal")


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0001_initial'),
        ('tickets', '0012_apitoken_scope'),
    ]

    operations = [
        migrations.RunPython(mark_integration_tokens, unmark_integration_tokens),
    ]
