"""``{% outage_banner user %}`` and ``{% outage_notice service "portal" %}``: current outages on other apps' pages.

The tickets pages may not import outages (dependencies point outages → tickets → sla), so they
load these tags in their templates instead.
"""

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone

from outages.affected import outage_for_service, outages_for_user
from outages.models import Outage

register = template.Library()


def when(instant: datetime | None) -> str:
    """"09:12" today, "Mon 3 Mar, 09:12" another day: short, and never ambiguous."""
    if instant is None:
        return ""
    local = timezone.localtime(instant)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%a %-d %b, %H:%M")


register.filter("outage_when", when)


def describe(outage: Outage) -> dict:
    """What a customer needs to know about one outage, in plain words."""
    ticket = outage.ticket
    name = ticket.service.name if ticket.service else ticket.title
    is_problem = ticket.classification == "problem"
    return {
        "outage": outage,
        "name": name,
        "headline": f"{name} has a known problem" if is_problem else f"{name} is down or not working properly",
        "since": ticket.created_at,
        "last_update": getattr(outage, "last_update_at", None),
        "next_update": outage.next_update_due_at,
        "workaround": outage.workaround if is_problem else "",
        "join_url": reverse("affected:join", args=[outage.pk]),
    }


@register.inclusion_tag("outages/portal/banner.html")
def outage_banner(user) -> dict:
    """At most one banner: the worst current outage among the services this person uses."""
    outages = outages_for_user(user)
    if not outages:
        return {"notice": None}
    return {"notice": describe(outages[0]), "more": len(outages) - 1,
            "list_url": reverse("affected:list")}


@register.inclusion_tag("outages/portal/notice.html", takes_context=True)
def outage_notice(context, service_id, mode: str = "portal", inline: bool = False) -> dict:
    """Shown right after a service is picked: we already know, join it, or go on with the report.

    ``mode`` "portal" joins the signed-in person; "desk" links the caller chosen on the desk form.
    """
    service_id = str(getattr(service_id, "pk", service_id) or "")
    outage = outage_for_service(int(service_id)) if service_id.isdigit() else None
    if outage is None:
        return {"notice": None}
    notice = describe(outage)
    if mode == "desk":
        notice["join_url"] = reverse("affected:desk", args=[outage.pk])
    return {"notice": notice, "mode": mode, "inline": inline}
