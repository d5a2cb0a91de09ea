"""Tickets and the people and teams around them."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from sla.matrix import Clock, Impact, ImpactCategory, ManagementProcess, Priority, SmallReason, Urgency
from sla.states import ClockState

from .lifecycle import OPEN_STATUSES, Status, sla_state

# The open statuses in a fixed order, so the partial indexes' condition (and their migration) is stable.
_OPEN = sorted(OPEN_STATUSES)


class User(AbstractUser):
    """Anyone who signs in. Customers are non-staff users, often created from an e-mail address."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="unique_user_email_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.username


class Group(models.Model):
    """A pool of technicians that works one kind of issue and owns a queue."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="support_groups", blank=True)
    dispatchers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="dispatched_groups", blank=True)
    email = models.EmailField(blank=True, help_text="Where the group's queue notifications go, if anywhere.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A service ITS runs, owned by a director (the service owner)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_services"
    )
    default_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(
        "sla.Calendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
        help_text="Business hours for this service's SLA clocks; empty means the default calendar.",
    )
    operating_hours = models.ForeignKey(
        "sla.Calendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operated_services",
        help_text="When the service is meant to be available; empty means always. Reports outside "
        "these hours get the Small impact category until the hours begin.",
    )
    is_active = models.BooleanField(default=True)
    # The lifecycle automation's timers for this service's tickets, in business days on its calendar;
    # empty means the site's setting (tickets.automation_plan), 0 turns the step off.
    auto_close_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Business days a resolved ticket waits for the customer before it "
        "closes. Empty: the site's AUTO_CLOSE_RESOLVED_DAYS; 0: never.")
    wait_reminder_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Business days a ticket waits on the customer before they are reminded. "
        "Empty: the site's WAIT_CUSTOMER_REMINDER_DAYS; 0: no reminder.")
    wait_expiry_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Business days after the reminder before a ticket still waiting on the "
        "customer is resolved or cancelled. Empty: the site's WAIT_CUSTOMER_EXPIRY_DAYS; 0: never.")
    wait_expiry_action = models.CharField(
        max_length=8, blank=True, choices=[("resolve", "Resolve it"), ("cancel", "Cancel it")],
        help_text="What happens then. Empty: the site's WAIT_CUSTOMER_EXPIRY_ACTION.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Classification(models.TextChoices):
    INCIDENT = "incident", "Incident"  # one user's issue
    OUTAGE = "outage", "Outage"  # a service is degraded or down for many
    PROBLEM = "problem", "Problem"  # like an outage, with a temporary workaround in place


class Source(models.TextChoices):
    PORTAL = "portal", "Self-service portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    WALK_IN = "walk_in", "Walk-in"
    MONITORING = "monitoring", "Monitoring alert"
    SYSTEM = "system", "Automated system"
    STAFF = "staff", "ITS staff"


class Channel(models.TextChoices):
    """Through which door a change came in; recorded on every audit event."""

    API = "api", "API"
    WEB = "web", "Web"
    EMAIL = "email", "E-mail"
    MONITORING = "monitoring", "Monitoring"
    TASK = "task", "Background task"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Command"


class Ticket(models.Model):
    classification = models.CharField(max_length=16, choices=Classification.choices, default=Classification.INCIDENT)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW)
    impact = models.CharField(max_length=32, choices=Impact.choices, default=Impact.INDIVIDUAL)
    urgency = models.CharField(max_length=32, choices=Urgency.choices, default=Urgency.IMPAIRED)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PORTAL)
    # No single-column index on requester, group or assignee: ticket_requester_recent, ticket_queue and
    # ticket_assignee_status lead with them, and every index is one more write per ticket saved.
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets",
                                  db_index=False)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
                              db_index=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"classification__in": [Classification.OUTAGE, Classification.PROBLEM]},
    )
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_tickets",
        help_text="People copied on the ticket besides the requester; their e-mail replies are accepted too.",
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Incremented by every write; a client that sends a stale version gets a conflict.
    version = models.PositiveIntegerField(default=1)

    # --- SLA state, owned by sla.services (derived; never set directly) -----------------------
    impact_category = models.CharField(max_length=16, choices=ImpactCategory.choices, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    sla_clock = models.CharField(max_length=16, choices=Clock.choices, blank=True)
    sla_process = models.CharField(max_length=16, choices=ManagementProcess.choices, blank=True)
    sla_small_reason = models.CharField(max_length=32, choices=SmallReason.choices, blank=True)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_pauses = models.JSONField(default=list, blank=True)
    sla_paused = models.BooleanField(default=False)
    respond_by = models.DateTimeField(null=True, blank=True, db_index=True)
    resolve_by = models.DateTimeField(null=True, blank=True, db_index=True)
    respond_warn_at = models.DateTimeField(null=True, blank=True)
    resolve_warn_at = models.DateTimeField(null=True, blank=True)
    respond_warned = models.BooleanField(default=False)
    resolve_warned = models.BooleanField(default=False)
    respond_breached = models.BooleanField(default=False)
    resolve_breached = models.BooleanField(default=False)
    # The earliest threshold (75 % or 100 %) not yet marked; null when no clock runs. The sweep
    # reads only rows whose value has passed, so its cost follows the due count.
    sla_next_check_at = models.DateTimeField(null=True, blank=True)
    # Set while the Small category stands in for the real impact outside operating hours.
    sla_reevaluate_at = models.DateTimeField(null=True, blank=True)

    # --- Lifecycle automation, owned by tickets.automation_plan (written with every status change) ---
    # When the ticket entered its current status: the automation's re-check under its lock compares it.
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the next automatic step (close, remind, resolve) is due; null when none is. The beat tasks
    # read only rows whose value has passed (a range scan on ticket_automation_due).
    automation_due_at = models.DateTimeField(null=True, blank=True)
    # When the customer was reminded during the current wait (null: not yet).
    wait_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["sla_next_check_at"], condition=Q(sla_next_check_at__isnull=False), name="ticket_sla_due"
            ),
            models.Index(
                fields=["sla_reevaluate_at"], condition=Q(sla_reevaluate_at__isnull=False), name="ticket_sla_reevaluate"
            ),
            models.Index(fields=["status", "automation_due_at"], condition=Q(automation_due_at__isnull=False),
                         name="ticket_automation_due"),
            models.Index(fields=["group", "status", "resolve_by"], name="ticket_queue"),
            # A group's open tickets read in the order the pages and the API show them, so the first page is
            # read off the index instead of sorting every open ticket of the group (issue #8: 1M tickets).
            models.Index(
                F("group"), Case(When(assignee__isnull=True, then=Value(0)), default=Value(1),
                                 output_field=IntegerField()), F("respond_by"), F("id"),
                condition=Q(status__in=_OPEN), name="ticket_dispatch",
            ),
            models.Index(fields=["group", "resolve_by", "id"], condition=Q(status__in=_OPEN),
                         name="ticket_open_resolve"),
            # The queue's count chips read only this (an index-only scan), not every open ticket's row.
            models.Index(fields=["group", "service"], condition=Q(status__in=_OPEN), name="ticket_open_counts",
                         include=["id", "status", "assignee", "respond_by", "responded_at", "resolve_by",
                                  "respond_breached", "resolve_breached"]),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_recent"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["status", "priority"], name="ticket_status_priority"),
        ]
        permissions = [
            ("act_as_incident_manager", "Can act as the Incident Manager of an outage or problem"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        from .lifecycle import is_open

        return is_open(self.status)

    @property
    def sla_state(self) -> ClockState:
        """Where the status holds the SLA clocks: what the rules in ``sla`` read instead of the status."""
        return sla_state(self.status)


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public reply"  # seen by the requester
    INTERNAL = "internal", "Internal note"  # staff only


class ConversationEntry(models.Model):
    """A public reply or an internal note on a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    body = models.TextField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "conversation entries"
        indexes = [models.Index(fields=["ticket", "created_at"], name="entry_ticket_time")]

    def __str__(self) -> str:
        return f"{self.get_visibility_display()} on #{self.ticket_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Generated names: the uploader's file name is kept only as data, never as a path.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        ConversationEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One recorded change to a ticket: append-only; the ticket's timeline is built from these.

    Append-only three times over: this model and its queryset refuse updates and deletes, the admin offers
    neither, and on PostgreSQL a trigger refuses UPDATE and DELETE on the table (migration 0014). Its ticket
    and actor are protected, so a ticket or a person with history cannot be deleted either.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Field changed"
        STATUS = "status", "Status changed"
        REPLIED = "replied", "Public reply"
        NOTED = "noted", "Internal note"
        ATTACHED = "attached", "Attachment added"
        SLA = "sla", "SLA event"
        ALERT = "alert", "Monitoring alert"
        OUTAGE = "outage", "Outage process"
        AUTOMATION = "automation", "Lifecycle automation"  # a reminder, or a move made for lack of an answer

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    field = models.CharField(max_length=64, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    internal = models.BooleanField(default=False, help_text="Shown to staff only.")
    created_at = models.DateTimeField()

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="audit_ticket_time")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.action} {self.field}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


from .models_idempotency import IdempotencyKey  # noqa: E402
from .models_tokens import ApiToken, TokenScope  # noqa: E402

__all__ = [
    "ApiToken", "Attachment", "AuditEvent", "Channel", "Classification", "ConversationEntry", "Group",
    "IdempotencyKey", "Service", "Source", "Ticket", "TokenScope", "User", "Visibility",
]
