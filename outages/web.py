"""The incident manager's outage console (UX §7): the list of outages and one page per outage.

Every step posts a plain form to its own URL and calls one service (``outages.services``, ``.changes``,
``.reviews``) with ``channel=WEB``; success redirects back to the console with a message, a refusal or a
validation error re-renders the console with the message beside the form (status 422). The email preview
and the live strip (countdown, children, approvals) are htmx fragments that also work as plain GETs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from itsm import page_errors
from tickets import policies
from tickets.http import AuthenticatedHttpRequest
from tickets.models import Channel, Classification

from . import changes, notify, reviews, services
from . import web_console as console
from .models import Audience, ChangeRequest, Outage, Update
from .web_forms import (
    ChangeForm,
    ChildrenForm,
    PermanentFixForm,
    PlanForm,
    ResolveForm,
    ReviewForm,
    UpdateForm,
    WorkaroundForm,
    reach_words,
)

WEB = Channel.WEB


def _require_staff(request: AuthenticatedHttpRequest) -> None:
    if not policies.is_staff(request.user):
        raise PermissionDenied("The outage console is for ITS staff.")


MAX_ID = 2**63 - 1  # the outage's key is its ticket's (one-to-one), which Django does not range-check


def _outage(pk: int) -> Outage:
    if not 0 < pk <= MAX_ID:
        raise Http404("No outage or problem with that number.")
    try:
        return console.outage_for_console(pk)
    except Outage.DoesNotExist:
        raise Http404("No outage or problem with that number.") from None


def _audience_key(pk: int) -> str:
    return f"outages.{pk}.audiences"


def _remembered_audiences(request: AuthenticatedHttpRequest, outage: Outage) -> list[str]:
    """The last audiences this person sent to on this outage, else the plan's: never re-ticked silently."""
    remembered = request.session.get(_audience_key(outage.pk))
    return [a for a in (remembered or outage.audiences or [Audience.TICKET]) if a in Audience.values]


# --- Pages ----------------------------------------------------------------------------------------


