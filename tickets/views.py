from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import permissions, selectors
from .lifecycle import OPEN_STATUSES


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: a signed-in user sees their open tickets (staff: the open queue)."""
    tickets = []
    if request.user.is_authenticated:
        queryset = selectors.ticket_list(user=request.user).filter(status__in=OPEN_STATUSES)
        if permissions.is_staff(request.user):
            queryset = queryset.order_by("resolve_by", "id")
        tickets = list(queryset.select_related("service", "group")[:50])
    return render(request, "tickets/home.html", {"tickets": tickets, "is_staff": permissions.is_staff(request.user)})
