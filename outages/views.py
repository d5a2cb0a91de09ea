"""Staff pages of the outage process."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tickets import policies

from . import reviews


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """After-Action Reviews for staff: the published ones to learn from, and the ones owed past their due date.

    Overdue reviews are listed with the published ones so that a missing review is seen where reviews are read,
    not only by whoever remembers to ask.
    """
    if not policies.is_staff(request.user):
        raise PermissionDenied("After-Action Reviews are for ITS staff.")
    now = timezone.now()
    overdue = [
        {"outage": outage, "ticket": outage.ticket, "due_at": reviews.review_due_at(outage),
         "review": getattr(outage, "review", None)}
        for outage in reviews.outages_review_overdue(now=now)
    ]
    return render(request, "outages/reviews.html", {
        "published": list(reviews.reviews_published()),
        "submitted": list(reviews.reviews_submitted()),
        "overdue": overdue,
        "due_days": reviews.due_days(),
    })
