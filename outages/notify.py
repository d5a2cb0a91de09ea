"""Outage messages: who is told what, as outbox rows (the tickets outbox sends them after commit).

Every update states when the next one will come. The "ticket" audience is each affected person
(outage requester and followers, children's requesters and followers); a distribution list gets one
message to its address(es). Messages thread under the outage ticket's root Message-ID.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from tickets import notify as ticket_notify
from tickets import outbox, policies
from tickets.models import DistributionList, Notification, Ticket

from .models import Audience, Outage, Update

Kind = Notification.Kind

UPDATE_KINDS = {
    Update.Kind.UPDATE: Kind.OUTAGE_UPDATE,
    Update.Kind.WORKAROUND: Kind.OUTAGE_WORKAROUND,
    Update.Kind.ALL_CLEAR: Kind.OUTAGE_ALL_CLEAR,
}
SUBJECTS = {
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


def _build(ticket: Ticket, kind: str, to: list[str], message: Rendered, *, for_customer: bool = False,
           distribution_list: DistributionList | None = None) -> Notification:
    root = ticket_notify.thread_id(ticket)
    return Notification(
        ticket=ticket, kind=kind, for_customer=for_customer, distribution_list=distribution_list, to=to,
        subject=message.subject, body_text=message.body_text, body_html=message.body_html,
        reply_to=ticket_notify.reply_address(ticket), created_at=timezone.now(),
        message_id=f"<ticket-{ticket.pk}.{uuid.uuid4().hex}@{ticket_notify._domain()}>",
        in_reply_to=root, references=root,
    )


def _queue(ticket: Ticket, kind: str, to: list[str], *, context: dict, for_customer: bool = False,
           distribution_list: DistributionList | None = None) -> Notification | None:
    if not to:
        return None
    return outbox.queue(_build(ticket, kind, to, render(ticket, kind, context), for_customer=for_customer,
                               distribution_list=distribution_list))


def _emails(users) -> list[str]:
    return sorted({user.email.strip() for user in users if user.email and user.is_active}, key=str.lower)


def known_issue(outage: Outage, child: Ticket) -> None:
    """A child's requester hears once that their issue is part of a known outage."""
    already = Notification.objects.filter(ticket=child, kind=Kind.OUTAGE_KNOWN,
                                          body_text__contains=f"#{outage.ticket_id}").exists()
    if already:
        return
    _queue(child, Kind.OUTAGE_KNOWN, _emails([child.requester]), for_customer=True,
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

    reach = {audience: [] for audience in Audience.values}
    reach[Audience.TICKET] = _emails(affected_users(outage))
    for dlist in DistributionList.objects.filter(slug__in=Audience.values, is_active=True):
        reach[dlist.slug] = dlist.addresses()
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
            outbox.queue_many([
                _build(outage.ticket, kind, to, message, for_customer=person.pk == outage.ticket.requester_id)
                for person in affected_users(outage) if (to := _emails([person]))
            ])
            continue
        dlist = DistributionList.objects.filter(slug=audience, is_active=True).first()
        if dlist is not None:
            _queue(outage.ticket, kind, dlist.addresses(), distribution_list=dlist, context=context)


def approval_needed(update: Update) -> None:
    _queue(update.outage.ticket, Kind.APPROVAL_NEEDED, _emails(policies.community_approvers()),
           context={"outage": update.outage, "update": update})


def update_due(outage: Outage) -> None:
    to = _emails([outage.incident_manager]) if outage.incident_manager else []
    if not to and outage.ticket.service and outage.ticket.service.owner:
        to = _emails([outage.ticket.service.owner])
    _queue(outage.ticket, Kind.UPDATE_DUE, to, context={"outage": outage, "due": _when(outage.next_update_due_at)})
