"""``Authorization: Token <key>`` or ``Bearer <key>`` for REST clients and monitoring tools.

The one place a token is honoured, so the one place its scope is enforced: every API view authenticates
tokens through ``TokenAuthentication`` (the default) or, at the intake doors, ``IntakeTokenAuthentication``.
A token used beyond its scope is a 403 before any permission or view code runs, whatever permission classes
the view declares; the rule is ``policies.token_refusal``.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken
from .models_tokens import digest
from .policies import token_refusal

logger = logging.getLogger("itsm.security")

SCHEMES = (b"token", b"bearer")
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=5)


class TokenAuthentication(authentication.BaseAuthentication):
    # The intake doors (``IntakeTokenAuthentication``) take integration tokens and only those; every other
    # endpoint refuses them.
    intake_door = False

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in SCHEMES:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as “Authorization: Bearer <token>”.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        now = timezone.now()
        token = ApiToken.objects.usable(now).select_related("user").filter(key_digest=digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        # Before the scope check: a token tried where it may not go was still used, which its owner should see.
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        refusal = token_refusal(token.scope, method=request.method, intake_door=self.intake_door)
        if refusal is not None:
            logger.warning("API token %s… (%s, %s) refused: %s %s", token.prefix, token.user.get_username(),
                           token.scope, request.method, request.path)
            raise exceptions.PermissionDenied(refusal)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class IntakeTokenAuthentication(TokenAuthentication):
    """For the intake doors only (``authentication_classes`` of the alert and mail relay views): integration
    tokens are accepted here, and only they; which integration kind a door takes is the door's permission."""

    intake_door = True


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tickets.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer",
            "description": "An API token issued in the admin: `Authorization: Bearer <token>` (or `Token <token>`).",
        }


class IntakeTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tickets.auth.IntakeTokenAuthentication"
    name = "integrationTokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer",
            "description": "An integration's token, shown once when the integration is created or its secrets "
            "rotated: `Authorization: Bearer <token>`. It opens its integration's intake door only.",
        }
