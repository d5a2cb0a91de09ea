"""The customer portal: my requests, report a problem / ask for something, and one request's page.

Every write goes through ``tickets.services`` as the signed-in customer. Known outages come from
the outages app through template tags only (tickets code may not import outages).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from itsm import page_errors

from .. import policies, selectors, services
from ..http import AuthenticatedHttpRequest
from ..lifecycle import FINAL_STATUSES, OPEN_STATUSES, Status
from ..models import Channel, Source, Ticket, Visibility
from .portal_forms import SERVICE_FIELDS, ReplyForm, ReportForm, StillBrokenForm
from .portal_status import WAITING_ON_CUSTOMER, customer_status, explanation

PAGE_SIZE = 50
TEMPLATES = "tickets/web/portal"
# Customers call their tickets requests, and read statuses in their own words.
WORDING = page_errors.Wording(thing="request", status=customer_status)


def _my_tickets(request: AuthenticatedHttpRequest):
    return selectors.ticket_list(user=request.user)


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Your requests: the ones waiting on you first, then open ones, then finished, newest first."""
    rank = Case(
        When(status__in=WAITING_ON_CUSTOMER, then=Value(0)),
        When(status__in=OPEN_STATUSES, then=Value(1)),
        default=Value(2), output_field=IntegerField(),
    )
    tickets = (Ticket.objects.filter(pk__in=_my_tickets(request).values("pk"))
               .only("pk", "title", "status", "updated_at", "created_at", "requester_id")
               .annotate(rank=rank).order_by("rank", "-updated_at", "-pk"))
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    for ticket in page:
        ticket.customer_status = customer_status(ticket.status)
        ticket.waiting_on_you = ticket.status in WAITING_ON_CUSTOMER
    return render(request, f"{TEMPLATES}/home.html", {"page": page, "total": page.paginator.count})


def _notice_shown(request: AuthenticatedHttpRequest, service_pk: int | None) -> bool:
    """Does the picked service have a known outage? Asked of the outages template tag, by rendering it."""
    if not service_pk:
        return False
    html = render_to_string(f"{TEMPLATES}/_outage_notice.html", {"service_id": service_pk, "inline": False},
                            request=request)
    return bool(html.strip())


def _create(request: AuthenticatedHttpRequest, form: ReportForm) -> Ticket | None:
    impact, urgency = form.impact_and_urgency()
    service = form.chosen_service()
    supplied = {"title", "description", "impact", "urgency"} | ({"service"} if service else set())
    try:
        with transaction.atomic():
            ticket = services.ticket_create(
                actor=request.user, title=form.cleaned_data["title"], description=form.cleaned_data["description"],
                impact=impact, urgency=urgency, service=service, source=Source.PORTAL, channel=Channel.WEB,
                supplied=supplied,
            )
            for uploaded in form.cleaned_data["files"]:
                services.attachment_add(ticket_id=ticket.pk, actor=request.user, uploaded=uploaded,
                                        channel=Channel.WEB)
    except page_errors.SERVICE_ERRORS as error:
        page_errors.add_to_form(form, error, field_map=SERVICE_FIELDS, wording=WORDING)
        return None
    return ticket


def _report_form(*args, **kwargs) -> ReportForm:
    form = ReportForm(*args, **kwargs)
    # Picking a service fetches its known-outage notice, shown before the rest of the questions.
    form.fields["service"].widget.attrs.update({
        "hx-get": reverse("portal:report_outage"), "hx-trigger": "change", "hx-target": "#outage-notice",
    })
    return form


@login_required
def report(request: AuthenticatedHttpRequest, kind: str = "problem") -> HttpResponse:
    """Report a problem (or ask for something): GOV.UK question page, validated on the server.

    If the picked service has a known outage the person has not seen yet (no JavaScript, so no
    notice appeared on picking it), the answers come back once with the outage shown first.
    """
    form = _report_form(request.POST or None, request.FILES or None, kind=kind,
                        initial={"service": request.GET.get("service", "")})
    outage_step = False
    if request.method == "POST":
        seen = request.POST.get("outage_seen") or request.POST.get("different")
        if not seen and _notice_shown(request, form.service_pk()):
            outage_step = True
            form = _report_form(initial=request.POST.dict(), kind=kind)
        elif form.is_valid() and (ticket := _create(request, form)) is not None:
            return redirect("portal:sent", pk=ticket.pk)
    files_dropped = request.method == "POST" and bool(request.FILES) and form.is_bound and bool(form.errors)
    return render(request, f"{TEMPLATES}/report.html", {
        "form": form, "kind": kind, "outage_step": outage_step, "notice_inline": not outage_step,
        "files_dropped": files_dropped,
        "service_value": form["service"].value(),
    })


