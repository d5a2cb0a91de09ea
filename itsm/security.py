"""Sign-in lockout, the password reset throttle and the client address both are keyed on.

django-axes does the counting and locking (settings ``AXES_*``); this module gives it the client
address (``client_ip``) and the page a locked-out person sees (``lockout_response``). The password
reset form counts its requests in the cache (``over_limit``) and stays silent beyond the limits.
"""

import hashlib
import ipaddress
import logging
import math
import time
from datetime import datetime
from typing import Any

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger("itsm.security")

RESET_WINDOW_SECONDS = 3600


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, which ``X-Forwarded-For`` can only name through our proxies.

    With ``NUM_PROXIES = 0`` the header is ignored: anyone can send it. With N trusted proxies in front,
    each appends the address it received from, so the entry N places from the end is the one the
    outermost proxy saw; what the client wrote itself sits further left and is never read (DRF's rule
    for its throttles, so the API's quotas and the lockout agree on who a client is).
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # A proxy writes an address; anything else is not one, and axes stores the value in an IP field.
        return remote


def lockout_until(username: str | None, address: str | None) -> datetime:
    """When the lock on ``username`` from ``address`` ends: a cool-off after the last counted failure.

    Attempts made while locked are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so
    this time does not move while someone keeps trying.
    """
    last = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """The sign-in page's answer while a username + address is locked: 429, and when to try again.

    Axes calls this for the failure that locks and for every attempt while locked, on the site's and
    the admin's sign-in alike. The log line names the username and address, never the password.
    """
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    until = lockout_until(username, address)
    wait = max(0, math.ceil((until - timezone.now()).total_seconds()))
    logger.warning("Sign-in locked out: username %r from %s after %d failures, until %s",
                   username, address, settings.AXES_FAILURE_LIMIT, until.isoformat())
    response = render(request, "registration/locked_out.html",
                      {"username": username, "until": until, "minutes": max(1, math.ceil(wait / 60))},
                      status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
    response["Retry-After"] = str(wait)
    return response


def over_limit(scope: str, key: str, *, limit: int, window: int = RESET_WINDOW_SECONDS) -> bool:
    """Count one request for ``key`` in the current window of ``window`` seconds; True beyond ``limit``.

    Fixed windows in the shared cache: ``add`` then ``incr`` is atomic on Redis (SET NX, INCR), so
    concurrent requests on several web processes each get their own number. The key is hashed, so
    e-mail addresses do not appear in the cache.
    """
    now = int(time.time())
    start = now - now % window
    remaining = start + window - now
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"itsm:throttle:{scope}:{digest}:{start}"
    cache.add(cache_key, 0, timeout=remaining)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, at the window's edge
        cache.add(cache_key, 1, timeout=remaining)
        count = 1
    # Backends without a native incr (the file cache) rewrite the entry with the default timeout.
    cache.touch(cache_key, timeout=remaining)
    return count > limit


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending nothing beyond the per-address and per-account limits.

    The page after it is the same either way ("if an account uses that address, a link is on its
    way"), so the throttle reveals no more than the form does about whether an account exists.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        request: HttpRequest | None = kwargs.get("request")
        email = self.cleaned_data["email"]
        address = client_ip(request) if request is not None else None
        if over_limit("reset-address", address or "unknown", limit=settings.PASSWORD_RESET_ADDRESS_LIMIT):
            logger.warning("Password reset refused: more than %d requests from %s within an hour",
                           settings.PASSWORD_RESET_ADDRESS_LIMIT, address)
            return
        if over_limit("reset-account", email.casefold(), limit=settings.PASSWORD_RESET_ACCOUNT_LIMIT):
            logger.warning("Password reset refused: more than %d requests for %r within an hour (from %s)",
                           settings.PASSWORD_RESET_ACCOUNT_LIMIT, email, address)
            return
        super().save(*args, **kwargs)
