"""The dispatcher's queue board (UX §3): the group's open tickets, count chips, bulk routing, re-triage.

Every page works with plain GETs and POSTs; htmx only saves reloads (the chips poll, the bulk
result swaps rows and chips in place, the triage preview updates as the fields change).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from itsm import page_errors
from tickets import selectors
from tickets.errors import TicketError, VersionConflict
from tickets.http import AuthenticatedHttpRequest
from tickets.lifecycle import OPEN_STATUSES, Status
from tickets.models import Channel, Group, Service, Ticket
from tickets.services import BULK_MAX_TICKETS, ticket_update

from .board_bulk import BulkReport, bulk_route, selected_ids
from .board_forms import BoardFilterForm, BulkForm, TriageForm
from .board_queries import NOT_A_DISPATCHER, Chips, board_group, boards_for, queue_chips, queue_rows, queue_tickets

PER_PAGE = 50
TEMPLATES = "tickets/web/board/"


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The dispatcher's groups; with just one, straight to its queue."""
    groups = list(boards_for(request.user).annotate(
        open_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)),
        unassigned_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES,
                                                   tickets__assignee__isnull=True)),
    ).order_by("name"))
    if not groups:
        raise PermissionDenied(NOT_A_DISPATCHER)
    if len(groups) == 1:
        return redirect("board:group", slug=groups[0].slug)
    return render(request, TEMPLATES + "home.html", {"groups": groups})


