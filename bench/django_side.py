"""The harness's ORM work, run through bench/django_call.py inside the bench database.

Every function takes and returns plain JSON values. Names made here start with ``bench-`` so they
never collide with generate_load's ``load<seed>-`` rows.
"""

from __future__ import annotations

import json
import secrets

from django.db.models import Count, Sum

from tickets.intake.models import AlertGroup, Integration, RawEvent
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import ApiToken, Group, Service, Ticket, User

STAFF_USERNAME = "bench-staff"
DISPATCHER_USERNAME = "bench-dispatcher"


def prepare(*, seed: int) -> dict:
    """The users, token and ids the HTTP benchmarks need (idempotent: a rerun issues a fresh token)."""
    prefix = f"load{seed}"
    groups = list(Group.objects.filter(slug__startswith=f"{prefix}-group-"))
    if not groups:
        raise RuntimeError(f"No generate_load groups for seed {seed}: load the data first.")
    counts = dict(Ticket.objects.filter(group__in=groups, status__in=OPEN_STATUSES).order_by()
                  .values_list("group_id").annotate(n=Count("pk")))
    group = max(groups, key=lambda g: (counts.get(g.pk, 0), -g.pk))  # the busiest queue: the worst case
    service = Service.objects.filter(slug=f"{prefix}-service-0").first() or Service.objects.filter(
        is_active=True).first()
    customer = User.objects.filter(username__startswith=f"{prefix}-customer-").order_by("id").first()

    staff, _ = User.objects.get_or_create(username=STAFF_USERNAME, defaults={
        "is_staff": True, "email": "bench-staff@bench.example.edu", "first_name": "Bench", "last_name": "Staff"})
    staff.is_staff, staff.is_superuser, staff.is_active = True, True, True  # superuser: may create integrations
    staff.save()
    group.members.add(staff)
    _, token = ApiToken.issue(user=staff, name="bench harness")

    password = secrets.token_urlsafe(16)
    dispatcher, _ = User.objects.get_or_create(username=DISPATCHER_USERNAME, defaults={
        "is_staff": True, "email": "bench-dispatcher@bench.example.edu", "first_name": "Bench",
        "last_name": "Dispatcher"})
    dispatcher.is_staff, dispatcher.is_superuser, dispatcher.is_active = True, False, True
    dispatcher.set_password(password)
    dispatcher.save()
    group.dispatchers.add(dispatcher)
    group.members.add(dispatcher)
    return {
        "token": token,
        "staff_id": staff.pk,
        "dispatcher": {"username": DISPATCHER_USERNAME, "password": password},
        "group": {"id": group.pk, "slug": group.slug, "open_tickets": counts.get(group.pk, 0)},
        "service_id": service.pk,
        "requester_id": customer.pk if customer else staff.pk,
        "tickets_total": Ticket.objects.count(),
    }


def creation_check(*, tag: str) -> dict:
    """Tickets whose title carries ``tag``: how many, and whether any request made two."""
    titles = Ticket.objects.filter(title__startswith=tag)
    total = titles.count()
    distinct = titles.values("title").distinct().count()
    return {"tickets": total, "distinct_titles": distinct}


def integration_new(*, name: str, service_id: int, group_id: int | None) -> dict:
    from tickets.intake.integrations import integration_create

    integration, issued = integration_create(
        name=name, kind=Integration.Kind.ALERTMANAGER, service=Service.objects.get(pk=service_id),
        group=Group.objects.filter(pk=group_id).first() if group_id else None)
    return {"id": integration.pk, "token": issued.token}


def intake_state(*, integration_id: int) -> dict:
    """Where the integration's raw events stand, and what they made."""
    events = RawEvent.objects.filter(integration_id=integration_id)
    states = dict(events.order_by().values_list("state").annotate(n=Count("pk")))
    groups = AlertGroup.objects.filter(integration_id=integration_id)
    occurrences = groups.aggregate(n=Sum("occurrences"))["n"] or 0
    return {
        "events": sum(states.values()),
        "states": states,
        "unfinished": states.get(RawEvent.State.PENDING, 0) + states.get(RawEvent.State.FAILED, 0),
        "alert_groups": groups.count(),
        "tickets": Ticket.objects.filter(alert_groups__integration_id=integration_id).distinct().count(),
        "occurrences": occurrences,
    }


def intake_check(*, integration_id: int) -> dict:
    """After processing: distinct group keys delivered vs groups and tickets made, deliveries vs occurrences."""
    state = intake_state(integration_id=integration_id)
    keys = set()
    for body in RawEvent.objects.filter(integration_id=integration_id).values_list("body", flat=True).iterator():
        keys.add(json.loads(bytes(body))["groupKey"])
    state["distinct_keys"] = len(keys)
    state["ok"] = (state["unfinished"] == 0 and state["alert_groups"] == len(keys) == state["tickets"]
                   and state["occurrences"] == state["events"])
    return state


def ticket_count() -> dict:
    return {"tickets": Ticket.objects.count()}