@login_required
@require_GET
def outage_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open outages and problems first (soonest update due on top), then those resolved this week."""
    _require_staff(request)
    now = timezone.now()
    open_qs, resolved_qs = console.outages_listed(now)
    page = Paginator(open_qs, console.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"outage": outage, "countdown": console.countdown(outage, now)} for outage in page]
    return render(request, "outages/console/list.html", {
        "page": page, "rows": rows, "resolved": list(resolved_qs[:console.PAGE_SIZE]), "now": now,
    })


def _console(request: AuthenticatedHttpRequest, outage: Outage, *, forms: dict | None = None, failed=None,
             status: int = 200) -> HttpResponse:
    """Render the console; ``forms`` replaces the blank forms (a bound one that failed keeps its input)."""
    now = timezone.now()
    reach = notify.audience_reach(outage)
    cadence = outage.cadence_minutes
    chosen = _remembered_audiences(request, outage)
    blank = {
        "plan": PlanForm(prefix="plan", reach=reach, cadence=cadence,
                         initial={"audiences": outage.audiences or [Audience.TICKET],
                                  "cadence_minutes": cadence or 60}),
        "update": UpdateForm(prefix="update", reach=reach, cadence=cadence,
                             initial={"audiences": chosen, "next_update_minutes": cadence or 60,
                                      "status": services.UpdateStatus.INVESTIGATING}),
        "children": ChildrenForm(prefix="children"),
        "workaround": WorkaroundForm(prefix="workaround"),
        "resolve": ResolveForm(prefix="resolve"),
        "fix": PermanentFixForm(prefix="fix", initial={"text": outage.permanent_fix}),
        "rfc": ChangeForm(prefix="rfc"),
    }
    review = getattr(outage, "review", None) if console.may_review(outage) else None
    if console.may_review(outage):
        initial = ({name: getattr(review, name) for name in reviews.SECTIONS} if review is not None
                   else reviews.review_prefill(outage))
        blank["review"] = ReviewForm(prefix="review", initial=initial)
    forms = {**blank, **(forms or {})}
    update_audiences = forms["update"]["audiences"].value() or []
    updates = list(outage.updates.all())
    held = [update for update in updates if update.community_state == Update.CommunityState.HELD]
    counts = console.children_counts(outage, now)
    told = services.all_clear_audiences(outage)
    context = {
        "outage": outage, "ticket": outage.ticket, "now": now, "forms": forms, "form": failed,
        "countdown": console.countdown(outage, now),
        "duration": console.duration_since(outage.ticket.created_at, (outage.ticket.resolved_at or now)),
        "is_open": outage.ticket.is_open,
        "is_problem": outage.ticket.classification == Classification.PROBLEM,
        "counts": counts, "children_page": console.children_page(outage, request.GET.get("children_page")),
        "reach": [{"audience": value, "label": label, "words": reach_words(value, reach.get(value, []))}
                  for value, label in Audience.choices],
        "send_label": console.reach_summary(reach, update_audiences),
        "all_clear_reach": console.reach_summary(reach, told).removeprefix("Send to ").replace(
            "Send (nobody to reach yet)", "nobody"),
        "plan_labels": [Audience(a).label for a in outage.audiences or [] if a in Audience.values],
        "held": held, "approvers": console.approvers() if held else [],
        "last_update": updates[-1] if updates else None,
        "updates": list(reversed(updates)),
        "timeline": console.timeline(outage),
        "review": review, "review_timeline": reviews.review_timeline(outage) if "review" in forms else [],
        "review_open": console.may_review(outage),
        **console.roles(request.user, outage),
    }
    return render(request, "outages/console/detail.html", context, status=status)


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    return _console(request, _outage(pk))


@login_required
@require_GET
def live(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The strip that polls every 30 s: countdown, children count and the messages awaiting approval."""
    _require_staff(request)
    outage = _outage(pk)
    now = timezone.now()
    held = [update for update in outage.updates.all() if update.community_state == Update.CommunityState.HELD]
    return render(request, "outages/console/_live.html", {
        "outage": outage, "ticket": outage.ticket, "countdown": console.countdown(outage, now),
        "counts": console.children_counts(outage, now), "held": held,
        "approvers": console.approvers() if held else [], "is_open": outage.ticket.is_open,
        **console.roles(request.user, outage),
    })


