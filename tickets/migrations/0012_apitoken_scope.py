"""Every token gets a scope; existing ones start as ``personal``, and intake's 0002 marks the integrations' own."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0011_notifications_and_intake_apps'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='scope',
            field=models.CharField(choices=[('personal', 'Personal: everything its person may do'), ('personal_read_only', 'Personal, read-only: GET, HEAD and OPTIONS only'), ('integration', 'Integration: its intake door only')], default='personal', help_text="Personal: all of the person's rights; read-only: GET, HEAD and OPTIONS only; integration: its intake door only.", max_length=24),
        ),
    ]
