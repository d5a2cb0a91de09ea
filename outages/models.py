"""Outage and Problem management: the records the process keeps around an outage or problem ticket.

The outage itself is a ``tickets.Ticket`` (classification outage or problem) with incident tickets
as its children; these models hold what only the process needs: who runs it and who fixes it, the
communication plan and every update sent under it, emergency changes, and the After-Action Review.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Audience(models.TextChoices):
    """Who hears about an outage, narrowest first (the process document's list)."""

    TICKET = "ticket", "The ticket: its followers and the affected users"
    ITS_ALERTS = "its-alerts", "ITS Alerts list"
    USDC_L = "usdc-l", "USDC-L (ITS managers and above)"
    COMMUNITY = "community", "The entire university community (needs approval)"
    EFILES = "e-files", "E-Files alert"


class Outage(models.Model):
    """The process state of one outage or problem ticket."""

    # The ticket's number is the outage's: "#1234" means the same thing on every page and in the API.
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.PROTECT, related_name="outage",
                                  primary_key=True)
    incident_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="managed_outages",
        help_text="The single point of contact, chosen by the service owner; owns all communication.",
    )
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="outages_worked",
        help_text="The technicians fixing it, kept apart from the incident manager.",
    )
    audiences = models.JSONField(default=list, blank=True, help_text="The communication plan's audiences.")
    cadence_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes between updates; empty until a plan is set."
    )
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    # The due instant the incident manager was last reminded of, so each due date reminds once.
    reminded_for = models.DateTimeField(null=True, blank=True)
    workaround = models.TextField(blank=True)
    workaround_published_at = models.DateTimeField(null=True, blank=True)
    all_clear = models.TextField(blank=True, help_text="What caused it and how it was fixed, in plain words.")
    all_clear_sent_at = models.DateTimeField(null=True, blank=True)
    permanent_fix = models.TextField(blank=True, help_text="Problems: the permanent fix that lets it close.")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["next_update_due_at"], condition=Q(next_update_due_at__isnull=False),
                         name="outage_update_due"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.get_classification_display()} #{self.ticket_id}"


class Update(models.Model):
    """One message sent under the communication plan: an update, the workaround, or the all-clear."""

    class Kind(models.TextChoices):
        UPDATE = "update", "Update"
        WORKAROUND = "workaround", "Workaround"
        ALL_CLEAR = "all_clear", "All clear"

    class CommunityState(models.TextChoices):
        NONE = "", "Not for the community"
        HELD = "held", "Held for approval"
        APPROVED = "approved", "Approved and sent"
        REJECTED = "rejected", "Rejected"

    outage = models.ForeignKey(Outage, on_delete=models.PROTECT, related_name="updates")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UPDATE)
    text = models.TextField()
    audiences = models.JSONField(default=list)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField()
    next_update_at = models.DateTimeField(null=True, blank=True, help_text="Stated in the message itself.")
    community_state = models.CharField(max_length=16, choices=CommunityState.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["posted_at", "id"]
        indexes = [models.Index(fields=["community_state"], condition=Q(community_state="held"),
                                name="update_held")]
        permissions = [("approve_community_update", "Can approve an outage message to the whole community")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.outage.ticket_id} at {self.posted_at:%Y-%m-%d %H:%M}"


class ChangeRequest(models.Model):
    """A Request for Change linked to an outage; emergency ones are how a fix is pushed through."""

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class State(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        IMPLEMENTED = "implemented", "Implemented"
        REJECTED = "rejected", "Rejected"

    outage = models.ForeignKey(Outage, on_delete=models.PROTECT, related_name="changes")
    title = models.CharField(max_length=200)
    reason = models.TextField()
    implementation_plan = models.TextField()
    backout_plan = models.TextField()
    risk = models.CharField(max_length=8, choices=Risk.choices)
    emergency = models.BooleanField(default=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    implemented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = "request for change"
        permissions = [("approve_change", "Can approve or reject a request for change")]

    def __str__(self) -> str:
        return f"RFC {self.pk}: {self.title}"


class AfterActionReview(models.Model):
    """What happened and what will prevent it, required once the outage or problem is resolved."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        PUBLISHED = "published", "Published"

    REQUIRED_FIELDS = ("initial_symptoms", "root_cause", "prevention", "resolution", "teams_involved",
                       "customer_effect", "systems_affected")

    outage = models.OneToOneField(Outage, on_delete=models.PROTECT, related_name="review")
    initial_symptoms = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    prevention = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    teams_involved = models.TextField(blank=True)
    customer_effect = models.TextField(blank=True)
    systems_affected = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("publish_review", "Can publish an After-Action Review")]

    def __str__(self) -> str:
        return f"After-Action Review of #{self.outage.ticket_id}"

    def missing_fields(self) -> list[str]:
        return [name for name in self.REQUIRED_FIELDS if not getattr(self, name).strip()]
