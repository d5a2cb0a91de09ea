"""Inbound e-mail, with messages written from RFC 5322 / 2047 / 3834 / 3464 and Nagios's notify commands."""

import io
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from tickets import services
from tickets.intake import imap
from tickets.intake.email_intake import receive_email
from tickets.intake.models import AlertGroup, RawEvent
from tickets.lifecycle import Status
from tickets.models import Attachment, AuditEvent, ConversationEntry, Ticket, User
from tickets.notifications.models import Notification

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def message(*, sender: str = "Carol Danvers <carol@example.edu>", subject: str = "Printer on 3rd floor jams",
            body: str = "Every job jams after two pages.", message_id: str | None = None, html: str | None = None,
            to: str = "servicedesk@example.edu", headers: dict | None = None,
            attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id or f"<{abs(hash((subject, body)))}.{timezone.now().timestamp()}@mail.example.edu>"
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)


def ticket_for(customer: User, **changes) -> Ticket:
    ticket = services.ticket_create(actor=customer, title="VPN drops every hour", impact="individual",
                                    urgency="impaired")
    if changes:
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        ticket.refresh_from_db()
    return ticket


class TestNewMessages:
    def test_a_message_from_someone_new_opens_a_ticket_as_a_new_customer(self, db):
        event, created = receive_email(message(subject="=?UTF-8?B?RHJ1Y2tlciBkZWZla3Qg4oCTIEJpdHRl?="))

        assert created and event.decision == "created"
        ticket = event.ticket
        assert ticket.title == "Drucker defekt – Bitte"
        assert ticket.description == "Every job jams after two pages."
        assert ticket.source == "email" and ticket.status == Status.NEW
        carol = ticket.requester
        assert (carol.email, carol.first_name, carol.is_staff, carol.has_usable_password()) == (
            "carol@example.edu", "Carol", False, False)
        received = Notification.objects.get(ticket=ticket, kind="received")
        assert received.to == ["carol@example.edu"] and received.subject.startswith(f"[#{ticket.pk}]")

    def test_an_html_only_message_becomes_plain_sanitised_text(self, db):
        raw = message(body="", html="<p>Hello<script>alert(1)</script></p><p>The <b>VPN</b> fails.</p>")
        ticket = receive_email(raw)[0].ticket

        assert "<" not in ticket.description and "alert(1)" not in ticket.description
        assert "The VPN fails." in ticket.description

    def test_the_same_message_twice_is_taken_in_once(self, db):
        raw = message(message_id="<once@mail.example.edu>")
        first, _ = receive_email(raw)
        again, created = receive_email(raw)

        assert not created and again.pk == first.pk
        assert Ticket.objects.count() == 1

    def test_the_same_message_id_on_different_content_is_a_different_message(self, db):
        receive_email(message(message_id="<reused@nagios>", subject="one"))
        receive_email(message(message_id="<reused@nagios>", subject="two"))
        assert Ticket.objects.count() == 2

    def test_attachments_are_stored_within_the_upload_rules_and_refusals_are_recorded(self, db):
        raw = message(attachments=[("screenshot.png", "image/png", PNG),
                                   ("setup.exe", "application/octet-stream", b"MZ\x90\x00")])
        event, _ = receive_email(raw)

        assert list(Attachment.objects.values_list("original_name", flat=True)) == ["screenshot.png"]
        assert "setup.exe" in event.summary

    def test_mail_from_our_own_address_is_never_processed(self, db):
        event, _ = receive_email(message(sender="servicedesk+12@example.edu"))
        assert event.state == "ignored" and not Ticket.objects.exists()


