"""The requests a signed-in page or API view receives, as the type checker should see them.

Django's stubs type ``request.user`` as ``User | AnonymousUser`` whatever guards the view, and know
nothing of the attribute django-htmx's middleware adds. A view behind ``@login_required`` (or an API
view behind ``IsAuthenticated``) never sees an anonymous visitor, so it annotates its request with one
of these instead (the pattern django-stubs and django-htmx document). They are annotations only: Django
and DRF build the real objects, nothing here runs on a request. A view a visitor can reach signed out
keeps ``HttpRequest`` and asks ``policies`` about whoever is there.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from .models import User

__all__ = ["AuthenticatedHttpRequest", "AuthenticatedRequest"]


class AuthenticatedHttpRequest(HttpRequest):
    """A page request behind ``@login_required``; ``htmx`` is set by ``django_htmx.middleware``."""

    user: User
    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    """An API request behind ``IsAuthenticated``."""

    user: User
