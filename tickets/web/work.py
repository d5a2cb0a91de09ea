"""My work: the technician's home — their open tickets by view, and their groups' queues.

A plain GET renders the whole page; an htmx request from the filter bar gets only the rows region
(with the tab counts swapped out of band), and the 30 s poll gets only the counts. Rows are never
re-sorted under the cursor by a poll: only the counts refresh.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from tickets import policies
from tickets.http import AuthenticatedHttpRequest
from tickets.models import Group

from .work_queries import PAGE_SIZE, FilterForm, Tab, base_queryset, group_tab, personal_tabs, tab_counts, tab_filter

FILTER_NAMES = ("q", "status", "priority", "service", "breached")


def _staff_only(request: AuthenticatedHttpRequest) -> None:
    if not policies.is_staff(request.user):
        raise PermissionDenied("My work is for ITS staff. Your requests are in the portal.")


def _tabs(request: AuthenticatedHttpRequest, current_group: Group | None) -> list[Tab]:
    groups = list(request.user.support_groups.order_by("name"))
    if current_group is not None and current_group not in groups:
        groups.append(current_group)  # a colleague's queue opened by link still gets its tab
    return personal_tabs() + [group_tab(group) for group in groups]


def _querystring(form: FilterForm, **extra) -> str:
    """The filters as typed (so a bookmark or a page link repeats them), without empty ones."""
    params = [(name, value) for name in FILTER_NAMES if (value := form.data.get(name))]
    params += [(name, value) for name, value in extra.items() if value]
    return urlencode(params)


def _page_number(request: AuthenticatedHttpRequest, total: int) -> int:
    last = max(1, -(-total // PAGE_SIZE))
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    return min(max(number, 1), last)


def _context(request: AuthenticatedHttpRequest, key: str, group: Group | None = None, *,
             with_rows: bool = True) -> dict:
    now = timezone.now()
    tabs = _tabs(request, group)
    current = next((tab for tab in tabs if tab.key == key), None)
    if current is None:
        raise Http404("No such view")
    form = FilterForm(request.GET)
    form.is_valid()  # errors are shown; the valid filters still apply
    filters = form.filter_q()
    counts = tab_counts(tabs, user=request.user, now=now, filters=filters)
    total = counts[current.key]
    number = _page_number(request, total)
    start = (number - 1) * PAGE_SIZE
    rows = []
    if with_rows and total:
        rows = list(base_queryset(user=request.user, now=now)
                    .filter(tab_filter(current, user=request.user, now=now)).filter(filters)[start:start + PAGE_SIZE])
    unassigned = [(tab, counts[f"unassigned-{tab.group.slug}"]) for tab in tabs
                  if tab.group is not None and counts[f"unassigned-{tab.group.slug}"]]
    last_page = max(1, -(-total // PAGE_SIZE))
    return {
        "form": form,
        "tabs": [(tab, counts[tab.key]) for tab in tabs],
        "current": current,
        "rows": rows,
        "total": total,
        "first": start + 1 if rows else 0,
        "last": start + len(rows),
        "page": number,
        "previous_url": f"?{_querystring(form, page=number - 1)}" if number > 1 else "",
        "next_url": f"?{_querystring(form, page=number + 1)}" if number < last_page else "",
        "filters_query": _querystring(form),
        "filtered": form.is_filtered(),
        "search": form.cleaned_data.get("q", ""),
        "unassigned": unassigned,
        "counts_url": f"{current.url}counts/",
        "just_now": now - timedelta(minutes=1),
    }


def _respond(request: AuthenticatedHttpRequest, context: dict) -> HttpResponse:
    if request.htmx and not request.htmx.history_restore_request:
        template = "tickets/web/work/rows.html"
    else:
        template = "tickets/web/work/page.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def view(request: AuthenticatedHttpRequest, key: str = "mine") -> HttpResponse:
    _staff_only(request)
    return _respond(request, _context(request, key))


@login_required
def group_view(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    group = get_object_or_404(Group, slug=slug)
    return _respond(request, _context(request, f"group-{slug}", group))


@login_required
def counts(request: AuthenticatedHttpRequest, key: str = "mine", slug: str = "") -> HttpResponse:
    """The tab strip alone, for the 30 s poll: counts refresh, rows stay where they are."""
    _staff_only(request)
    group = get_object_or_404(Group, slug=slug) if slug else None
    context = _context(request, f"group-{slug}" if slug else key, group, with_rows=False)
    response = render(request, "tickets/web/work/tabs.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


urlpatterns = [
    path("", view, name="mine"),
    path("replied/", view, {"key": "replied"}, name="replied"),
    path("due/", view, {"key": "due"}, name="due"),
    path("waiting/", view, {"key": "waiting"}, name="waiting"),
    path("groups/<slug:slug>/", group_view, name="group"),
    path("counts/", counts, name="counts"),
    path("replied/counts/", counts, {"key": "replied"}, name="replied-counts"),
    path("due/counts/", counts, {"key": "due"}, name="due-counts"),
    path("waiting/counts/", counts, {"key": "waiting"}, name="waiting-counts"),
    path("groups/<slug:slug>/counts/", counts, name="group-counts"),
]
