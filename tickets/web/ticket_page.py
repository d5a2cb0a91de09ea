"""The ticket page (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(f"Ticket {pk}")


urlpatterns = [
    path("<int:pk>/", detail, name="detail"),
]