@dataclass(frozen=True)
class PageInfo:
    """Server-side paging with the total shown, never a silent cap."""

    number: int
    num_pages: int
    total: int
    start: int
    end: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _page_info(raw: str | None, total: int) -> PageInfo:
    num_pages = max(1, -(-total // PER_PAGE))
    number = int(raw) if raw and raw.isdigit() else 1
    number = min(max(number, 1), num_pages)
    start = (number - 1) * PER_PAGE
    return PageInfo(number, num_pages, total, start + 1 if total else 0, min(start + PER_PAGE, total))


def _filter_query(form: BoardFilterForm) -> dict[str, str]:
    """The active filters as URL parameters (empty ones left out), for chip, paging and return links."""
    if not form.is_valid():
        return {}
    query = {}
    for name in BoardFilterForm.FILTER_FIELDS:
        value = form.cleaned_data.get(name)
        if value in (None, "", False):
            continue
        query[name] = "1" if value is True else str(value)
    return query


def _with(query: dict[str, str], **changes) -> str:
    merged = {**query, **{k: v for k, v in changes.items() if v is not None}}
    return urlencode({k: v for k, v in merged.items() if v})


def _chip_context(group: Group, query: dict[str, str], chips: Chips) -> dict:
    """Each chip links to the view it counts: the current filters plus its own (so count = rows)."""
    services = []
    for chip in chips.services:
        value = str(chip.service_id or "none")
        services.append((chip, _with(query, service=value), query.get("service") == value))
    return {
        "chips": chips,
        "chip_links": {
            "all": _with({}, status=query.get("status")),
            "unassigned": _with(query, assignee="unassigned"),
            "due_soon": _with(query, due_soon="1"),
            "breached": _with(query, breached="1"),
        },
        "service_chips": services,
    }


def _board_context(request: AuthenticatedHttpRequest, group: Group, *, params: QueryDict, selection: list[int],
                   bulk_form: BulkForm | None = None, report: BulkReport | None = None) -> dict:
    now = timezone.now()
    members = list(group.members.filter(is_active=True).order_by("first_name", "last_name", "username"))
    services = list(Service.objects.filter(is_active=True).order_by("name"))
    form = BoardFilterForm(params, group=group, members=members, services=services)
    filters = form.filters()
    query = _filter_query(form)
    queryset = queue_tickets(group, filters, now=now)
    chips = queue_chips(queryset, now=now)
    page = _page_info(params.get("page"), chips.total)
    rows = list(queue_rows(queryset)[page.start - 1:page.end]) if page.total else []
    on_page = {ticket.pk for ticket in rows}
    chosen = set(selection)
    waiting = 0
    if not rows:
        waiting = Ticket.objects.filter(group=group, status=Status.WAIT_CUSTOMER).count()
    base = reverse("board:group", args=[group.slug])
    return {
        "group": group,
        "form": form,
        "filters": filters,
        "query": query,
        "querystring": _with(query),
        "has_filters": bool(query),
        **_chip_context(group, query, chips),
        "rows": rows,
        "page": page,
        "selected_here": chosen & on_page,
        "selected_elsewhere": [pk for pk in selection if pk not in on_page],
        "selection_count": len(chosen),
        "bulk_form": bulk_form or BulkForm(group=group),
        "report": report,
        "bulk_max": BULK_MAX_TICKETS,
        "waiting_count": waiting,
        "waiting_link": f"{base}?{_with({}, status=Status.WAIT_CUSTOMER.value)}",
        "base_url": base,
    }


def _selection_from(params: QueryDict) -> list[int]:
    return selected_ids(params.getlist("sel"))


@login_required
@require_GET
def group_board(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    group = board_group(request.user, slug)
    context = _board_context(request, group, params=request.GET, selection=_selection_from(request.GET))
    return render(request, TEMPLATES + "group.html", context)


@login_required
@require_GET
def chips(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The count chips alone, for the 30-second poll: same filters, same queryset as the rows."""
    group = board_group(request.user, slug)
    now = timezone.now()
    members = list(group.members.filter(is_active=True))
    services = list(Service.objects.filter(is_active=True))
    form = BoardFilterForm(request.GET, group=group, members=members, services=services)
    query = _filter_query(form)
    counts = queue_chips(queue_tickets(group, form.filters(), now=now), now=now)
    context = {"group": group, "query": query, "querystring": _with(query),
               "base_url": reverse("board:group", args=[group.slug]), **_chip_context(group, query, counts)}
    return render(request, TEMPLATES + "_chips.html", context)


def _return_params(request: AuthenticatedHttpRequest) -> QueryDict:
    """The filters the board showed when the form was posted (a hidden field carries them)."""
    return QueryDict(request.POST.get("return_query", ""), mutable=True)


def _board_url(group: Group, params: QueryDict, *, selection: Sequence[int] = (), page: int | None = None) -> str:
    params = params.copy()
    params.pop("sel", None)
    if page is not None:  # otherwise stay on the page the form was posted from
        params.pop("page", None)
        if page > 1:
            params["page"] = str(page)
    if selection:
        params["sel"] = ",".join(map(str, selection))
    encoded = params.urlencode()
    return reverse("board:group", args=[group.slug]) + (f"?{encoded}" if encoded else "")


@login_required
@require_POST
def page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Paging from inside the bulk form: the ticked tickets travel along in the URL (selection survives)."""
    group = board_group(request.user, slug)
    selection = selected_ids(request.POST.getlist("ticket") + request.POST.getlist("selected"))
    number = request.POST.get("page", "1")
    return redirect(_board_url(group, _return_params(request), selection=selection,
                               page=int(number) if number.isdigit() else 1))


@login_required
@require_POST
def bulk(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Assign or move the selected tickets; each ticket's outcome is reported in a polite live region."""
    group = board_group(request.user, slug)
    selection = selected_ids(request.POST.getlist("ticket") + request.POST.getlist("selected"))
    form = BulkForm(request.POST, group=group)
    if form.is_valid():
        report = bulk_route(actor=request.user, ticket_ids=selection, changes=form.changes())
    else:
        report = BulkReport(error=" ".join(str(e) for errors in form.errors.values() for e in errors))
    params = _return_params(request)
    keep = [] if report.ok else selection
    if request.htmx:
        context = _board_context(request, group, params=params, selection=keep,
                                 bulk_form=None if report.ok else form, report=report)
        response = render(request, TEMPLATES + "_bulk_response.html", context)
        if not report.ok:
            response.status_code = 422
        return response
    (messages.success if report.ok else messages.error)(request, report.summary)
    return redirect(_board_url(group, params, selection=keep))


def _preview(ticket: Ticket, data) -> Ticket | None:
    """What the SLA would be with the form's impact and urgency, computed by the SLA code itself."""
    impact, urgency = data.get("impact"), data.get("urgency")
    form = TriageForm({"impact": impact, "urgency": urgency, "version": ticket.version})
    if not form.is_valid():
        return None
    return selectors.sla_preview(impact=impact, urgency=urgency, ticket=ticket)


def _triage_ticket(group: Group, pk: int) -> Ticket:
    return get_object_or_404(Ticket.objects.select_related("service", "requester", "assignee"), pk=pk, group=group)


@login_required
def triage(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change impact and urgency with the new priority and deadlines shown before saving."""
    group = board_group(request.user, slug)
    ticket = _triage_ticket(group, pk)
    back = request.GET.get("back") or request.POST.get("back") or ""
    status = 200
    if request.method == "POST":
        data: QueryDict | dict[str, str] = request.POST.copy()
        form = TriageForm(data)
        if form.is_valid() and "preview" not in request.POST:
            try:
                saved = ticket_update(ticket_id=ticket.pk, actor=request.user, channel=Channel.WEB,
                                      changes={"impact": form.cleaned_data["impact"],
                                               "urgency": form.cleaned_data["urgency"]},
                                      expected_version=form.cleaned_data["version"])
            except VersionConflict as conflict:
                ticket = _triage_ticket(group, pk)
                data["version"] = str(conflict.current_version)
                form = TriageForm(data)
                form.is_valid()
                page_errors.add_to_form(form, conflict)  # the preview below is worked out from their version
                status = 409
            except ValidationError as invalid:
                page_errors.add_to_form(form, invalid)
                status = 422
            except TicketError as refusal:
                page_errors.add_to_form(form, refusal)
                status = 403
            else:
                was = ticket.get_priority_display() or "none"
                messages.success(request, f"#{saved.pk} re-triaged: priority {saved.get_priority_display()} "
                                          f"(was {was}).")
                target = reverse("board:group", args=[group.slug])
                return redirect(f"{target}?{back}" if back else target)
    else:
        form = TriageForm(initial={"impact": ticket.impact, "urgency": ticket.urgency, "version": ticket.version})
        data = {"impact": ticket.impact, "urgency": ticket.urgency}
    preview = _preview(ticket, data)
    return render(request, TEMPLATES + "triage.html",
                  {"group": group, "ticket": ticket, "form": form, "preview": preview, "back": back},
                  status=status)


@login_required
@require_GET
def triage_preview(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The preview fragment, requested by htmx whenever impact or urgency changes."""
    group = board_group(request.user, slug)
    ticket = _triage_ticket(group, pk)
    return render(request, TEMPLATES + "_triage_preview.html",
                  {"ticket": ticket, "preview": _preview(ticket, request.GET)})


urlpatterns = [
    path("", home, name="home"),
    path("<slug:slug>/", group_board, name="group"),
    path("<slug:slug>/chips/", chips, name="chips"),
    path("<slug:slug>/bulk/", bulk, name="bulk"),
    path("<slug:slug>/page/", page, name="page"),
    path("<slug:slug>/triage/<int:pk>/", triage, name="triage"),
    path("<slug:slug>/triage/<int:pk>/preview/", triage_preview, name="triage_preview"),
]
