"""A caller's ``Idempotency-Key`` and the first answer given under it (``tickets.api.idempotency``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One key of one caller: claimed before the work runs, completed with the answer in the work's transaction.

    The unique constraint on (user, key) is what lets only one of two racing requests claim a key; the row
    lock taken around the work is what tells a retry that the first request is still running.
    """

    class State(models.TextChoices):
        # Claimed: a request with this key is running, or died before it completed (its work rolled back).
        IN_PROGRESS = "in_progress", "In progress"
        # Done: the work committed together with this answer, which a retry gets instead of running it again.
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    method = models.CharField(max_length=8)
    path = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's JSON as rendered (text, not a JSON column: jsonb would reorder its keys).
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "idempotency key"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_caller")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"