@login_required
@require_POST
def preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The exact email each ticked audience would get, rendered by the code that sends it; nothing is sent."""
    _require_staff(request)
    outage = _outage(pk)
    reach = notify.audience_reach(outage)
    form = UpdateForm(request.POST, prefix="update", reach=reach, cadence=outage.cadence_minutes)
    form.is_valid()  # the preview shows what it can; the send checks everything
    data = form.cleaned_data
    audiences = [a for a in Audience.values if a in data.get("audiences", [])]
    text = services.update_text(data.get("text", ""), data.get("status", ""))
    previews, message = [], None
    if text:
        now = timezone.now()
        try:
            next_at = services.next_update_at(outage, now=now, minutes=data.get("next_update_minutes"))
        except ValidationError:
            next_at = None
        update = Update(outage=outage, text=text, audiences=audiences, posted_by=request.user, posted_at=now,
                        next_update_at=next_at)
        message = notify.update_preview(update)
        for audience in audiences:
            previews.append({"audience": audience, "label": Audience(audience).label,
                             "addresses": reach.get(audience, []),
                             "words": reach_words(audience, reach.get(audience, [])),
                             "held": audience == Audience.COMMUNITY})
    return render(request, "outages/console/_preview.html", {
        "outage": outage, "message": message, "previews": previews, "text": text, "audiences": audiences,
        "send_label": console.reach_summary(reach, audiences),
    })


# --- Steps ----------------------------------------------------------------------------------------

# The form a step builds is the form its run takes (each step its own form class).
StepForm = TypeVar("StepForm", bound=BaseForm)


def _step(request: AuthenticatedHttpRequest, pk: int, name: str, build: Callable[[Outage, dict], StepForm],
          run: Callable[[Outage, StepForm], str], *, anchor: str = "", field_map: dict | None = None) -> HttpResponse:
    """One console step: check the form, run the service, redirect with a message or show what went wrong."""
    _require_staff(request)
    outage = _outage(pk)
    form = build(outage, request.POST)
    if form.is_valid():
        try:
            done = run(outage, form)
        except page_errors.SERVICE_ERRORS as error:
            page_errors.add_to_form(form, error, field_map=field_map)
        else:
            messages.success(request, done)
            return redirect(reverse("console:detail", args=[pk]) + (f"#{anchor}" if anchor else ""))
    outage = _outage(pk)  # what the page shows is what is stored now, not what the failed step half-read
    return _console(request, outage, forms={name: form}, failed=form, status=422)


def _reach(outage: Outage) -> dict:
    return {"reach": notify.audience_reach(outage), "cadence": outage.cadence_minutes}


@login_required
@require_POST
def plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: PlanForm) -> str:
        services.plan_set(actor=request.user, outage_id=outage.pk, channel=WEB, **form.cleaned_data)
        return "Communication plan saved. The next update is due one cadence from now."
    return _step(request, pk, "plan", lambda o, data: PlanForm(data, prefix="plan", **_reach(o)), run,
                 anchor="plan")


@login_required
@require_POST
def update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: UpdateForm) -> str:
        data = form.cleaned_data
        sent = services.update_post(actor=request.user, outage_id=outage.pk, text=data["text"],
                                    status=data["status"], audiences=data["audiences"],
                                    next_update_minutes=data["next_update_minutes"], channel=WEB)
        request.session[_audience_key(outage.pk)] = sent.audiences
        if sent.community_state == Update.CommunityState.HELD:
            return "Update sent. The message to the whole community is awaiting approval."
        return "Update sent."
    return _step(request, pk, "update", lambda o, data: UpdateForm(data, prefix="update", **_reach(o)), run,
                 anchor="composer")


@login_required
@require_POST
def link_children(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: ChildrenForm) -> str:
        ids = [n for n in form.cleaned_data["tickets"] if n != outage.ticket_id]
        if not ids:
            raise ValidationError({"tickets": ["An outage cannot be its own child: enter other ticket numbers"]})
        linked = services.children_link(actor=request.user, outage_id=outage.pk, ticket_ids=ids, channel=WEB)
        if not linked:
            return "Those tickets were already linked."
        return "Linked " + ", ".join(f"#{child.pk}" for child in linked) + "."
    return _step(request, pk, "children", lambda o, data: ChildrenForm(data, prefix="children"), run,
                 anchor="children")


@login_required
@require_POST
def workaround(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: WorkaroundForm) -> str:
        services.workaround_publish(actor=request.user, outage_id=outage.pk, text=form.cleaned_data["text"],
                                    channel=WEB)
        return "Workaround published and sent to everyone affected."
    return _step(request, pk, "workaround", lambda o, data: WorkaroundForm(data, prefix="workaround"), run,
                 anchor="workaround", field_map={"classification": "text"})


@login_required
@require_POST
def reclassify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    outage = _outage(pk)
    target = request.POST.get("classification", "")
    try:
        services.outage_reclassify(actor=request.user, outage_id=outage.pk, classification=target, channel=WEB)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, page_errors.words(error))
    else:
        messages.success(request, f"Now a {Classification(target).label.lower()}.")
    return redirect("console:detail", pk=pk)


@login_required
@require_POST
def resolve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: ResolveForm) -> str:
        services.outage_resolve(actor=request.user, outage_id=outage.pk, all_clear=form.cleaned_data["all_clear"],
                                channel=WEB)
        return "Resolved. The all-clear is on its way and the open child tickets are resolved."
    return _step(request, pk, "resolve", lambda o, data: ResolveForm(data, prefix="resolve"), run,
                 anchor="review")


@login_required
@require_POST
def permanent_fix(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: PermanentFixForm) -> str:
        services.permanent_fix_record(actor=request.user, outage_id=outage.pk, text=form.cleaned_data["text"],
                                      channel=WEB)
        return "Permanent fix recorded."
    return _step(request, pk, "fix", lambda o, data: PermanentFixForm(data, prefix="fix"), run, anchor="fix",
                 field_map={"permanent_fix": "text"})


@login_required
@require_POST
def change_raise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def run(outage: Outage, form: ChangeForm) -> str:
        change = changes.change_request(actor=request.user, outage_id=outage.pk, emergency=True, **form.cleaned_data)
        return f"Emergency RFC {change.pk} requested; it waits for a change approver."
    return _step(request, pk, "rfc", lambda o, data: ChangeForm(data, prefix="rfc"), run, anchor="rfcs")


@login_required
@require_POST
def change_step(request: AuthenticatedHttpRequest, pk: int, change_id: int, step: str) -> HttpResponse:
    """Approve, reject or mark implemented an RFC of this outage."""
    _require_staff(request)
    if step not in ("approve", "reject", "implemented"):
        raise Http404("No such step for a request for change.")
    get_object_or_404(ChangeRequest, pk=change_id, outage_id=pk)
    try:
        if step == "implemented":
            change = changes.change_implemented(actor=request.user, change_id=change_id)
        else:
            change = changes.change_decide(actor=request.user, change_id=change_id, approve=step == "approve")
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, page_errors.words(error))
    else:
        messages.success(request, f"RFC {change.pk} {change.get_state_display().lower()}.")
    return redirect(reverse("console:detail", args=[pk]) + "#rfcs")


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int, update_id: int, decision: str) -> HttpResponse:
    """Approve or reject a community message held for approval."""
    _require_staff(request)
    if decision not in ("approve", "reject"):
        raise Http404("A held message is approved or rejected.")
    get_object_or_404(Update, pk=update_id, outage_id=pk)
    try:
        services.update_decide(actor=request.user, update_id=update_id, approve=decision == "approve", channel=WEB)
    except page_errors.SERVICE_ERRORS as error:
        messages.error(request, page_errors.words(error))
    else:
        messages.success(request, "Community message approved and sent." if decision == "approve"
                         else "Community message rejected; it will not be sent.")
    return redirect(reverse("console:detail", args=[pk]) + "#approvals")


@login_required
@require_POST
def review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the review draft; "submit" also submits it for posting, "publish" posts a submitted one."""
    action = request.POST.get("action", "save")

    def run(outage: Outage, form: ReviewForm) -> str:
        if action == "publish":
            reviews.review_publish(actor=request.user, outage_id=outage.pk)
            return "After-Action Review published."
        reviews.review_save(actor=request.user, outage_id=outage.pk, **form.cleaned_data)
        if action == "submit":
            reviews.review_submit(actor=request.user, outage_id=outage.pk)
            return "After-Action Review submitted for posting."
        return "Review draft saved."

    def build(outage: Outage, data) -> ReviewForm:
        if not console.may_review(outage):
            raise PermissionDenied("The After-Action Review opens once the outage is resolved.")
        return ReviewForm(data, prefix="review")
    return _step(request, pk, "review", build, run, anchor="review")


urlpatterns = [
    path("", outage_list, name="list"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/live/", live, name="live"),
    path("<int:pk>/preview/", preview, name="preview"),
    path("<int:pk>/plan/", plan, name="plan"),
    path("<int:pk>/updates/", update, name="update"),
    path("<int:pk>/updates/<int:update_id>/<str:decision>/", decide, name="decide"),
    path("<int:pk>/children/", link_children, name="children"),
    path("<int:pk>/workaround/", workaround, name="workaround"),
    path("<int:pk>/reclassify/", reclassify, name="reclassify"),
    path("<int:pk>/resolve/", resolve, name="resolve"),
    path("<int:pk>/permanent-fix/", permanent_fix, name="fix"),
    path("<int:pk>/changes/", change_raise, name="rfc"),
    path("<int:pk>/changes/<int:change_id>/<str:step>/", change_step, name="rfc-step"),
    path("<int:pk>/review/", review, name="review"),
]