class TestReplies:
    def test_a_reply_to_our_mail_joins_the_conversation_and_answers_the_question(self, customer):
        ticket = ticket_for(customer, status=Status.WAIT_CUSTOMER)
        ours = Notification.objects.filter(ticket=ticket).first().message_id
        raw = message(sender=customer.email, subject=f"Re: [#{ticket.pk}] We need your reply",
                      body="It happens on Wi-Fi only.\n\nOn Tue, the desk wrote:\n> Which network?",
                      headers={"In-Reply-To": ours, "References": ours})

        event, _ = receive_email(raw)
        assert event.decision == "replied" and event.ticket == ticket
        entry = ConversationEntry.objects.get(ticket=ticket)
        assert entry.body == "It happens on Wi-Fi only." and entry.channel == "email" and entry.author == customer
        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROCESS

    def test_a_reply_to_a_resolved_ticket_is_the_customer_responding(self, customer):
        ticket = ticket_for(customer, status=Status.RESOLVED)
        receive_email(message(sender=customer.email, subject=f"RE: [#{ticket.pk}] Resolved, please check",
                              body="Still broken."))
        ticket.refresh_from_db()
        assert ticket.status == Status.CUSTOMER_RESPONDED

    def test_a_reply_by_the_plus_address_alone_is_threaded(self, customer):
        ticket = ticket_for(customer)
        receive_email(message(sender=customer.email, subject="more details", to=f"servicedesk+{ticket.pk}@example.edu",
                              body="Also on my laptop."))
        assert ConversationEntry.objects.get().ticket == ticket

    def test_a_reply_to_a_closed_ticket_opens_a_linked_new_one(self, customer):
        old = ticket_for(customer, status=Status.CLOSED)
        event, _ = receive_email(message(sender=customer.email, subject=f"Re: [#{old.pk}] VPN", body="It is back."))

        new = event.ticket
        assert new.pk != old.pk and new.requester == customer
        assert new.description.startswith(f"Follow-up to #{old.pk}")
        assert AuditEvent.objects.filter(ticket=old, field="follow_up", new_value=str(new.pk)).exists()

    def test_a_stranger_cannot_write_into_someone_elses_ticket(self, customer):
        ticket = ticket_for(customer)
        event, _ = receive_email(message(sender="mallory@example.com", subject=f"Re: [#{ticket.pk}] VPN",
                                         body="Close this please."))

        assert event.ticket != ticket and event.ticket.requester.email == "mallory@example.com"
        assert not ConversationEntry.objects.filter(ticket=ticket).exists()

    def test_a_follower_may_reply(self, customer, other_customer):
        ticket = ticket_for(customer)
        ticket.followers.add(other_customer)
        receive_email(message(sender=other_customer.email, subject=f"Re: [#{ticket.pk}] VPN", body="Same for me."))
        assert ConversationEntry.objects.get(ticket=ticket).author == other_customer


class TestLoopProtection:
    @pytest.mark.parametrize("headers", [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "auto_reply"},
        {"Precedence": "bulk"},
        {"X-Apple-Action": "VACATION"},
    ])
    def test_auto_replies_open_nothing_and_send_nothing(self, customer, headers):
        ticket = ticket_for(customer)
        before = Notification.objects.count()
        event, _ = receive_email(message(sender=customer.email, subject=f"Out of office: [#{ticket.pk}] VPN",
                                         headers=headers))

        assert event.state == "ignored" and event.decision == "ignored: automated"
        assert Ticket.objects.count() == 1 and not ConversationEntry.objects.exists()
        assert Notification.objects.count() == before

    def test_a_delivery_status_report_is_a_bounce(self, db):
        report = (
            b"From: MAILER-DAEMON@mx.example.edu\r\nTo: servicedesk@example.edu\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example.edu>\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b1\r\n"
            b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n"
            b"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.edu\r\n\r\n"
            b"Final-Recipient: rfc822; gone@example.edu\r\nAction: failed\r\nStatus: 5.1.1\r\n--b1--\r\n"
        )
        event, _ = receive_email(report)

        assert event.state == "ignored" and not Ticket.objects.exists() and not Notification.objects.exists()


NAGIOS_SERVICE = """***** Nagios *****

Notification Type: {type}

Service: HTTP
Host: web01
Address: 10.0.0.21
State: {state}

Date/Time: Thu Nov 26 10:00:00 EST 2026

Additional Info:

HTTP CRITICAL: HTTP/1.1 503 Service Unavailable
"""


