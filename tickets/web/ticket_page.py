"""The ticket page for staff: header with both SLA badges, timeline, composer, actions, side panel.

Every write goes through ``tickets.services``; this module only turns requests into service calls
and service errors into words on the page. Each POST answers an htmx request with the page's
``#ticket-page`` fragment (errors with 409 or 422, which htmx is configured to swap), and a plain
form post with a redirect (or the whole page on error), so everything works without JavaScript.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from itsm import page_errors
from tickets import policies, selectors, services
from tickets.errors import NotAllowed, StateConflict, TicketError, VersionConflict
from tickets.http import AuthenticatedHttpRequest
from tickets.lifecycle import InvalidTransition, Status
from tickets.models import Channel, Group, Service, Ticket
from tickets.services import PROCESS_CLASSIFICATIONS

from . import ticket_presence as presence
from . import ticket_timeline as timeline
from .ticket_forms import AssignForm, CancelForm, ComposerForm, ResolveForm, TransitionForm, TriageForm

TEMPLATE_DIR = "tickets/web/ticket/"

# The words on the status buttons; a hint says what the button also does.
ACTION_LABELS: dict[str, tuple[str, str]] = {
    Status.IN_PROCESS: ("Start work", "Tells the customer a technician is on it (this is the response)."),
    Status.WAIT_CUSTOMER: ("Wait on customer", "Pauses the SLA clock until the customer replies."),
    Status.WAIT_VENDOR: ("Wait on vendor", "Pauses the SLA clock while a vendor works on it."),
    Status.CLOSED: ("Close", "The fix is confirmed; the ticket becomes final."),
    Status.CUSTOMER_RESPONDED: ("Customer says it's still broken", "Reopens the ticket for more work."),
}


def _ticket_query():
    return Ticket.objects.select_related("service", "group", "assignee", "requester", "parent")


def staff_ticket(view: Callable) -> Callable:
    """Load the ticket for staff; a customer who may see it goes to the portal, anyone else gets 404."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        ticket = get_object_or_404(policies.visible_tickets(request.user, _ticket_query()), pk=pk)
        if not policies.is_staff(request.user):
            if request.method != "GET":
                raise Http404
            return redirect("portal:request", pk=ticket.pk)
        return view(request, ticket, *args, **kwargs)

    return wrapper


def _actions(ticket: Ticket, allowed: list[str]) -> list[dict]:
    """The status buttons for the moves ``allowed`` now, in life-cycle order."""
    actions = []
    for status in allowed:
        if status in (Status.RESOLVED, Status.CANCELLED):
            continue  # these have their own small forms (a note, a reason)
        if status == Status.CLOSED and ticket.classification in PROCESS_CLASSIFICATIONS:
            continue  # closed from the outage console, which checks the children and a problem's fix
        label, hint = ACTION_LABELS[status]
        if status == Status.IN_PROCESS and ticket.status != Status.NEW:
            label = "Resume work"
        actions.append({"status": status, "label": label, "hint": hint})
    return actions


