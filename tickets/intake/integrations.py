"""Setting up a monitoring integration: its account, its bearer token and, for PagerDuty, a routing key."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from sla.matrix import Urgency

from ..models import ApiToken, Group, Service, TokenScope, User
from .models import SEVERITIES, Integration, key_digest


@dataclass(frozen=True)
class IssuedSecrets:
    """Shown to the administrator once; only digests are kept."""

    token: str
    routing_key: str | None = None


def validate_severity_map(mapping: object) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationError({"severity_map": ['Send an object such as {"critical": "stopped_no_workaround"}.']})
    errors = []
    for severity, urgency in mapping.items():
        if severity not in SEVERITIES:
            errors.append(f"Unknown severity “{severity}”; use {', '.join(SEVERITIES)}.")
        elif urgency not in Urgency.values:
            errors.append(f"Unknown urgency “{urgency}” for {severity}; use {', '.join(Urgency.values)}.")
    if errors:
        raise ValidationError({"severity_map": errors})
    return {str(key): str(value) for key, value in mapping.items()}


def _account_for(name: str) -> User:
    base = f"integration-{slugify(name)[:120] or 'tool'}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    # No e-mail (it is never mailed) and no password (it authenticates by token only).
    user = User(username=username, first_name=name[:150], is_staff=False)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def integration_create(
    *,
    name: str,
    kind: str,
    service: Service,
    group: Group | None = None,
    auto_resolve: bool = True,
    impact: str | None = None,
    severity_map: dict | None = None,
    senders: str = "",
) -> tuple[Integration, IssuedSecrets]:
    """Create the integration with its own account and token; the secrets are returned once."""
    if Integration.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": ["An integration with this name exists already."]})
    integration = Integration(
        name=name,
        kind=kind,
        service=service,
        group=group,
        auto_resolve=auto_resolve,
        severity_map=validate_severity_map(severity_map) if severity_map is not None else {},
        senders=senders,
        user=_account_for(name),
    )
    if impact:
        integration.impact = impact
    routing_key = integration.assign_routing_key() if kind == Integration.Kind.PAGERDUTY else None
    integration.full_clean(exclude=["user"])
    integration.save()
    _, token = ApiToken.issue(user=integration.user, name=f"Integration “{name}”", scope=TokenScope.INTEGRATION)
    return integration, IssuedSecrets(token=token, routing_key=routing_key)


@transaction.atomic
def integration_rotate_secrets(*, integration: Integration) -> IssuedSecrets:
    """Revoke the old token (and routing key) and issue new ones, for a leaked or departing secret."""
    from django.utils import timezone

    ApiToken.objects.filter(user=integration.user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _, token = ApiToken.issue(user=integration.user, name=f"Integration “{integration.name}”",
                              scope=TokenScope.INTEGRATION)
    routing_key = None
    if integration.kind == Integration.Kind.PAGERDUTY:
        routing_key = integration.assign_routing_key()
        integration.save(update_fields=["routing_key_digest"])
    return IssuedSecrets(token=token, routing_key=routing_key)


def integration_for_routing_key(routing_key: str) -> Integration | None:
    return (
        Integration.objects.select_related("user", "service", "group")
        .filter(routing_key_digest=key_digest(routing_key), is_active=True, user__is_active=True)
        .first()
    )
