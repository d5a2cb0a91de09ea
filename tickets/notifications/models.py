"""Outgoing mail: the outbox rows and the distribution lists they can go to.

The tables keep the names they had when these models lived in the ``tickets`` app (``db_table``):
the move to an app of its own changed no row. A notification knows its ticket only by the string
reference ``"tickets.Ticket"``.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q

from .recipients import distribution_list


class DistributionList(models.Model):
    """A named audience for announcements, such as USDC-L or ITS Alerts."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True, help_text="The list's own address, when it has one.")
    member_addresses = models.TextField(
        blank=True, help_text="Addresses to send to when the list has no address of its own; one per line."
    )
    requires_approval = models.BooleanField(
        default=False, help_text="A message to this list is held until someone authorised approves it."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "tickets_distributionlist"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def members(self) -> list[str]:
        return [line.strip() for line in self.member_addresses.splitlines() if line.strip()]

    def clean(self) -> None:
        bad = []
        for address in self.members():
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError({"member_addresses": f"Not e-mail addresses: {', '.join(bad)}"})
        if not distribution_list(self):
            raise ValidationError("Give the list an address or at least one member address.")


class Notification(models.Model):
    """One e-mail in the outbox, written in the transaction of the change that causes it.

    The worker claims a row with a conditional update before sending, so two workers never both
    send it; a row whose worker died is claimed again when its lease runs out.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", "Ticket received"
        IN_PROCESS = "in_process", "A technician is working on it"
        WAIT_CUSTOMER = "wait_customer", "Waiting on the customer"
        RESOLVED = "resolved", "Resolved, please test"
        PUBLIC_REPLY = "public_reply", "Reply posted"
        ASSIGNED_TO_YOU = "assigned_to_you", "Assigned to you"
        ASSIGNED_TO_GROUP = "assigned_to_group", "Assigned to your group"
        SLA_WARNING = "sla_warning", "SLA warning (75%)"
        SLA_BREACH = "sla_breach", "SLA breach"
        # The lifecycle automation (tickets.automation): still waiting on you; cancelled for want of an answer.
        WAIT_REMINDER = "wait_reminder", "Reminder: waiting on the customer"
        CANCELLED = "cancelled", "Cancelled for want of an answer"
        # Outage and problem communication (outages.notify).
        OUTAGE_KNOWN = "outage_known", "Known issue: your ticket is part of an outage"
        OUTAGE_UPDATE = "outage_update", "Outage update"
        OUTAGE_WORKAROUND = "outage_workaround", "Workaround available"
        OUTAGE_ALL_CLEAR = "outage_all_clear", "All clear"
        UPDATE_DUE = "update_due", "Outage update due"
        APPROVAL_NEEDED = "approval_needed", "Community message awaiting approval"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    for_customer = models.BooleanField(help_text="Addressed to the requester (shown on their timeline).")
    distribution_list = models.ForeignKey(
        DistributionList, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    to = models.JSONField(help_text="Recipient addresses.")
    subject = models.CharField(max_length=255)
    body_text = models.TextField(blank=True, help_text="Empty until sent when the row was queued with a context.")
    body_html = models.TextField(blank=True)
    context = models.JSONField(
        default=dict, blank=True,
        help_text="The facts a ticket message is rendered from when it is sent (notifications.rendering).",
    )
    reply_to = models.CharField(max_length=254, blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(help_text="When a pending row may next be sent.")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker sending it holds it until then.")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets_notification"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_due",
                condition=Q(state__in=["pending", "sending"]),
            ),
            models.Index(fields=["ticket", "created_at"], name="notification_ticket_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {', '.join(self.to)}"
