"""Inbound e-mail: one path for the pipe command, the IMAP poll and the relay endpoint.

A message is stored raw first (deduplicated by Message-ID plus a digest of its content, since some
senders reuse Message-IDs), then applied: a Nagios notification from a configured sender is an alert;
an auto-reply or bounce is recorded and dropped (so two systems can never loop); a reply from the
requester or a follower joins its ticket; anything else opens a new ticket.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from sla.matrix import Impact, Urgency

from .. import services as tickets
from ..customers import customer_for_email
from ..errors import NotAllowed
from ..models import AuditEvent, Channel, Source, Ticket, User
from ..notifications import selectors as sent_mail
from . import mail as mailparse
from . import nagios
from .alerts import FIRING, RESOLVED, AlertBatch, AlertSignal
from .models import AlertGroup, Integration, RawEvent, key_digest
from .services import Outcome, alerts_apply, event_process, event_store

# Our Message-IDs: the thread root <ticket-N@domain> and each later mail's <ticket-N.hex@domain>.
_OUR_THREAD_ID = re.compile(r"^ticket-(\d+)(?:\.[0-9a-f]+)?@(.+)$")


def receive_email(raw: bytes) -> tuple[RawEvent, bool]:
    """Store one RFC 5322 message and apply it. ``(event, False)`` means it was seen before."""
    parsed = mailparse.parse_message(raw)
    event, created = event_store(
        source=RawEvent.Source.EMAIL,
        body=raw,
        content_type="message/rfc822",
        headers=parsed.headers,
        message_id=parsed.message_id,
        dedup_key=_dedup_key(parsed),
    )
    if created:
        event = event_process(event.pk)
    return event, created


def _dedup_key(parsed: mailparse.InboundMail) -> str:
    # The same message delivered twice (two routes, a retried pipe) differs only in transport headers;
    # Nagios and some mailers reuse one Message-ID for different mails, so the content counts too.
    content = "\x1f".join(
        [parsed.from_address, parsed.subject, parsed.date.isoformat() if parsed.date else "", parsed.text]
    )
    return f"{parsed.message_id}|{hashlib.sha256(content.encode('utf-8', 'replace')).hexdigest()}"


def apply_email(event: RawEvent) -> Outcome:
    """Decide what the stored message means and carry it out; runs under the event's lock."""
    parsed = mailparse.parse_message(bytes(event.body))
    notification = nagios.parse(parsed)
    if notification is not None:
        integration = _nagios_integration(notification.sender)
        if integration is not None:
            event.integration = integration
            return _apply_nagios(integration, notification)
    if parsed.automated:
        return Outcome("ignored: automated", f"Not a person's message ({parsed.automated}); no ticket, no reply.")
    if not parsed.from_address:
        return Outcome("ignored: no sender", "The message has no usable From address.")
    if _is_ours(parsed.from_address):
        return Outcome("ignored: own address", "Mail from our own address is never processed (loop guard).")
    ticket = _thread(parsed)
    if ticket is not None and _may_reply(ticket, parsed.from_address):
        return _reply(ticket, parsed)
    return _new_ticket(parsed)


def _is_ours(address: str) -> bool:
    local, _, domain = settings.TICKET_REPLY_ADDRESS.lower().partition("@")
    own_local, _, own_domain = address.partition("@")
    return own_domain == domain and (own_local == local or own_local.startswith(f"{local}+"))


def _nagios_integration(sender: str) -> Integration | None:
    candidates = Integration.objects.filter(kind=Integration.Kind.NAGIOS, is_active=True).select_related("user")
    for integration in candidates:
        addresses = integration.sender_addresses()
        if not addresses or sender.lower() in addresses:
            return integration
    return None


def _apply_nagios(integration: Integration, notification: nagios.NagiosNotification) -> Outcome:
    if notification.is_note_only:
        return _nagios_note(integration, notification)
    signal = AlertSignal(
        fingerprint=notification.key[:255],
        status=RESOLVED if notification.is_recovery else FIRING,
        title=notification.title,
        severity=notification.severity,
        description=notification.info,
        labels={"host": notification.host, "service": notification.service, "state": notification.state},
        starts_at=notification.occurred_at,
    )
    batch = AlertBatch(
        key=notification.key,
        title=notification.title,
        alerts=[signal],
        description=notification.info,
        group_resolved=notification.is_recovery,
    )
    return alerts_apply(integration=integration, batch=batch)


def _nagios_note(integration: Integration, notification: nagios.NagiosNotification) -> Outcome:
    """Acknowledgements, flapping and downtime notices go on the open ticket's timeline, nothing more."""
    group = (
        AlertGroup.objects.filter(integration=integration, key_digest=key_digest(notification.key), is_open=True)
        .select_related("ticket")
        .first()
    )
    if group is None:
        return Outcome("ignored: no open alert", f"{notification.notification_type} with no open ticket.")
    AuditEvent.objects.create(
        ticket=group.ticket,
        actor=None,
        channel=Channel.MONITORING,
        action=AuditEvent.Action.ALERT,
        field=notification.notification_type.lower()[:64],
        new_value=f"{notification.notification_type}: {notification.title}\n{notification.info}".strip()[:2000],
        created_at=timezone.now(),
    )
    return Outcome("noted", f"{notification.notification_type} noted on #{group.ticket_id}.", group.ticket)


