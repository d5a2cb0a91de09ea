"""Notifications and intake became apps of their own: tickets forgets their models (state only; the tables
stay, now owned by the ``notifications`` and ``intake`` apps through ``db_table``), and their content
types follow them, so admin permissions, group grants and admin log entries keep pointing at them."""

from django.db import migrations

# The models that moved, by their new app; the model names did not change.
MOVED = {
    "notifications": ["distributionlist", "notification"],
    "intake": ["alert", "alertgroup", "integration", "rawevent"],
}


def _relabel(apps, schema_editor, *, backwards: bool) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for app_label, names in MOVED.items():
        source, target = ("tickets", app_label) if not backwards else (app_label, "tickets")
        for name in names:
            # The row is renamed in place (same id), so everything pointing at it follows. Should the
            # target already exist (post_migrate created it early), both are left as they are.
            if not rows.filter(app_label=target, model=name).exists():
                rows.filter(app_label=source, model=name).update(app_label=target)


def forwards(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, backwards=False)


def backwards(apps, schema_editor) -> None:
    _relabel(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0010_ticket_autovacuum"),
        # The new apps take the models into their state first, so they are never in neither app.
        ("notifications", "0001_initial"),
        ("intake", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Alert"),
                migrations.DeleteModel(name="AlertGroup"),
                migrations.DeleteModel(name="RawEvent"),
                migrations.DeleteModel(name="Integration"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="DistributionList"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
