"""The staff ticket page: what a technician sees, and what each action does (and refuses)."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tickets import services
from tickets.lifecycle import Status
from tickets.models import Attachment, AuditEvent, Channel, ConversationEntry, Ticket, Visibility
from tickets.notifications.models import Notification
from tickets.web import ticket_presence, ticket_timeline

pytestmark = pytest.mark.django_db
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/New_York"))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A private cache per test, so presence from one test never shows up in another.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}


@pytest.fixture
def ticket(customer, email_service):
    return services.ticket_create(actor=customer, title="Outlook keeps asking for my password",
                                  description="Since this morning.", impact="individual", urgency="impaired",
                                  service=email_service)


def url(ticket, suffix=""):
    return f"/tickets/{ticket.pk}/{suffix}"


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def buttons(response) -> list[str]:
    """The labels of the status buttons and forms in the ticket's action bar."""
    bar = re.search(r'<div class="ticket-actions".*?</header>', page_text(response)).group(0)
    labels = re.findall(r"<(?:button|summary)[^>]*>(.*?)</(?:button|summary)>", bar)
    return [re.sub(r"<[^>]+>", "", label).strip() for label in labels]


def seen(ticket) -> int:
    return ticket_timeline.latest_event_id(ticket)


# --- Who may see the page ------------------------------------------------------------------------

def test_a_requester_is_sent_to_their_portal_page(client, customer, ticket):
    client.force_login(customer)
    response = client.get(url(ticket))
    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/{ticket.pk}/"


def test_another_customer_gets_not_found(client, other_customer, ticket):
    client.force_login(other_customer)
    assert client.get(url(ticket)).status_code == 404
    assert client.post(url(ticket, "reply/"), {"body": "hi", "mode": "reply", "seen": 0}).status_code == 404
    assert not ConversationEntry.objects.exists()


def test_signed_out_visitors_are_asked_to_sign_in(client, ticket):
    response = client.get(url(ticket))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- What the page shows -----------------------------------------------------------------------

def test_header_shows_the_facts_and_both_sla_badges(client, technician, customer, email_service):
    # Inside business hours: at night both business-hours badges would read "stopped".
    with time_machine.travel(MONDAY_10AM, tick=False):
        ticket = services.ticket_create(actor=customer, title="Outlook keeps asking for my password",
                                        impact="individual", urgency="impaired", service=email_service)
        client.force_login(technician)
        response = client.get(url(ticket))
    text = page_text(response)
    assert response.status_code == 200
    assert f"#{ticket.pk}" in text and "Outlook keeps asking for my password" in text
    assert "Respond by" in text and "Resolve by" in text
    assert text.count('data-sla-state="on_track"') == 2
    assert "Service Desk" in text and "Email" in text and "alice@example.edu" in text
    assert "Nobody" in text  # no assignee yet
    assert 'data-status="new"' in text and ">New<" in text


def test_internal_notes_are_shown_and_labelled_apart_from_replies(client, technician, ticket):
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Looked at the mailbox.", channel=Channel.WEB)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="Password expired, AD says.", internal=True,
                       channel=Channel.WEB)
    client.force_login(technician)
    text = page_text(client.get(url(ticket)))
    public = re.search(r'<li class="entry--public".*?</li>', text).group(0)
    internal = re.search(r'<li class="entry--internal".*?</li>', text).group(0)
    assert "Public reply" in public and "Looked at the mailbox." in public
    assert "Internal note — staff only" in internal and "Password expired, AD says." in internal


def test_timeline_merges_events_and_mail_in_time_order(client, technician, ticket):
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    client.force_login(technician)
    text = page_text(client.get(url(ticket)))
    logged = text.index("logged the ticket")
    mailed = text.index("We received your request")
    moved = text.index("changed the status from New to In Process")
    assert logged < mailed < moved
    assert 'class="event event--mail"' in text


def test_only_the_moves_the_status_machine_allows_are_buttons(client, technician, ticket):
    client.force_login(technician)
    assert buttons(client.get(url(ticket))) == [
        "Reply r", "Internal note n", "Start work", "Resolve…", "Resolve", "Cancel ticket…", "Cancel ticket"]

    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    response = client.get(url(ticket))
    assert buttons(response) == ["Reply r", "Internal note n", "Wait on customer", "Wait on vendor", "Resolve…",
                                 "Resolve", "Cancel ticket…", "Cancel ticket"]
    assert "Pauses the SLA clock until the customer replies." in page_text(response)

    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.RESOLVED)
    assert buttons(client.get(url(ticket))) == ["Reply r", "Internal note n", "Customer says it's still broken",
                                                "Close"]


