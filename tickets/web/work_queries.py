"""What "My work" lists: the view tabs, the filters, and one queryset that rows and counts share.

Every tab is a ``Q`` over the same annotated queryset, and the counts are one aggregate of those
same ``Q`` objects with the same filters applied, so a tab's count is always its row total
(UX checklist 3). Nothing here writes; reads start from ``selectors.ticket_list``.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from sla.matrix import Priority
from tickets import selectors
from tickets.lifecycle import OPEN_STATUSES, WAITING_STATUSES, Status
from tickets.models import Group, Service, Ticket

PAGE_SIZE = 50
DUE_SOON = timedelta(hours=1)
_ID_SEARCH = re.compile(r"^#?(\d{1,9})$")

# sla_rank from selectors.order_by_urgency: 0 breached (selectors.breached_q, what the badge says), 1 running,
# 2 paused.
BREACHED = Q(sla_rank=0)


@dataclass(frozen=True)
class Tab:
    key: str  # "mine", "replied", "due", "waiting" or "group-<slug>"
    label: str
    url: str
    empty: str  # why this view is empty when no filter is on
    group: Group | None = None


def personal_tabs() -> list[Tab]:
    return [
        Tab("mine", "Mine – open", reverse("work:mine"), "No open tickets assigned to you — nice work."),
        Tab("replied", "Customer replied", reverse("work:replied"),
            "No customer is waiting on an answer from you."),
        Tab("due", "Due within 1 h", reverse("work:due"),
            "Nothing of yours is overdue or due within the hour."),
        Tab("waiting", "Waiting on customer", reverse("work:waiting"),
            "None of your tickets are waiting on a customer or vendor."),
    ]


def group_tab(group: Group) -> Tab:
    return Tab(f"group-{group.slug}", group.name, reverse("work:group", args=[group.slug]),
               f"No open tickets in {group.name}.", group)


def tab_filter(tab: Tab, *, user, now: datetime) -> Q:
    """The rows a tab holds, as a Q over ``base_queryset`` (which is open tickets only)."""
    mine = Q(assignee=user)
    if tab.key == "mine":
        return mine
    if tab.key == "replied":
        return mine & (Q(customer_replied=True) | Q(status=Status.CUSTOMER_RESPONDED))
    if tab.key == "due":
        return mine & (BREACHED | Q(sla_rank=1, next_deadline__lte=now + DUE_SOON))
    if tab.key == "waiting":
        return mine & Q(status__in=WAITING_STATUSES)
    return Q(group=tab.group)


def base_queryset(*, user, now: datetime) -> QuerySet[Ticket]:
    """Open tickets in urgency order, with the customer-replied marker, ready for the table."""
    queryset = selectors.ticket_list(user=user).select_related("service", "group").filter(
        status__in=OPEN_STATUSES)
    queryset = selectors.with_customer_replied(queryset)
    return selectors.order_by_urgency(queryset, now=now)


class FilterForm(forms.Form):
    """The GET filters; an unusable value is reported and left out, never a server error."""

    q = forms.CharField(label="Search", required=False, max_length=200, strip=True,
                        error_messages={"max_length": "Search for at most 200 characters"})
    status = forms.ChoiceField(
        label="Status", required=False,
        choices=[("", "Any open status")] + [(s.value, s.label) for s in Status if s in OPEN_STATUSES],
        error_messages={"invalid_choice": "Choose a status from the list"})
    priority = forms.ChoiceField(
        label="Priority", required=False, choices=[("", "Any priority"), *Priority.choices],
        error_messages={"invalid_choice": "Choose a priority from the list"})
    service = forms.ModelChoiceField(
        label="Service", required=False, queryset=Service.objects.order_by("name"), to_field_name="slug",
        empty_label="Any service", error_messages={"invalid_choice": "Choose a service from the list"})
    breached = forms.ChoiceField(
        label="SLA", required=False, choices=[("", "Any SLA state"), ("yes", "Breached only")],
        error_messages={"invalid_choice": "Choose “Breached only” or “Any SLA state”"})

    def filter_q(self) -> Q:
        """The valid filters as one Q; invalid fields are dropped (their errors are shown)."""
        data = getattr(self, "cleaned_data", {})
        query = Q()
        if data.get("status"):
            query &= Q(status=data["status"])
        if data.get("priority"):
            query &= Q(priority=data["priority"])
        if data.get("service"):
            query &= Q(service=data["service"])
        if data.get("breached") == "yes":
            query &= BREACHED
        if data.get("q"):
            query &= search_q(data["q"])
        return query

    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("q", "status", "priority", "service", "breached"))


def search_q(text: str) -> Q:
    """Title or description contains the words; "#123" or "123" also finds ticket 123."""
    query = Q(title__icontains=text) | Q(description__icontains=text)
    match = _ID_SEARCH.match(text)
    if match:
        query |= Q(pk=int(match.group(1)))
    return query


def tab_counts(tabs: list[Tab], *, user, now: datetime, filters: Q) -> dict[str, int]:
    """Every tab's count, plus unassigned tickets per group, in one query."""
    aggregates = {tab.key: Count("pk", filter=tab_filter(tab, user=user, now=now)) for tab in tabs}
    for tab in tabs:
        if tab.group is not None:
            aggregates[f"unassigned-{tab.group.slug}"] = Count("pk", filter=Q(group=tab.group, assignee=None))
    queryset = base_queryset(user=user, now=now).filter(filters).order_by()
    return queryset.aggregate(**aggregates)
