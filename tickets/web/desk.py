"""Log a call: the service desk records a phone, chat or walk-in report for a customer.

Staff only. The caller is found by name or e-mail (or added by e-mail address), the plain questions
map to impact and urgency, and the priority with both deadlines is previewed from the real SLA code
before saving. A known outage of the chosen service is shown by the outages template tag, with a
one-click link (handled in outages.portal).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from itsm import page_errors
from sla.questions import impact_and_urgency

from .. import policies, selectors, services
from ..http import AuthenticatedHttpRequest
from ..models import Channel, Service
from .desk_forms import DeskForm
from .portal_forms import SERVICE_FIELDS

TEMPLATES = "tickets/web/desk"


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not policies.is_staff(request.user):
            raise PermissionDenied("The service desk pages are for ITS staff.")
        return view(request, *args, **kwargs)
    return wrapped


def _preview(data) -> dict:
    """The priority and deadlines a report with these answers would get, computed by the SLA code."""
    who, work, service_value = data.get("who"), data.get("work"), str(data.get("service") or "")
    service = Service.objects.filter(pk=int(service_value)).first() if service_value.isdigit() else None
    draft = None
    if who and work:
        try:
            impact, urgency = impact_and_urgency(who, work)
        except ValueError:
            pass
        else:
            draft = selectors.sla_preview(impact=impact, urgency=urgency, service=service)
    return {"draft": draft, "service_id": service.pk if service else ""}


def render_desk(request: HttpRequest, form: DeskForm, *, status: int = 200) -> HttpResponse:
    """The desk page for ``form``; outages.portal uses it too when a link to an outage needs an answer."""
    data = form.data if form.is_bound else form.initial
    return render(request, f"{TEMPLATES}/new.html", {"form": form, **_preview(data)}, status=status)


def _form(*args, **kwargs) -> DeskForm:
    form = DeskForm(*args, **kwargs)
    form.fields["q"].widget.attrs.update({
        "hx-get": reverse("desk:customers"), "hx-trigger": "input changed delay:300ms, itsm:enter",
        "hx-target": "#customer-results", "autocomplete": "off", "data-search": "",
        # itsm.js: Enter searches at once and does not send the desk form.
        "data-search-on-enter": "", "data-enter-keeps-form": "",
    })
    return form


@staff_only
def new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render_desk(request, _form())
    if "find" in request.POST or "preview" in request.POST:
        # Without JavaScript: show the matches or the preview, keep every answer, judge nothing yet.
        return render_desk(request, _form(initial=request.POST.dict()))
    form = _form(request.POST)
    if form.is_valid():
        impact, urgency = form.impact_and_urgency()
        try:
            with transaction.atomic():
                ticket = services.ticket_create(
                    actor=request.user, requester=form.caller(), title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"], impact=impact, urgency=urgency,
                    service=form.chosen_service(), source=form.cleaned_data["source"], channel=Channel.WEB,
                )
        except page_errors.SERVICE_ERRORS as error:
            page_errors.add_to_form(form, error, field_map={**SERVICE_FIELDS, "requester": "customer"})
        else:
            return redirect("ticket:detail", pk=ticket.pk)
    return render_desk(request, form)


@staff_only
@require_GET
def customers(request: HttpRequest) -> HttpResponse:
    """htmx: the callers matching ?q=, as radio choices."""
    form = DeskForm(initial={"q": request.GET.get("q", ""), "customer": request.GET.get("customer", "")})
    return render(request, f"{TEMPLATES}/_customers.html", {"form": form})


@staff_only
@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    """htmx: priority, Respond-By and Resolve-By for the answers so far, and any known outage."""
    return render(request, f"{TEMPLATES}/_preview.html", _preview(request.GET))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:new")),
    path("new/", new, name="new"),
    path("customers/", customers, name="customers"),
    path("preview/", preview, name="preview"),
]
