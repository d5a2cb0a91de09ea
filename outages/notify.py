"""Outage messages: who is told what, queued through the notifications app (sent after commit).

Every update states when the next one will come. The "ticket" audience is each affected person
(outage requester and followers, children's requesters and followers); a distribution list gets one
message to its address(es). Messages thread under the outage ticket's root Message-ID. The words
are written here; the addresses come from ``notifications.recipients``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from tickets import policies
from tickets.models import Ticket, User
from tickets.notifications import recipients
from tickets.notifications.models import DistributionList, Notification
from tickets.notifications.services import Kind, Message, queue

from .models import Audience, Outage, Update

# Who may release a community message held for approval (they are told one waits).

UPDATE_KINDS: dict[str, str] = {
    Update.Kind.UPDATE: Kind.OUTAGE_UPDATE,
    Update.Kind.WORKAROUND: Kind.OUTAGE_WORKAROUND,
    Update.Kind.ALL_CLEAR: Kind.OUTAGE_ALL_CLEAR,
}
SUBJECTS: dict[str, str] = {
    Kind.OUTAGE_KNOWN: "Known issue, we are working on it: {title}",
    Kind.OUTAGE_UPDATE: "Update: {title}",
    Kind.OUTAGE_WORKAROUND: "Workaround available: {title}",
    Kind.OUTAGE_ALL_CLEAR: "Resolved: {title}",
    Kind.UPDATE_DUE: "Outage update due now: {title}",
    Kind.APPROVAL_NEEDED: "Approval needed, message to the whole community: {title}",
}


def _when(instant) -> str:
    return timezone.localtime(instant).strftime("%a %d %b %Y %H:%M %Z") if instant else ""


@dataclass(frozen=True)
class Rendered:
    """One message as its recipients read it: what ``_queue`` stores and what a preview shows."""

    subject: str
    body_text: str
    body_html: str


def render(ticket: Ticket, kind: str, context: dict) -> Rendered:
    """The subject and bodies of a message of ``kind`` about ``ticket``; the one place they are written."""
    context = {"ticket": ticket, "site_url": settings.SITE_URL, **context}
    subject = f"[#{ticket.pk}] " + SUBJECTS[kind].format(title=ticket.title[:120])
    return Rendered(subject=" ".join(subject.split())[:255],
                    body_text=render_to_string(f"outages/email/{kind}.txt", context),
                    body_html=render_to_string(f"outages/email/{kind}.html", context))


def _message(ticket: Ticket, kind: str, to: list[str], message: Rendered, *, for_customer: bool = False,
             distribution_list: DistributionList | None = None) -> Message:
    return Message(
        ticket_id=ticket.pk, kind=kind, to=to, subject=message.subject, body_text=message.body_text,
        body_html=message.body_html, for_customer=for_customer,
        distribution_list_id=distribution_list.pk if distribution_list else None,
    )


def _queue(ticket: Ticket, kind: str, to: list[str], *, context: dict, for_customer: bool = False,
           distribution_list: DistributionList | None = None) -> None:
    if to:
        queue(_message(ticket, kind, to, render(ticket, kind, context), for_customer=for_customer,
                       distribution_list=distribution_list))


def known_issue(outage: Outage, child: Ticket) -> None:
    """A child's requester hears once that their issue is part of a known outage."""
    already = Notification.objects.filter(ticket=child, kind=Kind.OUTAGE_KNOWN,
                                          body_text__contains=f"#{outage.ticket_id}").exists()
    if already:
        return
    _queue(child, Kind.OUTAGE_KNOWN, recipients.people([child.requester]), for_customer=True,
           context={"outage": outage, "next_update_at": _when(outage.next_update_due_at)})


def _update_context(update: Update) -> dict:
    return {"outage": update.outage, "update": update, "next_update_at": _when(update.next_update_at)}


def update_preview(update: Update) -> Rendered:
    """The message an unsaved ``update`` would send: the same template and context ``update_sent`` uses.

    Every audience receives the same words (only the envelope differs), so one rendering previews them all.
    """
    return render(update.outage.ticket, UPDATE_KINDS[update.kind], _update_context(update))


def audience_reach(outage: Outage) -> dict[str, list[str]]:
    """The addresses each audience would be sent to now, as ``update_sent`` would address them.

    The ticket audience is one message per affected person; a list is its own address (or members).
    A fixed number of queries, whatever the number of children or lists.
    """
    from .services import affected_users

    reach: dict[str, list[str]] = {audience: [] for audience in Audience.values}
    reach[Audience.TICKET] = recipients.people(affected_users(outage))
    for dlist in DistributionList.objects.filter(slug__in=Audience.values, is_active=True):
        reach[dlist.slug] = recipients.distribution_list(dlist)
    return reach


def update_sent(update: Update, *, include_community: bool = False, only_community: bool = False) -> None:
    """The update to each of its audiences; the community only when approved."""
    from .services import affected_users

    outage, kind = update.outage, UPDATE_KINDS[update.kind]
    context = _update_context(update)
    for audience in update.audiences:
        if audience == Audience.COMMUNITY and not (include_community or only_community):
            continue
        if only_community and audience != Audience.COMMUNITY:
            continue
        if audience == Audience.TICKET:
            # One message each, so nobody sees the others' addresses; the words are the same for all
            # (what update_preview shows), so they are rendered once and written in one INSERT.
            message = render(outage.ticket, kind, context)
            queue([
                _message(outage.ticket, kind, to, message, for_customer=person.pk == outage.ticket.requester_id)
                for person in affected_users(outage) if (to := recipients.people([person]))
            ])
            continue
        dlist = DistributionList.objects.filter(slug=audience, is_active=True).first()
        if dlist is not None:
            _queue(outage.ticket, kind, recipients.distribution_list(dlist), distribution_list=dlist,
                   context=context)


def approval_needed(update: Update) -> None:
    _queue(update.outage.ticket, Kind.APPROVAL_NEEDED, recipients.people(policies.community_approvers()),
           context={"outage": update.outage, "update": update})


def _answerable(outage: Outage) -> Iterator[User | None]:
    """Who answers for the outage's next update, in turn: its Incident Manager, else the service owner."""
    yield outage.incident_manager
    if outage.ticket.service:
        yield outage.ticket.service.owner


def update_due(outage: Outage) -> None:
    to = recipients.first_reachable(_answerable(outage))
    _queue(outage.ticket, Kind.UPDATE_DUE, to, context={"outage": outage, "due": _when(outage.next_update_due_at)})