@login_required
@require_GET
def report_outage(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx: the known-outage notice for the service just picked (empty when there is none)."""
    return render(request, f"{TEMPLATES}/_outage_notice.html",
                  {"service_id": request.GET.get("service", ""), "inline": True})


def _own_ticket(request: AuthenticatedHttpRequest, pk: int) -> Ticket:
    """The customer's own or followed ticket; anyone else's is a plain 404."""
    return get_object_or_404(_my_tickets(request).select_related("service"), pk=pk)


@login_required
@require_GET
def sent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = _own_ticket(request, pk)
    return render(request, f"{TEMPLATES}/sent.html", {"ticket": ticket})


def _author_label(entry, user) -> str:
    if entry.author_id is None:
        return "IT Service Desk"
    if entry.author_id == user.pk:
        return "You"
    if entry.author.is_staff:
        return f"{entry.author.get_short_name() or entry.author} (IT Service Desk)"
    return str(entry.author)


def _request_page(request: AuthenticatedHttpRequest, ticket: Ticket, *, reply_form=None, broken_form=None,
                  status: int = 200) -> HttpResponse:
    # Public entries and files only, whoever looks: the portal never shows an internal note.
    entries = list(selectors.ticket_entries(ticket=ticket, user=request.user).filter(visibility=Visibility.PUBLIC))
    for entry in entries:
        entry.who = _author_label(entry, request.user)
        entry.mine = entry.author_id == request.user.pk
    attachments = list(selectors.ticket_attachments(ticket=ticket, user=request.user)
                       .filter(visibility=Visibility.PUBLIC))
    # The portal's buttons speak for the requester ("withdraw my request"), never for staff looking on.
    is_requester = policies.is_requester(request.user, ticket)
    return render(request, f"{TEMPLATES}/request.html", {
        "ticket": ticket,
        "status_words": customer_status(ticket.status),
        "status_explained": explanation(ticket.status),
        "entries": entries,
        "attachments": attachments,
        "is_final": ticket.status in FINAL_STATUSES,
        "ask_fixed": is_requester and policies.may_transition(request.user, ticket, Status.CLOSED),
        "may_withdraw": is_requester and policies.may_transition(request.user, ticket, Status.CANCELLED),
        "reply_form": reply_form or ReplyForm(),
        "broken_form": broken_form or StillBrokenForm(),
        "form": reply_form if reply_form is not None and reply_form.errors else broken_form,
    }, status=status)


@login_required
@require_GET
def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, _own_ticket(request, pk))


@login_required
@require_POST
def reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A public reply (and files). On a ticket waiting on the requester it restarts the clock."""
    ticket = _own_ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                entry = services.entry_add(ticket_id=ticket.pk, actor=request.user, body=form.cleaned_data["body"],
                                           channel=Channel.WEB)
                for uploaded in form.cleaned_data["files"]:
                    services.attachment_add(ticket_id=entry.ticket_id, actor=request.user, uploaded=uploaded,
                                            channel=Channel.WEB)
        except page_errors.SERVICE_ERRORS as error:
            page_errors.add_to_form(form, error, field_map=SERVICE_FIELDS, wording=WORDING)
        else:
            if entry.ticket_id != ticket.pk:
                messages.success(request, f"Request #{ticket.pk} was already finished, so we opened "
                                          f"#{entry.ticket_id} for your message.")
            else:
                messages.success(request, "Your reply has been sent.")
            return redirect("portal:request", pk=entry.ticket_id)
    return _request_page(request, _own_ticket(request, pk), reply_form=form)


@login_required
@require_POST
def fixed(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """'Is your problem fixed?' Yes closes it; No reopens it with a note of what still happens."""
    ticket = _own_ticket(request, pk)
    answer = request.POST.get("answer")
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    broken_form = None
    try:
        if answer == "yes":
            services.ticket_transition(ticket_id=ticket.pk, actor=request.user, to_status=Status.CLOSED,
                                       channel=Channel.WEB, expected_version=expected)
            messages.success(request, "Thanks for letting us know. We've closed your request.")
            return redirect("portal:request", pk=ticket.pk)
        if answer == "no":
            broken_form = StillBrokenForm(request.POST)
            if broken_form.is_valid():
                with transaction.atomic():
                    services.ticket_transition(ticket_id=ticket.pk, actor=request.user,
                                               to_status=Status.CUSTOMER_RESPONDED, channel=Channel.WEB,
                                               expected_version=expected)
                    services.entry_add(ticket_id=ticket.pk, actor=request.user,
                                       body=broken_form.cleaned_data["note"], channel=Channel.WEB)
                messages.success(request, "Thanks — we've reopened your request and a technician will look again.")
                return redirect("portal:request", pk=ticket.pk)
        else:
            messages.error(request, "Tell us whether your problem is fixed")
            return redirect("portal:request", pk=ticket.pk)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, page_errors.words(error, wording=WORDING))
        return redirect("portal:request", pk=ticket.pk)
    return _request_page(request, _own_ticket(request, pk), broken_form=broken_form)


@login_required
@require_POST
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = _own_ticket(request, pk)
    try:
        services.ticket_transition(ticket_id=ticket.pk, actor=request.user, to_status=Status.CANCELLED,
                                   channel=Channel.WEB)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, page_errors.words(error, wording=WORDING))
    else:
        messages.success(request, "You've withdrawn this request. We won't work on it any further.")
    return redirect("portal:request", pk=ticket.pk)


@login_required
@require_GET
def attachment(request: AuthenticatedHttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """Download one public file of a visible ticket, under its original name."""
    ticket = _own_ticket(request, pk)
    found = selectors.ticket_attachments(ticket=ticket, user=request.user).filter(
        visibility=Visibility.PUBLIC, pk=attachment_id).first()
    if found is None:
        raise Http404("No such file on this request.")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("That file is no longer available.") from None
    return FileResponse(handle, as_attachment=True, filename=found.original_name, content_type=found.content_type)


urlpatterns = [
    path("", home, name="home"),
    path("report/", report, name="report"),
    path("ask/", report, {"kind": "request"}, name="ask"),
    path("report/outage/", report_outage, name="report_outage"),
    path("requests/<int:pk>/", request_detail, name="request"),
    path("requests/<int:pk>/sent/", sent, name="sent"),
    path("requests/<int:pk>/reply/", reply, name="reply"),
    path("requests/<int:pk>/fixed/", fixed, name="fixed"),
    path("requests/<int:pk>/withdraw/", withdraw, name="withdraw"),
    path("requests/<int:pk>/files/<int:attachment_id>/", attachment, name="attachment"),
]
