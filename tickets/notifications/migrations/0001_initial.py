"""The models moved here from ``tickets`` (its 0011 forgets them): state only, their tables stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tickets', '0010_ticket_autovacuum'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DistributionList',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('slug', models.SlugField(max_length=100, unique=True)),
                        ('description', models.TextField(blank=True)),
                        ('email', models.EmailField(blank=True, help_text="The list's own address, when it has one.", max_length=254)),
                        ('member_addresses', models.TextField(blank=True, help_text='Addresses to send to when the list has no address of its own; one per line.')),
                        ('requires_approval', models.BooleanField(default=False, help_text='A message to this list is held until someone authorised approves it.')),
                        ('is_active', models.BooleanField(default=True)),
                    ],
                    options={
                        'db_table': 'tickets_distributionlist',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('received', 'Ticket received'), ('in_process', 'A technician is working on it'), ('wait_customer', 'Waiting on the customer'), ('resolved', 'Resolved, please test'), ('public_reply', 'Reply posted'), ('assigned_to_you', 'Assigned to you'), ('assigned_to_group', 'Assigned to your group'), ('sla_warning', 'SLA warning (75%)'), ('sla_breach', 'SLA breach'), ('outage_known', 'Known issue: your ticket is part of an outage'), ('outage_update', 'Outage update'), ('outage_workaround', 'Workaround available'), ('outage_all_clear', 'All clear'), ('update_due', 'Outage update due'), ('approval_needed', 'Community message awaiting approval')], max_length=32)),
                        ('for_customer', models.BooleanField(help_text='Addressed to the requester (shown on their timeline).')),
                        ('to', models.JSONField(help_text='Recipient addresses.')),
                        ('subject', models.CharField(max_length=255)),
                        ('body_text', models.TextField(blank=True, help_text='Empty until sent when the row was queued with a context.')),
                        ('body_html', models.TextField(blank=True)),
                        ('context', models.JSONField(blank=True, default=dict, help_text='The facts a ticket message is rendered from when it is sent (notifications.rendering).')),
                        ('reply_to', models.CharField(blank=True, max_length=254)),
                        ('message_id', models.CharField(max_length=255, unique=True)),
                        ('in_reply_to', models.CharField(blank=True, max_length=255)),
                        ('references', models.TextField(blank=True)),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=16)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField()),
                        ('next_attempt_at', models.DateTimeField(help_text='When a pending row may next be sent.')),
                        ('lease_until', models.DateTimeField(blank=True, help_text='A worker sending it holds it until then.', null=True)),
                        ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('distribution_list', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='notifications.distributionlist')),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='tickets.ticket')),
                    ],
                    options={
                        'db_table': 'tickets_notification',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(condition=models.Q(('state__in', ['pending', 'sending'])), fields=['next_attempt_at'], name='notification_due'), models.Index(fields=['ticket', 'created_at'], name='notification_ticket_time')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