def test_a_final_ticket_says_its_status_cannot_change(client, technician, ticket):
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.CANCELLED)
    client.force_login(technician)
    text = page_text(client.get(url(ticket)))
    assert "its status can't change any more" in text
    assert 'name="to_status"' not in text


def test_attachments_are_listed_with_a_download_link(client, technician, ticket):
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    attachment = services.attachment_add(ticket_id=ticket.pk, actor=technician, uploaded=upload)
    client.force_login(technician)
    text = page_text(client.get(url(ticket)))
    link = f"/api/v1/tickets/{ticket.pk}/attachments/{attachment.pk}/download/"
    assert f'href="{link}"' in text
    assert client.get(link).status_code == 200


def test_a_child_ticket_links_its_outage(client, technician, incident_manager, ticket):
    from outages import services as outages

    outage = outages.outage_raise(actor=incident_manager, title="Mail is down", impact="university",
                                  urgency="stopped_no_workaround").ticket
    outages.children_link(actor=technician, outage_id=outage.pk, ticket_ids=[ticket.pk])
    client.force_login(technician)
    assert f'href="/outages/{outage.pk}/"' in page_text(client.get(url(ticket)))


# --- Composer --------------------------------------------------------------------------------

def test_a_reply_is_posted_publicly_and_audited(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "reply/"), {"mode": "reply", "body": "Try signing out and in.",
                                                   "seen": seen(ticket)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    entry = ConversationEntry.objects.get()
    assert (entry.visibility, entry.channel, entry.author) == (Visibility.PUBLIC, Channel.WEB, technician)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REPLIED, actor=technician).exists()
    text = page_text(response)
    assert "Reply sent to the customer" in text and "Try signing out and in." in text
    assert "data-draft-clear" in text  # the browser forgets the saved draft


def test_a_note_stays_internal(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "reply/"), {"mode": "note", "body": "Called AD team.", "seen": seen(ticket)})
    assert response.status_code == 302 and response["Location"] == url(ticket) + "?sent=1"
    assert ConversationEntry.objects.get().visibility == Visibility.INTERNAL
    assert AuditEvent.objects.filter(action=AuditEvent.Action.NOTED, internal=True).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.PUBLIC_REPLY).exists()


def test_an_empty_reply_is_explained_in_place(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "reply/"), {"mode": "reply", "body": "  ", "seen": seen(ticket)},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    text = page_text(response)
    assert "There is a problem" in text
    assert text.count("Write your reply before sending") == 2  # in the summary and next to the field
    assert 'href="#composer_body"' in text
    assert not ConversationEntry.objects.exists()


def test_files_are_attached_with_a_reply(client, technician, ticket):
    client.force_login(technician)
    files = [SimpleUploadedFile("a.png", PNG, content_type="image/png"),
             SimpleUploadedFile("b.txt", b"log line", content_type="text/plain")]
    response = client.post(url(ticket, "reply/"), {"mode": "note", "body": "Logs attached.", "seen": seen(ticket),
                                                   "files": files})
    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("original_name", "visibility")) == [
        ("a.png", "internal"), ("b.txt", "internal")]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ATTACHED).count() == 2