class TestNagiosMail:
    @pytest.fixture
    def nagios(self, make_integration):
        return make_integration("nagios", senders="nagios@mon01.example.edu\n")

    def send(self, kind: str, state: str, n: int):
        return receive_email(message(sender="nagios@mon01.example.edu",
                                     subject=f"** {kind} Service Alert: web01/HTTP is {state} **",
                                     body=NAGIOS_SERVICE.format(type=kind, state=state),
                                     message_id=f"<nagios-{n}@mon01>"))[0]

    def test_problem_repeat_acknowledgement_recovery(self, nagios):
        opened = self.send("PROBLEM", "CRITICAL", 1)
        assert opened.decision == "created" and opened.integration == nagios
        ticket = opened.ticket
        assert ticket.source == "monitoring" and ticket.urgency == "stopped_no_workaround"

        assert self.send("PROBLEM", "CRITICAL", 2).decision == "appended"
        assert self.send("ACKNOWLEDGEMENT", "CRITICAL", 3).decision == "noted"
        assert self.send("RECOVERY", "OK", 4).decision == "resolved"
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        assert AlertGroup.objects.get().occurrences == 3
        assert AuditEvent.objects.filter(ticket=ticket, action="alert").count() == 4

    def test_the_same_mail_from_an_unknown_sender_is_an_ordinary_ticket(self, nagios):
        event = receive_email(message(sender="nagios@elsewhere.example.com", subject="** PROBLEM Service Alert **",
                                      body=NAGIOS_SERVICE.format(type="PROBLEM", state="CRITICAL")))[0]
        assert event.ticket.source == "email" and not AlertGroup.objects.exists()


class TestDoors:
    def test_the_command_reads_a_file_and_standard_input(self, db, tmp_path, monkeypatch):
        path = tmp_path / "message.eml"
        path.write_bytes(message(message_id="<cmd@mail>"))
        out = io.StringIO()
        call_command("ingest_email", str(path), stdout=out)
        assert "created" in out.getvalue()

        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
        call_command("ingest_email", "-", stdout=out)
        assert "Already received" in out.getvalue() and Ticket.objects.count() == 1

    @pytest.mark.parametrize(("argument", "error"), [("/nonexistent/message.eml", "No such file"),
                                                     ("EMPTY", "empty")])
    def test_the_command_explains_bad_input(self, db, tmp_path, argument, error):
        if argument == "EMPTY":
            argument = str(tmp_path / "empty.eml")
            (tmp_path / "empty.eml").write_bytes(b"\n")
        with pytest.raises(CommandError, match=error):
            call_command("ingest_email", argument)

    def test_a_mail_relay_posts_raw_messages_with_its_token(self, make_integration):
        relay = make_integration("email")
        response = APIClient().post("/api/v1/integrations/email/", data=message(), content_type="message/rfc822",
                                    HTTP_AUTHORIZATION=f"Bearer {relay.issued.token}")
        assert response.status_code == 200 and response.json()["decision"] == "created"

    def test_the_imap_poll_takes_in_unseen_mail_and_marks_it_seen(self, db, monkeypatch, settings):
        mailbox = FakeIMAP.mailbox = {b"7": message(message_id="<imap-7@mail>"),
                                      b"8": message(message_id="<imap-8@mail>", subject="Second")}
        FakeIMAP.seen = set()
        monkeypatch.setattr(imap.imaplib, "IMAP4_SSL", FakeIMAP)

        assert imap.poll("imaps://desk%40example.edu:secret@imap.example.edu/INBOX") == 2
        assert FakeIMAP.seen == set(mailbox) and FakeIMAP.login_as == ("desk@example.edu", "secret")
        assert Ticket.objects.count() == 2
        assert imap.poll("imaps://desk%40example.edu:secret@imap.example.edu/INBOX") == 0

    def test_a_bad_imap_url_is_explained(self):
        with pytest.raises(ValueError, match="imaps://"):
            imap.mailbox_from_url("http://imap.example.edu")


class FakeIMAP:
    """Speaks the few IMAP4 commands the poll uses, over a dict of messages, recording the flags set."""

    mailbox: dict[bytes, bytes] = {}
    seen: set[bytes] = set()
    login_as: tuple[str, str] = ("", "")

    def __init__(self, host, port, timeout=None):
        assert (host, port) == ("imap.example.edu", 993)

    def login(self, user, password):
        FakeIMAP.login_as = (user, password)

    def select(self, folder):
        assert folder == "INBOX"

    def uid(self, command, *args):
        if command == "SEARCH":
            return "OK", [b" ".join(uid for uid in self.mailbox if uid not in self.seen)]
        if command == "FETCH":
            return "OK", [(args[0] + b" (BODY[] {n}", self.mailbox[args[0]]), b")"]
        if command == "STORE":
            FakeIMAP.seen.add(args[0])
            return "OK", []
        raise AssertionError(command)

    def logout(self):
        return "BYE", []


def test_raw_events_keep_the_message_exactly(db):
    raw = message(message_id="<exact@mail>")
    event, _ = receive_email(raw)
    assert bytes(RawEvent.objects.get(pk=event.pk).body) == raw and event.message_id == "exact@mail"
