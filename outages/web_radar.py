"""The dispatcher's outage radar: similar tickets arriving together, and raising the outage from them.

The queue board (tickets/) loads the banner from here with htmx; without JS it links here, and the
same view renders a whole page. Raising and linking go through ``outages.services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_POST

from itsm import page_errors
from tickets.http import AuthenticatedHttpRequest
from tickets.models import Classification
from tickets.web.board_queries import board_group

from . import services
from .radar import suspect_for, suspected_outages, worst_impact_and_urgency


def console_url(outage_ticket_id: int) -> str:
    """The outage console's page for the outage (``/outages/<pk>/``)."""
    try:
        return reverse("console:detail", args=[outage_ticket_id])
    except NoReverseMatch:
        return f"/outages/{outage_ticket_id}/"


@login_required
@require_GET
def banner(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The "looks like an outage" strip for a group's queue; empty when there is nothing to say."""
    group = board_group(request.user, slug)
    suspects = suspected_outages(group)
    context = {"group": group, "suspects": suspects, "console_url": console_url}
    if request.htmx:
        return render(request, "outages/radar/_banner.html", context)
    return render(request, "outages/radar/page.html", context)


def _back(group) -> str:
    return reverse("board:group", args=[group.slug])


@login_required
@require_POST
def raise_outage(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Raise an outage for the suspect service and link its tickets as children, then open the console."""
    group = board_group(request.user, slug)
    suspect = suspect_for(group, request.POST.get("service", ""))
    if suspect is None or not suspect.ticket_ids:
        messages.error(request, "Those tickets no longer look like an outage: they were linked, closed or moved.")
        return redirect(_back(group))
    impact, urgency = worst_impact_and_urgency(suspect.ticket_ids)
    count = len(suspect.ticket_ids)
    try:
        outage = services.outage_raise(
            actor=request.user, title=f"{suspect.service_name}: outage reported by {count} tickets",
            description=f"Raised from the {group.name} queue: " + ", ".join(f"#{pk}" for pk in suspect.ticket_ids)
            + ".",
            impact=impact, urgency=urgency, service=suspect.service,
            classification=Classification.PROBLEM if suspect.process == "problem" else Classification.OUTAGE)
        services.children_link(actor=request.user, outage_id=outage.pk, ticket_ids=suspect.ticket_ids)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, f"The outage was not raised: {page_errors.words(error)}")
        return redirect(_back(group))
    messages.success(request, f"Outage #{outage.pk} raised; {count} ticket{'s' if count != 1 else ''} linked to it.")
    return redirect(console_url(outage.pk))


@login_required
@require_POST
def link_outage(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Link the suspect tickets to the outage already open for their service."""
    group = board_group(request.user, slug)
    suspect = suspect_for(group, request.POST.get("service", ""))
    outage_id = request.POST.get("outage", "")
    if suspect is None or suspect.current_outage is None or str(suspect.current_outage.pk) != outage_id:
        messages.error(request, "That outage is no longer open for these tickets; the queue shows what is left.")
        return redirect(_back(group))
    try:
        linked = services.children_link(actor=request.user, outage_id=suspect.current_outage.pk,
                                        ticket_ids=suspect.ticket_ids)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, f"Nothing was linked: {page_errors.words(error)}")
        return redirect(_back(group))
    messages.success(request, f"{len(linked)} ticket{'s' if len(linked) != 1 else ''} linked to "
                              f"#{suspect.current_outage.pk} {suspect.current_outage.title}.")
    return redirect(_back(group))


urlpatterns = [
    path("<slug:slug>/", banner, name="banner"),
    path("<slug:slug>/raise/", raise_outage, name="raise"),
    path("<slug:slug>/link/", link_outage, name="link"),
]