def _parse_before(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _context(request: AuthenticatedHttpRequest, ticket: Ticket, **overrides) -> dict:
    """Everything the page shows, in a fixed number of queries whatever the ticket's history."""
    groups = list(Group.objects.all())
    staff = list(policies.assignable_staff().order_by("first_name", "last_name", "username"))
    people = {u.pk: u for u in staff}
    people.setdefault(ticket.requester_id, ticket.requester)
    names = timeline.Names(groups=groups, people=people.values(), services=Service.objects.only("id", "name"))
    before = _parse_before(request.GET.get("before"))
    # The buttons offer what the service would accept from this person.
    allowed = policies.allowed_statuses(request.user, ticket)
    version = {"version": ticket.version}
    seen = overrides.pop("seen", None) or timeline.latest_event_id(ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "timeline": timeline.build(ticket, request.user, names, before=before),
        "before": before,
        "attachments": list(selectors.ticket_attachments(ticket=ticket, user=request.user)
                            .select_related("uploaded_by")),
        "actions": _actions(ticket, allowed),
        # An outage is resolved with its all-clear, on the console (``run_in_console``).
        "can_resolve": Status.RESOLVED in allowed and ticket.classification not in PROCESS_CLASSIFICATIONS,
        "run_in_console": ticket.classification in PROCESS_CLASSIFICATIONS,
        "can_cancel": Status.CANCELLED in allowed,
        "others": presence.others(ticket.pk, request.user),
        "composer": ComposerForm(initial={"seen": seen}),
        "resolve_form": ResolveForm(initial=version),
        "cancel_form": CancelForm(initial=version),
        "assign_form": AssignForm(initial={**version, "group": ticket.group_id, "assignee": ticket.assignee_id},
                                  groups=groups, staff=staff),
        "triage_form": TriageForm(initial={**version, "impact": ticket.impact, "urgency": ticket.urgency}),
        "draft_clear": bool(request.GET.get("sent")),
        "problem": "",
        "notice": "",
    }
    stale_since = overrides.pop("stale_since", None)
    if stale_since is not None:
        context["stale_items"] = timeline.activity_since(ticket, request.user, names, seen_event_id=stale_since)
    context.update(overrides)
    if context["draft_clear"]:
        # Just sent: keep the writer where they were, ready for the next message.
        context["composer"].fields["body"].widget.attrs["autofocus"] = True
    # Typing in the composer is a "writing" heartbeat (throttled), so others see it within seconds.
    context["composer"].fields["body"].widget.attrs.update({
        "hx-post": reverse("ticket:presence", args=[ticket.pk]), "hx-trigger": "input changed throttle:5s",
        "hx-vals": '{"state": "writing"}', "hx-params": "state", "hx-swap": "none",
    })
    failed = [form for form in (context["composer"], context["resolve_form"], context["cancel_form"],
                                context["assign_form"], context["triage_form"]) if form.is_bound and form.errors]
    context["failed_form"] = failed[0] if failed else None
    context["has_errors"] = bool(failed or context["problem"])
    return context


def _page(request: AuthenticatedHttpRequest, ticket: Ticket, *, status: int = 200, **overrides) -> HttpResponse:
    context = _context(request, ticket, **overrides)
    # Only the page's own htmx posts swap the fragment; a GET (even a boosted one) gets the whole page.
    fragment = request.htmx and not request.htmx.boosted and request.method == "POST"
    template = "_page.html" if fragment else "detail.html"
    return render(request, TEMPLATE_DIR + template, context, status=status)


def _done(request: AuthenticatedHttpRequest, ticket_id: int, notice: str, **flags) -> HttpResponse:
    """After a successful write: the fresh fragment for htmx, a redirect for a plain form post."""
    if request.htmx:
        ticket = _ticket_query().get(pk=ticket_id)
        return _page(request, ticket, notice=notice, **flags)
    messages.success(request, notice)
    url = reverse("ticket:detail", args=[ticket_id])
    return redirect(url + ("?sent=1" if flags.get("draft_clear") else ""))


def _fresh(ticket: Ticket) -> Ticket:
    return _ticket_query().get(pk=ticket.pk)


@require_GET
@staff_ticket
def detail(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    presence.heartbeat(ticket.pk, request.user, presence.VIEWING)
    return _page(request, ticket)


@require_POST
@staff_ticket
def reply(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    """Post a public reply or an internal note (with files), unless others added activity meanwhile."""
    form = ComposerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, ticket, status=422, composer=form)
    seen = form.cleaned_data["seen"]
    if timeline.has_activity_since(ticket, request.user, seen_event_id=seen):
        # The stale-send guard: show what is new, keep the draft, and let the next send go through.
        data = request.POST.copy()
        data["seen"] = str(timeline.latest_event_id(ticket))
        kept = ComposerForm(data)
        kept.is_valid()
        return _page(request, ticket, status=409, composer=kept, stale_since=seen)
    internal = form.internal
    try:
        with transaction.atomic():
            if form.cleaned_data["body"]:
                services.entry_add(ticket_id=ticket.pk, actor=request.user, body=form.cleaned_data["body"],
                                   internal=internal, channel=Channel.WEB)
            for upload in form.cleaned_data["files"]:
                services.attachment_add(ticket_id=ticket.pk, actor=request.user, uploaded=upload,
                                        internal=internal, channel=Channel.WEB)
    except ValidationError as error:
        page_errors.add_to_form(form, error, field_map={"file": "files"})
        return _page(request, ticket, status=422, composer=form)
    except TicketError as error:
        page_errors.add_to_form(form, error)
        return _page(request, ticket, status=409, composer=form)
    what = "Internal note added" if internal else "Reply sent to the customer"
    if not form.cleaned_data["body"]:
        what = "Files attached"
    return _done(request, ticket.pk, what, draft_clear=True)


@require_POST
@staff_ticket
def transition(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    """A status button. Resolve posts its note as a public reply first; cancel keeps its reason as a note."""
    to_status = request.POST.get("to_status", "")
    if to_status == Status.RESOLVED:
        return _transition_with_text(request, ticket, ResolveForm(request.POST), "resolve_form", "note",
                                     internal=False, notice="Resolved: the customer was asked to confirm the fix")
    if to_status == Status.CANCELLED:
        return _transition_with_text(request, ticket, CancelForm(request.POST), "cancel_form", "reason",
                                     internal=True, notice="Ticket cancelled")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, status=422,
                     problem="That status change didn't come through. Choose one of the buttons below.")
    try:
        updated = services.ticket_transition(ticket_id=ticket.pk, actor=request.user, to_status=to_status,
                                             channel=Channel.WEB, expected_version=form.cleaned_data["version"])
    except (VersionConflict, InvalidTransition, StateConflict) as error:
        return _page(request, _fresh(ticket), status=409, problem=page_errors.words(error))
    except (NotAllowed, ValidationError) as error:
        return _page(request, ticket, status=422, problem=page_errors.words(error))
    return _done(request, ticket.pk, f"Status is now “{updated.get_status_display()}”")


def _transition_with_text(request: AuthenticatedHttpRequest, ticket: Ticket, form, form_name: str, field: str, *,
                          internal: bool, notice: str) -> HttpResponse:
    to_status = request.POST["to_status"]
    if not form.is_valid():
        return _page(request, ticket, status=422, **{form_name: form})
    try:
        with transaction.atomic():
            # The text and the move are one step: a stale page writes neither.
            services.entry_add(ticket_id=ticket.pk, actor=request.user, body=form.cleaned_data[field],
                               internal=internal, channel=Channel.WEB, expected_version=form.cleaned_data["version"])
            services.ticket_transition(ticket_id=ticket.pk, actor=request.user, to_status=to_status,
                                       channel=Channel.WEB)
    except (VersionConflict, InvalidTransition, StateConflict) as error:
        # The page is redrawn from the fresh ticket: the conflict is the page's, not the form's.
        return _page(request, _fresh(ticket), status=409, problem=page_errors.words(error), **{form_name: form})
    except (ValidationError, NotAllowed) as error:
        page_errors.add_to_form(form, error, field_map={"body": field})
        return _page(request, ticket, status=422, **{form_name: form})
    return _done(request, ticket.pk, notice)


@require_POST
@staff_ticket
def assign(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    """Reassign group and assignee, or take the ticket with one click ("Assign to me")."""
    form = AssignForm(request.POST)
    if "assign_to_me" in request.POST:
        if not form.is_valid() and "version" in form.errors:
            return _page(request, ticket, status=422, problem="Reload the page, then assign it again.")
        changes = {"assignee": request.user}
    else:
        if not form.is_valid():
            return _page(request, ticket, status=422, assign_form=form)
        changes = {"group": form.cleaned_data["group"], "assignee": form.cleaned_data["assignee"]}
    try:
        updated = services.ticket_update(ticket_id=ticket.pk, actor=request.user, changes=changes,
                                         channel=Channel.WEB, expected_version=form.cleaned_data.get("version"))
    except VersionConflict as error:
        return _page(request, _fresh(ticket), status=409, problem=page_errors.words(error), assign_form=form)
    except ValidationError as error:
        if "assign_to_me" in request.POST:  # one click, no form on the page to put it on
            return _page(request, ticket, status=422, problem=page_errors.words(error))
        page_errors.add_to_form(form, error)
        return _page(request, ticket, status=422, assign_form=form)
    except TicketError as error:
        return _page(request, ticket, status=422, problem=page_errors.words(error))
    who = updated.assignee or "nobody"
    group = updated.group or "no group"
    return _done(request, ticket.pk, f"Assigned to {who} ({group})")


@require_POST
@staff_ticket
def triage(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    """Re-triage impact and urgency; the SLA service recomputes priority and deadlines."""
    form = TriageForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, status=422, triage_form=form)
    try:
        updated = services.ticket_update(
            ticket_id=ticket.pk, actor=request.user, channel=Channel.WEB,
            changes={"impact": form.cleaned_data["impact"], "urgency": form.cleaned_data["urgency"]},
            expected_version=form.cleaned_data["version"])
    except VersionConflict as error:
        return _page(request, _fresh(ticket), status=409, problem=page_errors.words(error), triage_form=form)
    except ValidationError as error:
        page_errors.add_to_form(form, error)
        return _page(request, ticket, status=422, triage_form=form)
    except TicketError as error:
        return _page(request, ticket, status=422, problem=page_errors.words(error))
    return _done(request, ticket.pk, f"Priority is now {updated.get_priority_display() or 'not set'}")


@require_GET
@staff_ticket
def triage_preview(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    """What re-triage would give: priority and both deadlines, computed by the real SLA code."""
    form = TriageForm({**request.GET.dict(), "version": ticket.version})
    draft = None
    if form.is_valid():
        draft = selectors.sla_preview(impact=form.cleaned_data["impact"], urgency=form.cleaned_data["urgency"],
                                      ticket=ticket)
    return render(request, TEMPLATE_DIR + "_triage_preview.html", {"ticket": ticket, "draft": draft})


@require_http_methods(["GET", "POST"])
@staff_ticket
def presence_view(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    """POST: a heartbeat (state viewing|writing|gone). GET: who else is here, as a fragment."""
    if request.method == "POST":
        state = request.POST.get("state", presence.VIEWING)
        if state == "gone":
            presence.leave(ticket.pk, request.user)
        else:
            presence.heartbeat(ticket.pk, request.user, state)
        return HttpResponse(status=204)
    return render(request, TEMPLATE_DIR + "_presence.html",
                  {"ticket": ticket, "others": presence.others(ticket.pk, request.user), "oob": True})


urlpatterns = [
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/reply/", reply, name="reply"),
    path("<int:pk>/status/", transition, name="transition"),
    path("<int:pk>/assign/", assign, name="assign"),
    path("<int:pk>/triage/", triage, name="triage"),
    path("<int:pk>/triage/preview/", triage_preview, name="triage-preview"),
    path("<int:pk>/presence/", presence_view, name="presence"),
]