def _thread(parsed: mailparse.InboundMail) -> Ticket | None:
    """The ticket this message answers: by the ids it refers to, else by the ``[#N]`` subject tag."""
    ids = mailparse.thread_ids(parsed)
    domain = settings.TICKET_REPLY_ADDRESS.rpartition("@")[2].lower()
    for message_id in ids:
        match = _OUR_THREAD_ID.match(message_id)
        if match and match.group(2).lower() == domain:
            ticket = Ticket.objects.filter(pk=int(match.group(1))).first()
            if ticket is not None:
                return ticket
    if ids:
        wrapped = [f"<{message_id}>" for message_id in ids]
        sent = sent_mail.mail_with_message_ids(wrapped + ids)
        if sent is not None:
            return sent.ticket
        received = (
            RawEvent.objects.filter(source=RawEvent.Source.EMAIL, message_id__in=ids, ticket__isnull=False)
            .order_by("-id")
            .first()
        )
        if received is not None:
            return received.ticket
    number = mailparse.ticket_number_from_subject(parsed.subject) or _plus_addressed(parsed)
    return Ticket.objects.filter(pk=number).first() if number else None


def _plus_addressed(parsed: mailparse.InboundMail) -> int | None:
    """A reply sent to servicedesk+N@… (our Reply-To) names its ticket even when the subject lost the tag."""
    local, _, domain = settings.TICKET_REPLY_ADDRESS.lower().partition("@")
    pattern = re.compile(rf"^{re.escape(local)}\+(\d+)@{re.escape(domain)}$")
    for address in [*parsed.to, *parsed.cc]:
        match = pattern.match(address.lower())
        if match:
            return int(match.group(1))
    return None


def _may_reply(ticket: Ticket, address: str) -> bool:
    # A From: header is easy to forge and forwards carry other threads' ids: only the people on the
    # ticket can add to it; anyone else's message becomes a ticket of their own.
    people = User.objects.filter(Q(pk=ticket.requester_id) | Q(followed_tickets=ticket))
    return people.filter(email__iexact=address, is_active=True).exists()


def _sender(parsed: mailparse.InboundMail) -> User:
    return customer_for_email(parsed.from_address, name=parsed.from_name)


def _reply(ticket: Ticket, parsed: mailparse.InboundMail) -> Outcome:
    """The reply joins its ticket; what it does to the status is the lifecycle's rule for every channel."""
    author = User.objects.get(email__iexact=parsed.from_address, is_active=True)
    body = mailparse.strip_quoted_reply(parsed.text).strip() or "(The reply had no text.)"
    was = ticket.status
    entry = tickets.entry_add(ticket_id=ticket.pk, actor=author, body=body, channel=Channel.EMAIL)
    if entry.ticket_id != ticket.pk:
        # Written to a closed or cancelled ticket: the reply opened a follow-up that refers to it.
        skipped = _attach(entry.ticket, author, parsed)
        return Outcome("created", f"Opened #{entry.ticket_id}, a follow-up to #{ticket.pk}." + _skipped_note(skipped),
                       entry.ticket)
    skipped = _attach(ticket, author, parsed)
    ticket.refresh_from_db()
    summary = f"Reply added to #{ticket.pk}" + (f" ({was} → {ticket.status})" if ticket.status != was else "")
    return Outcome("replied", summary + _skipped_note(skipped), ticket)


def _new_ticket(parsed: mailparse.InboundMail) -> Outcome:
    requester = _sender(parsed)
    description = parsed.text.strip()
    ticket = tickets.ticket_create(
        actor=None,
        requester=requester,
        title=(parsed.subject or "(no subject)")[:200],
        description=description or "(The message had no text.)",
        impact=Impact.INDIVIDUAL,
        urgency=Urgency.IMPAIRED,
        source=Source.EMAIL,
        channel=Channel.EMAIL,
    )
    skipped = _attach(ticket, requester, parsed)
    return Outcome("created", f"Opened #{ticket.pk}." + _skipped_note(skipped), ticket)


def _attach(ticket: Ticket, author: User, parsed: mailparse.InboundMail) -> list[str]:
    """Store the attachments the upload rules accept; the rest are named on the event, not lost silently."""
    skipped = []
    for attachment in parsed.attachments:
        filename = attachment.filename
        if mimetypes.guess_type(filename)[0] is None and (extension := mimetypes.guess_extension(
                attachment.content_type)):
            # Mail clients send names without extensions; the upload rules judge files by their names.
            filename += extension
        upload = SimpleUploadedFile(filename, attachment.content, attachment.content_type)
        try:
            tickets.attachment_add(ticket_id=ticket.pk, actor=author, uploaded=upload, channel=Channel.EMAIL)
        except (ValidationError, NotAllowed) as error:
            message = "; ".join(getattr(error, "messages", [str(error)]))
            skipped.append(f"{attachment.filename}: {message}")
    return skipped


def _skipped_note(skipped: list[str]) -> str:
    return (" Attachments not stored: " + " | ".join(skipped)) if skipped else ""
