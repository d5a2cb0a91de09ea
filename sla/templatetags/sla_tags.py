"""``{% sla_badge ticket "respond" %}``: the one SLA badge (``sla.display.badge_html``), used by every page."""

from datetime import datetime

from django import template
from django.template.context import Context
from django.utils import timezone
from django.utils.safestring import SafeString

from sla.calendars import ClockCache
from sla.display import Badge, badge_for, badge_html
from sla.states import BadgeTicket

register = template.Library()


def _per_request(context: Context) -> tuple[ClockCache, datetime]:
    # One clock cache and one "now" per request: calendars load once per page, and every badge
    # on a page is measured from the same instant.
    request = context.get("request")
    if request is not None:
        if not hasattr(request, "_sla_display"):
            request._sla_display = (ClockCache(), timezone.now())
        shared: tuple[ClockCache, datetime] = request._sla_display
        return shared
    if "sla" not in context.render_context:
        context.render_context["sla"] = (ClockCache(), timezone.now())
    rendering: tuple[ClockCache, datetime] = context.render_context["sla"]
    return rendering


@register.simple_tag(takes_context=True)
def sla_badge(context: Context, ticket: BadgeTicket, target: str = "respond", compact: bool = False) -> SafeString:
    clocks, now = _per_request(context)
    return badge_html(badge_for(ticket, target, now=now, clocks=clocks), compact=compact)


@register.simple_tag(takes_context=True)
def sla_badges(context: Context, ticket: BadgeTicket) -> list[Badge]:
    """Both badges, Respond-By first, for pages that lay them out themselves."""
    clocks, now = _per_request(context)
    return [badge_for(ticket, target, now=now, clocks=clocks) for target in ("respond", "resolve")]
