"""Current outages as customers and the service desk see them: the list and "This is affecting me too".

"Me too" creates the person's own incident already linked under the outage (``affected.join_outage``);
a second click finds that ticket again instead of making another.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from itsm import page_errors
from sla.questions import impact_and_urgency
from tickets import policies
from tickets.http import AuthenticatedHttpRequest
from tickets.models import Channel, Source
from tickets.web.desk import render_desk
from tickets.web.desk_forms import DeskForm
from tickets.web.portal import WORDING
from tickets.web.portal_forms import SERVICE_FIELDS

from .affected import current_outages, existing_child, join_outage
from .models import Outage
from .templatetags.outage_notices import describe

TEMPLATES = "outages/portal"


def _answers(data) -> tuple[str | None, str | None]:
    """Impact and urgency from the report form's plain answers, when the person gave both."""
    try:
        impact, urgency = impact_and_urgency(data.get("who", ""), data.get("work", ""))
    except ValueError:
        return None, None
    return impact.value, urgency.value


@login_required
@require_GET
def outage_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every current outage, worst first: where a banner's "and 2 more" leads."""
    notices = [describe(outage) for outage in current_outages()]
    return render(request, f"{TEMPLATES}/list.html", {"notices": notices})


@login_required
@require_POST
def join(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The signed-in person is affected too: their own linked ticket, and every update from now on.

    Posted from the portal banner, or from the report form (whose answers, if given, describe it).
    """
    data = request.POST
    impact, urgency = _answers(data)
    try:
        joined = join_outage(outage_id=pk, user=request.user, title=data.get("title", ""),
                             description=data.get("description", ""), impact=impact, urgency=urgency,
                             source=Source.PORTAL, channel=Channel.WEB)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, page_errors.words(error, wording=WORDING))
        return redirect("portal:home")
    request.session["joined_outage_new"] = joined.created
    return redirect("affected:joined", pk=pk)


@login_required
@require_GET
def joined(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    outage = get_object_or_404(Outage.objects.select_related("ticket", "ticket__service"), pk=pk)
    ticket = existing_child(outage, request.user)
    if ticket is None:
        return redirect("portal:home")
    return render(request, f"{TEMPLATES}/joined.html", {
        "notice": describe(outage), "ticket": ticket,
        "created": request.session.pop("joined_outage_new", False),
    })


@login_required
@require_POST
def desk_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """From the desk's "Log a call": link the caller to this outage instead of logging a new issue."""
    if not policies.is_staff(request.user):
        raise PermissionDenied("Only ITS staff link callers to an outage.")
    form = DeskForm(request.POST, link_only=True)
    if not form.is_valid():
        return render_desk(request, form)
    impact, urgency = form.answered()
    try:
        joined = join_outage(outage_id=pk, user=form.caller(), actor=request.user,
                             title=form.cleaned_data.get("title", ""),
                             description=form.cleaned_data.get("description", ""), impact=impact, urgency=urgency,
                             source=form.cleaned_data.get("source") or Source.PHONE, channel=Channel.WEB)
    except page_errors.SERVICE_ERRORS as error:
        page_errors.add_to_form(form, error, field_map={**SERVICE_FIELDS, "requester": "customer"})
        return render_desk(request, form)
    person = joined.ticket.requester
    if joined.created:
        messages.success(request, f"{person} is linked to outage #{pk} and will get its updates.")
    else:
        messages.info(request, f"{person} was already linked to outage #{pk} with this ticket.")
    return redirect("ticket:detail", pk=joined.ticket.pk)


urlpatterns = [
    path("", outage_list, name="list"),
    path("<int:pk>/join/", join, name="join"),
    path("<int:pk>/joined/", joined, name="joined"),
    path("<int:pk>/desk/", desk_link, name="desk"),
]
