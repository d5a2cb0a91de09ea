"""API tokens for scripts and integrations: issued per user, shown once, stored only as a digest.

A token never has more rights than its user, and its scope narrows them: a monitoring tool's token opens
its intake door and nothing else, and a person may be given a token that only reads. The rule itself is
``tickets.policies.token_refusal``, asked by ``tickets.auth.TokenAuthentication`` on every API request.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX_LENGTH = 8


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenScope(models.TextChoices):
    """What a token may be used for; within that, its user's own rights still decide."""

    # Everything its person may do through the API.
    PERSONAL = "personal", "Personal: everything its person may do"
    # Reads only (GET, HEAD, OPTIONS): for reports and dashboards that must not change anything.
    PERSONAL_READ_ONLY = "personal_read_only", "Personal, read-only: GET, HEAD and OPTIONS only"
    # A monitoring tool's token: its intake door only, refused everywhere else (``/api/v1/me/`` included).
    INTEGRATION = "integration", "Integration: its intake door only"


# The scopes an administrator may give a token in the admin; integration tokens come with their integration.
PERSONAL_SCOPES = (TokenScope.PERSONAL, TokenScope.PERSONAL_READ_ONLY)


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """Acts as its user, within its scope. The key itself is never stored: a leaked database does not leak access."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “Nagios on mon01”.")
    scope = models.CharField(
        max_length=24, choices=TokenScope.choices, default=TokenScope.PERSONAL,
        help_text="Personal: all of the person's rights; read-only: GET, HEAD and OPTIONS only; "
        "integration: its intake door only.",
    )
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False, help_text="The key's first characters.")
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user, name: str, expires_at=None,
              scope: str = TokenScope.PERSONAL) -> tuple[ApiToken, str]:
        """A new token and its key; the key is returned this once and never again."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, scope=scope, expires_at=expires_at,
                                   prefix=key[:PREFIX_LENGTH], key_digest=digest(key))
        return token, key

    def assign_key(self) -> str:
        """Give an unsaved token (the admin's add form) its key; returns the key to show once."""
        key = secrets.token_urlsafe(32)
        self.prefix, self.key_digest = key[:PREFIX_LENGTH], digest(key)
        return key
