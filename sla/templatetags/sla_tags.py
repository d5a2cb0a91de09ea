"""``{% sla_badge ticket "respond" %}``: the one SLA badge (``sla.display.badge_html``), used by every page."""

from django import template
from django.utils import timezone

from sla.calendars import ClockCache
from sla.display import badge_for, badge_html

register = template.Library()


def _per_request(context) -> tuple[ClockCache, object]:
    # One clock cache and one "now" per request: calendars load once per page, and every badge
    # on a page is measured from the same instant.
    request = context.get("request")
    if request is not None:
        if not hasattr(request, "_sla_display"):
            request._sla_display = (ClockCache(), timezone.now())
        return request._sla_display
    if "sla" not in context.render_context:
        context.render_context["sla"] = (ClockCache(), timezone.now())
    return context.render_context["sla"]


@register.simple_tag(takes_context=True)
def sla_badge(context, ticket, target: str = "respond", compact: bool = False) -> str:
    clocks, now = _per_request(context)
    return badge_html(badge_for(ticket, target, now=now, clocks=clocks), compact=compact)


@register.simple_tag(takes_context=True)
def sla_badges(context, ticket) -> list:
    """Both badges, Respond-By first, for pages that lay them out themselves."""
    clocks, now = _per_request(context)
    return [badge_for(ticket, target, now=now, clocks=clocks) for target in ("respond", "resolve")]
