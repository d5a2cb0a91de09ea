"""How one SLA deadline reads to a person: the state, the words, the icon and the bar.

Every badge on every page comes from ``badge_for``, so the words and the arithmetic are the same
everywhere, and the remaining time is measured on the ticket's own clock (a business-hours deadline
after a weekend has only the working hours left, not the calendar hours).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .calendars import ClockCache
from .clock import BusinessHoursClock
from .matrix import TARGETS, Clock, Priority
from .services import WARNING_FRACTION, paused_time
from .states import OPEN, RESOLVE_PAUSED, RESPOND_PAUSED, BadgeTicket, ClockState, Pause

RESPOND, RESOLVE = "respond", "resolve"

# The words for a pause, by the clock state that holds the clock.
PAUSE_REASONS = {
    ClockState.WAIT_CUSTOMER: "waiting on customer",
    ClockState.WAIT_VENDOR: "waiting on vendor",
    ClockState.RESOLVED: "resolved, waiting for the customer to confirm",
}


@dataclass(frozen=True)
class Badge:
    target: str  # "respond" or "resolve"
    state: str  # on_track, at_risk, breached, paused, stopped, met, met_late, none
    icon: str  # clock, pause, cross, tick, dash
    text: str  # verb + state + time, never colour alone
    due: datetime | None
    clock_label: str  # "business hours" or "24×7"
    percent: int  # share of the target used, 0-100, for the bar

    @property
    def label(self) -> str:
        return "Respond by" if self.target == RESPOND else "Resolve by"


def format_duration(duration: timedelta) -> str:
    """One or two readable units: ``1d 3h``, ``3h 10m``, ``42m``, ``under 1m``."""
    minutes = int(abs(duration).total_seconds() // 60)
    if minutes < 1:
        return "under 1m"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def _open_pause(ticket: BadgeTicket) -> Pause | None:
    if ticket.sla_pauses and not ticket.sla_pauses[-1].get("until"):
        return ticket.sla_pauses[-1]
    return None


def badge_for(ticket: BadgeTicket, target: str, *, now: datetime, clocks: ClockCache | None = None) -> Badge:
    """The badge for ``target`` ("respond" or "resolve") of ``ticket`` at ``now``."""
    clocks = clocks or ClockCache()
    verb, past = ("Respond", "Responded") if target == RESPOND else ("Resolve", "Resolved")
    due = ticket.respond_by if target == RESPOND else ticket.resolve_by
    met_at = ticket.responded_at if target == RESPOND else ticket.resolved_at
    breached = ticket.respond_breached if target == RESPOND else ticket.resolve_breached
    clock_kind = ticket.sla_clock or Clock.TWENTY_FOUR_SEVEN
    clock_label = "business hours" if clock_kind == Clock.BUSINESS_HOURS else "24×7"
    if due is None or not ticket.priority or ticket.sla_started_at is None:
        return Badge(target, "none", "dash", "No target", None, clock_label, 0)

    calendar_id = ticket.service.calendar_id if ticket.service_id and ticket.service else None
    clock = clocks.clock(clock_kind, calendar_id)
    goal: timedelta = getattr(TARGETS[Priority(ticket.priority)], target)
    paused_states = RESPOND_PAUSED if target == RESPOND else RESOLVE_PAUSED

    if met_at is not None:
        if met_at > due:
            late = clock.measure(due, met_at)
            return Badge(target, "met_late", "cross", f"{past} {format_duration(late)} late", due, clock_label, 100)
        used = clock.measure(ticket.sla_started_at, met_at) - paused_time(
            ticket, clock, paused_states, start=ticket.sla_started_at, stop=met_at
        )
        return Badge(target, "met", "tick", f"{past} in {format_duration(used)}", due, clock_label,
                     _percent(used, goal))
    if ticket.sla_state not in OPEN:
        return Badge(target, "none", "dash", f"No {verb.lower()} target: {ticket.get_status_display().lower()}",
                     None, clock_label, 0)

    pause = _open_pause(ticket)
    if ticket.sla_state in paused_states and pause is not None and pause["from"]:
        since = datetime.fromisoformat(pause["from"])
        left = clock.measure(since, due) if due > since else -clock.measure(due, since)
        reason = PAUSE_REASONS.get(ticket.sla_state, "paused")
        remaining = f"{format_duration(left)} left" if left > timedelta(0) else f"{format_duration(left)} over"
        return Badge(target, "paused", "pause", f"Paused: {reason} · {remaining}", due, clock_label,
                     _percent(goal - left, goal))

    if breached or now >= due:
        over = clock.measure(due, now) if now > due else timedelta(0)
        return Badge(target, "breached", "cross", f"{verb} overdue by {format_duration(over)}", due, clock_label, 100)

    left = clock.measure(now, due)
    percent = _percent(goal - left, goal)
    if isinstance(clock, BusinessHoursClock) and not clock.is_running(now):
        resumes = clock.next_start(now).astimezone(clock.calendar.tz)
        return Badge(target, "stopped", "pause",
                     f"Resumes {resumes:%a %H:%M} · {format_duration(left)} left (business hours)",
                     due, clock_label, percent)
    state = "at_risk" if percent >= WARNING_FRACTION * 100 else "on_track"
    return Badge(target, state, "clock", f"{verb} in {format_duration(left)}", due, clock_label, percent)


ICONS = {"clock": "◷", "pause": "‖", "cross": "✕", "tick": "✓"}


def badge_html(badge: Badge, *, compact: bool = False) -> SafeString:
    """The badge's markup: icon + words + bar, the colour being the third signal; the title and the
    ``<time>`` give the exact due time in the viewer's time zone.

    Built here rather than in a template partial, and with ``html.escape`` rather than
    ``format_html``: a queue page shows a hundred badges, and either costs more than the rest of
    the page (see "Scaling" in the README). Every value is escaped, though none comes from a user.
    """
    state, text = escape(badge.state), escape(badge.text)
    modifier = " sla--compact" if compact else ""
    icon = ICONS.get(badge.icon, "–")
    # A class per 5 % step, not style="width: N%": the Content-Security-Policy refuses style attributes.
    fill = 5 * round(min(max(badge.percent, 0), 100) / 5)
    bar = f'<span class="sla__bar" aria-hidden="true"><span class="sla__fill--{fill}"></span></span>'
    if badge.due is None:
        return mark_safe(f'<span class="sla sla--{state}{modifier}" data-sla-state="{state}"><span class="sla__icon" '
                         f'aria-hidden="true">{icon}</span> <span class="sla__text">{text}</span> {bar}</span>')
    due = timezone.localtime(badge.due)
    label, clock_label, iso = escape(badge.label), escape(badge.clock_label), due.isoformat()
    short = f"{due:%a} {due.day} {due:%b, %H:%M}"
    title = f"{label} {due:%a} {due.day} {due:%b %Y, %H:%M} {escape(due.tzname() or '')} ({clock_label})"
    if compact:
        when = f'<time class="visually-hidden" datetime="{iso}">{label} {short} ({clock_label})</time>'
    else:
        when = f'<span class="sla__due">{label} <time datetime="{iso}">{short}</time> · {clock_label}</span>'
    return mark_safe(f'<span class="sla sla--{state}{modifier}" data-sla-state="{state}" title="{title}">'
                     f'<span class="sla__icon" aria-hidden="true">{icon}</span> <span class="sla__text">{text}</span> '
                     f'{when} {bar}</span>')


def _percent(used: timedelta, goal: timedelta) -> int:
    if goal <= timedelta(0):
        return 100
    return max(0, min(100, int(used / goal * 100)))


def next_deadline(ticket: BadgeTicket) -> datetime | None:
    """The deadline a list sorts by: Respond-By until the response, then Resolve-By."""
    return ticket.respond_by if ticket.responded_at is None else ticket.resolve_by
