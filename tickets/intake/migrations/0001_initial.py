"""The models moved here from ``tickets`` (its 0011 forgets them): state only, their tables stay as they are."""

import django.db.models.deletion
import django.utils.timezone
import tickets.intake.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tickets', '0010_ticket_autovacuum'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Integration',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('kind', models.CharField(choices=[('alertmanager', 'Prometheus Alertmanager'), ('grafana', 'Grafana alerting'), ('pagerduty', 'PagerDuty Events API v2'), ('webhook', 'Generic JSON webhook'), ('nagios', 'Nagios notification e-mail'), ('email', 'Inbound e-mail relay (posts raw messages)')], max_length=16)),
                        ('auto_resolve', models.BooleanField(default=True, help_text='A recovery resolves the ticket; otherwise it is noted on the timeline.')),
                        ('impact', models.CharField(choices=[('university', 'Entire University'), ('multiple_departments', 'Multiple departments'), ('multiple_buildings', 'Multiple buildings'), ('department', 'Single department'), ('building', 'Single building'), ('individual', 'Single individual'), ('its_operations', 'Only ITS Service Operations')], default='department', max_length=32)),
                        ('severity_map', models.JSONField(blank=True, default=tickets.intake.models.default_severity_map, help_text='Severity (critical, error, warning, info) → urgency; missing entries use the defaults.')),
                        ('routing_key_digest', models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True)),
                        ('senders', models.TextField(blank=True, help_text='Nagios: the addresses its notification mails come from, one per line.')),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('group', models.ForeignKey(blank=True, help_text="The queue its tickets go to; empty means the service's default group.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='integrations', to='tickets.group')),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='integrations', to='tickets.service')),
                        ('user', models.OneToOneField(help_text="The account the tool acts as: its token's user and its tickets' requester.", on_delete=django.db.models.deletion.PROTECT, related_name='integration', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'tickets_integration',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='AlertGroup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.TextField()),
                        ('key_digest', models.CharField(max_length=64)),
                        ('is_open', models.BooleanField(default=True)),
                        ('occurrences', models.PositiveIntegerField(default=1)),
                        ('opened_at', models.DateTimeField()),
                        ('last_event_at', models.DateTimeField()),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alert_groups', to='tickets.ticket')),
                        ('integration', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alert_groups', to='intake.integration')),
                    ],
                    options={
                        'db_table': 'tickets_alertgroup',
                        'ordering': ['-opened_at'],
                    },
                ),
                migrations.CreateModel(
                    name='RawEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(choices=[('alertmanager', 'Alertmanager'), ('grafana', 'Grafana'), ('pagerduty', 'PagerDuty'), ('webhook', 'Webhook'), ('email', 'E-mail')], max_length=16)),
                        ('body', models.BinaryField()),
                        ('content_type', models.CharField(blank=True, max_length=255)),
                        ('headers', models.JSONField(blank=True, default=dict)),
                        ('content_hash', models.CharField(max_length=64)),
                        ('message_id', models.CharField(blank=True, db_index=True, max_length=998)),
                        ('dedup_key', models.CharField(blank=True, max_length=1100)),
                        ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('state', models.CharField(choices=[('pending', 'Waiting to be processed'), ('processed', 'Processed'), ('ignored', 'Ignored'), ('failed', 'Failed; will be retried')], default='pending', max_length=16)),
                        ('decision', models.CharField(blank=True, help_text='What processing did with it.', max_length=32)),
                        ('summary', models.TextField(blank=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True)),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('processed_at', models.DateTimeField(blank=True, null=True)),
                        ('integration', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='intake.integration')),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='raw_events', to='tickets.ticket')),
                    ],
                    options={
                        'db_table': 'tickets_rawevent',
                        'ordering': ['-received_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Alert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('fingerprint', models.CharField(max_length=255)),
                        ('status', models.CharField(choices=[('firing', 'Firing'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved')], max_length=16)),
                        ('title', models.CharField(max_length=1500)),
                        ('severity', models.CharField(max_length=16)),
                        ('labels', models.JSONField(blank=True, default=dict)),
                        ('link', models.URLField(blank=True, max_length=2000)),
                        ('starts_at', models.DateTimeField(blank=True, null=True)),
                        ('ends_at', models.DateTimeField(blank=True, null=True)),
                        ('occurrences', models.PositiveIntegerField(default=1)),
                        ('last_seen_at', models.DateTimeField()),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='intake.alertgroup')),
                    ],
                    options={
                        'db_table': 'tickets_alert',
                        'ordering': ['group', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('group', 'fingerprint'), name='one_alert_per_fingerprint')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='alertgroup',
                    constraint=models.UniqueConstraint(condition=models.Q(('is_open', True)), fields=('integration', 'key_digest'), name='one_open_alert_group_per_key'),
                ),
                migrations.AddIndex(
                    model_name='rawevent',
                    index=models.Index(condition=models.Q(('state__in', ['pending', 'failed'])), fields=['next_attempt_at'], name='raw_event_retry'),
                ),
                migrations.AddIndex(
                    model_name='rawevent',
                    index=models.Index(fields=['integration', '-received_at'], name='raw_event_integration'),
                ),
                migrations.AddConstraint(
                    model_name='rawevent',
                    constraint=models.UniqueConstraint(condition=models.Q(('dedup_key', ''), _negated=True), fields=('source', 'dedup_key'), name='raw_event_dedup'),
                ),
            ],
            database_operations=[],
        ),
    ]
