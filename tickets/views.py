from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .web.roles import home_url


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """``/``: everyone lands on their role's home page."""
    return redirect(home_url(request.user))