def test_a_refused_file_is_explained_in_place_and_nothing_is_sent(client, technician, ticket):
    client.force_login(technician)
    bad = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client.post(url(ticket, "reply/"), {"mode": "reply", "body": "See attached.", "seen": seen(ticket),
                                                   "files": [bad]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    text = page_text(response)
    assert "are not accepted" in text and 'id="composer_files_error"' in text
    assert "See attached." in text  # the draft is kept
    assert not ConversationEntry.objects.exists() and not Attachment.objects.exists()


def test_a_stale_send_shows_the_new_activity_and_keeps_the_draft(client, technician, make_user, ticket):
    before = seen(ticket)
    colleague = make_user("sam", staff=True, first_name="Sam", last_name="Lee")
    services.entry_add(ticket_id=ticket.pk, actor=colleague, body="I already reset it.", channel=Channel.WEB)
    services.ticket_transition(ticket_id=ticket.pk, actor=colleague, to_status=Status.IN_PROCESS)
    client.force_login(technician)

    draft = {"mode": "reply", "body": "Let me reset your password.", "seen": before}
    response = client.post(url(ticket, "reply/"), draft, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    text = page_text(response)
    assert "2 new updates since you started" in text and "then send again" in text
    news = re.search(r'id="stale-news".*?</ol>', text).group(0)
    assert "I already reset it." in news and "Sam Lee changed the status" in news
    assert "Let me reset your password.</textarea>" in text
    assert ConversationEntry.objects.count() == 1

    resend = re.search(r'name="seen" value="(\d+)"', text).group(1)
    response = client.post(url(ticket, "reply/"), {**draft, "seen": resend}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert ConversationEntry.objects.count() == 2


def test_my_own_earlier_activity_does_not_block_my_send(client, technician, ticket):
    before = seen(ticket)
    services.entry_add(ticket_id=ticket.pk, actor=technician, body="First.", channel=Channel.WEB)
    client.force_login(technician)
    response = client.post(url(ticket, "reply/"), {"mode": "reply", "body": "Second.", "seen": before})
    assert response.status_code == 302


# --- Status actions --------------------------------------------------------------------------

def test_start_work_moves_the_ticket_and_records_the_response(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "status/"), {"to_status": "in_process", "version": ticket.version},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROCESS and ticket.responded_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.STATUS)
    assert (event.old_value, event.new_value, event.channel) == ("new", "in_process", Channel.WEB)
    assert "Status is now “In Process”" in page_text(response)


def test_wait_on_customer_pauses_the_clock_on_the_page(client, technician, ticket):
    services.ticket_transition(ticket_id=ticket.pk, actor=technician, to_status=Status.IN_PROCESS)
    ticket.refresh_from_db()
    client.force_login(technician)
    response = client.post(url(ticket, "status/"), {"to_status": "wait_customer", "version": ticket.version},
                           HTTP_HX_REQUEST="true")
    assert "Paused: waiting on customer" in page_text(response)


def test_resolve_needs_a_note_which_goes_to_the_customer(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "status/"), {"to_status": "resolved", "note": "", "version": ticket.version},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert page_text(response).count("Describe the fix for the customer before resolving") == 2
    assert Ticket.objects.get().status == Status.NEW

    response = client.post(url(ticket, "status/"), {"to_status": "resolved", "note": "Reset your password.",
                                                    "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ConversationEntry.objects.get().visibility == Visibility.PUBLIC
    assert Notification.objects.filter(kind=Notification.Kind.RESOLVED).exists()


def test_cancel_keeps_its_reason_as_an_internal_note(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "status/"), {"to_status": "cancelled", "reason": "Duplicate of #1",
                                                    "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert ConversationEntry.objects.get().visibility == Visibility.INTERNAL


def test_a_stale_version_is_a_clear_conflict_and_keeps_the_note(client, technician, ticket):
    old_version = ticket.version
    services.ticket_update(ticket_id=ticket.pk, actor=technician, changes={"urgency": "stopped_workaround"})
    client.force_login(technician)
    response = client.post(url(ticket, "status/"), {"to_status": "resolved", "note": "Fixed it.",
                                                    "version": old_version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    text = page_text(response)
    assert "Someone else changed this ticket" in text and "Fixed it.</textarea>" in text
    assert Ticket.objects.get().status == Status.NEW and not ConversationEntry.objects.exists()


def test_a_move_the_machine_refuses_is_explained(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "status/"), {"to_status": "closed", "version": ticket.version},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "This ticket is now “New”, so it can't move to “Closed”" in page_text(response)
    assert Ticket.objects.get().status == Status.NEW


# --- Side panel ------------------------------------------------------------------------------

def test_assign_to_me_in_one_click(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "assign/"), {"assign_to_me": "1", "version": ticket.version},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Ticket.objects.get().assignee == technician
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGED, field="assignee",
                                     new_value=str(technician.pk)).exists()
    assert "tech@example.edu changed the assignee from nobody to tech@example.edu" in page_text(response)


def test_reassigning_to_someone_outside_the_group_is_refused_in_place(client, technician, make_user, ticket):
    outsider = make_user("outsider", staff=True)
    client.force_login(technician)
    response = client.post(url(ticket, "assign/"), {"group": ticket.group_id, "assignee": outsider.pk,
                                                    "version": ticket.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    text = page_text(response)
    assert "outsider@example.edu is not a member of the group “Service Desk”" in text
    assert 'id="assign_assignee_error"' in text
    assert Ticket.objects.get().assignee is None


def test_customers_are_not_offered_as_assignees(client, technician, customer, ticket):
    client.force_login(technician)
    select = re.search(r'<select name="assignee".*?</select>', page_text(client.get(url(ticket)))).group(0)
    assert ">tech@example.edu<" in select and "alice" not in select


def test_retriage_previews_then_saves_the_new_priority(client, technician, ticket):
    client.force_login(technician)
    preview = client.get(url(ticket, "triage/preview/"), {"impact": "university", "urgency": "stopped_no_workaround"})
    text = page_text(preview)
    assert "priority Emergency" in text and "Respond by" in text and "Resolve by" in text
    assert Ticket.objects.get().priority == "scheduled"  # nothing saved by the preview

    response = client.post(url(ticket, "triage/"), {"impact": "university", "urgency": "stopped_no_workaround",
                                                    "version": ticket.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.priority == "emergency"
    assert AuditEvent.objects.filter(field="priority", old_value="scheduled", new_value="emergency").exists()
    assert "Priority is now Emergency" in page_text(response)


def test_retriage_with_an_unknown_value_is_explained_in_place(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "triage/"), {"impact": "galaxy", "urgency": "impaired",
                                                    "version": ticket.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert 'id="triage_impact_error"' in page_text(response)


# --- Presence --------------------------------------------------------------------------------

def test_presence_shows_others_viewing_and_writing_never_myself(client, technician, make_user, ticket):
    sam = make_user("sam", staff=True, first_name="Sam", last_name="Lee")
    client.force_login(sam)
    client.get(url(ticket))  # opening the page counts as viewing
    client.force_login(technician)
    text = page_text(client.get(url(ticket, "presence/")))
    assert "Sam Lee is viewing" in text and "tech@example.edu is" not in text

    client.force_login(sam)
    assert client.post(url(ticket, "presence/"), {"state": "writing"}).status_code == 204
    client.force_login(technician)
    text = page_text(client.get(url(ticket, "presence/")))
    assert "Sam Lee is writing a reply…" in text and 'data-presence="writing"' in text
    assert 'id="composer-presence"' in text  # repeated beside the composer


def test_presence_expires_after_the_ttl(client, technician, make_user, ticket):
    sam = make_user("sam", staff=True, first_name="Sam", last_name="Lee")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket_presence.heartbeat(ticket.pk, sam, "writing")
    client.force_login(technician)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert "Sam Lee is writing" in page_text(client.get(url(ticket, "presence/")))
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert "Sam Lee" not in page_text(client.get(url(ticket, "presence/")))


def test_leaving_removes_presence_at_once(client, technician, make_user, ticket):
    sam = make_user("sam", staff=True, first_name="Sam", last_name="Lee")
    client.force_login(sam)
    client.get(url(ticket))
    client.post(url(ticket, "presence/"), {"state": "gone"})
    client.force_login(technician)
    assert "Sam Lee" not in page_text(client.get(url(ticket, "presence/")))


# --- Query budget ----------------------------------------------------------------------------

def _add_history(ticket, technician, n: int) -> None:
    for i in range(n):
        services.entry_add(ticket_id=ticket.pk, actor=technician, body=f"Reply {i}", channel=Channel.WEB)
        services.attachment_add(ticket_id=ticket.pk, actor=technician,
                                uploaded=SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain"))
    assert Notification.objects.filter(ticket=ticket).count() >= n


@pytest.mark.parametrize("n", [3, 30])
def test_the_page_costs_the_same_queries_whatever_the_history(client, technician, ticket, n,
                                                              django_assert_max_num_queries):
    _add_history(ticket, technician, n)
    client.force_login(technician)
    client.get(url(ticket))  # warm the session
    # 14 for the page itself (session, user, ticket, lists, timeline, calendar); the rest is the navigation.
    with django_assert_max_num_queries(16):
        response = client.get(url(ticket))
    assert response.content.decode().count('class="entry--public"') == n


def test_a_long_timeline_is_paged_with_show_earlier(client, technician, ticket, monkeypatch):
    monkeypatch.setattr(ticket_timeline, "TIMELINE_LIMIT", 5)
    for i in range(8):
        services.entry_add(ticket_id=ticket.pk, actor=technician, body=f"Reply number {i}", internal=True)
    client.force_login(technician)
    text = page_text(client.get(url(ticket)))
    assert "Show earlier activity" in text and "Reply number 7" in text and "Reply number 0" not in text
    earlier = re.search(r'href="(\?before=[^"]+)"', text).group(1).replace("&amp;", "&")
    text = page_text(client.get(url(ticket) + earlier))
    assert "Reply number 0" in text and "Back to the latest activity" in text


def test_files_alone_can_be_sent_without_a_message(client, technician, ticket):
    client.force_login(technician)
    upload = SimpleUploadedFile("log.txt", b"error 42", content_type="text/plain")
    response = client.post(url(ticket, "reply/"), {"mode": "reply", "body": "", "seen": seen(ticket),
                                                   "files": [upload]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Files attached" in page_text(response)
    assert Attachment.objects.get().visibility == Visibility.PUBLIC and not ConversationEntry.objects.exists()


def test_without_javascript_an_error_comes_back_as_a_whole_page(client, technician, ticket):
    client.force_login(technician)
    response = client.post(url(ticket, "reply/"), {"mode": "note", "body": "", "seen": seen(ticket)})
    assert response.status_code == 422
    text = page_text(response)
    assert "<title>Error: #" in text and "<html" in text
    assert "Write your note before sending" in text
