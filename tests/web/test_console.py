"""The incident manager's outage console: what each person sees and what each step does (UX §7, checklist 18–19)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from outages import services as outages
from outages.models import AfterActionReview, Update
from tickets import services as tickets
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification

START = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def local_hm(instant) -> str:
    return f"{timezone.localtime(instant):%H:%M}"


@pytest.fixture
def comms(make_user):
    user = make_user("comms", staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="outages",
                                                     codename="approve_community_update"))
    return user


@pytest.fixture
def make_outage(incident_manager, email_service, make_user):
    def make(children: int = 0, *, cadence: int | None = 30, audiences=("ticket", "its-alerts")):
        outage = outages.outage_raise(actor=incident_manager, title="E-mail cannot be sent campus-wide",
                                      impact="university", urgency="stopped_no_workaround", service=email_service,
                                      incident_manager=incident_manager, description="Outbox stuck.")
        ids = [tickets.ticket_create(actor=make_user(), title=f"Cannot send mail {i}", impact="individual",
                                     urgency="impaired", service=email_service).pk for i in range(children)]
        if ids:
            outages.children_link(actor=incident_manager, outage_id=outage.pk, ticket_ids=ids)
        if cadence:
            outages.plan_set(actor=incident_manager, outage_id=outage.pk, audiences=list(audiences),
                             cadence_minutes=cadence)
        return outage
    return make


def console(client, outage, **params):
    return client.get(reverse("console:detail", args=[outage.pk]), params)


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_countdown_says_when_the_next_update_is_due_then_that_it_is_overdue(client, incident_manager,
                                                                                   make_outage):
    with time_machine.travel(START, tick=False) as clock:
        outage = make_outage()
        client.force_login(incident_manager)
        due = START + timedelta(minutes=30)

        clock.move_to(START + timedelta(minutes=18))
        page = console(client, outage)
        html = page.content.decode()
        assert "Next update due in 12 min" in text_of(page)
        assert f'<time data-countdown datetime="{due.isoformat()}" data-soon="5">{local_hm(due)}</time>' in html
        assert "data-countdown-label" in html and "countdown--overdue" not in html

        clock.move_to(START + timedelta(minutes=33))
        page = console(client, outage)
        assert "Overdue by 3 min" in text_of(page)
        assert 'class="next-update countdown--overdue"' in page.content.decode()


def test_the_preview_shows_the_exact_email_and_the_reach_of_each_ticked_audience(client, incident_manager,
                                                                                    make_outage):
    with time_machine.travel(START, tick=False):
        outage = make_outage(children=3)
        client.force_login(incident_manager)
        form = {"update-status": "identified", "update-text": "The mail relay's disk failed; we're swapping it.",
                "update-next_update_minutes": "60", "update-audiences": ["ticket", "its-alerts"]}
        preview = client.post(reverse("console:preview", args=[outage.pk]), form, HTTP_HX_REQUEST="true")
        assert preview.status_code == 200
        words = text_of(preview)
        # 3 child requesters + the outage's own requester (who raised it); ITS Alerts is one list address.
        assert "The ticket: its followers and the affected users · 4 people" in words
        assert "ITS Alerts list · 1 list address" in words and "its-alerts@example.edu" in words
        assert "Send to 4 people and 1 list" in words  # the send button's words, swapped out of band

        # Sending now queues exactly what the preview showed.
        sent = client.post(reverse("console:update", args=[outage.pk]), form)
        assert sent.status_code == 302
        mail = Notification.objects.filter(kind="outage_update").order_by("id")
        assert mail.count() == 5  # one per affected person, one to the list
        for message in mail:
            assert escape(message.subject) in preview.content.decode()
            assert escape(message.body_text) in preview.content.decode()
        assert mail[0].body_text.startswith("Update on E-mail cannot be sent campus-wide\n\nIdentified: The mail")
        assert f"The next update will come by {timezone.localtime(START + timedelta(hours=1)):%a %d %b %Y %H:%M}" \
            in mail[0].body_text


def test_the_send_button_states_the_reach_and_the_last_audience_choice_stays_selected(client, incident_manager,
                                                                                       make_outage):
    outage = make_outage(children=2, audiences=("ticket",))
    client.force_login(incident_manager)
    assert "Send to 3 people" in text_of(console(client, outage))

    client.post(reverse("console:update", args=[outage.pk]), {
        "update-status": "investigating", "update-text": "Still looking.", "update-next_update_minutes": "30",
        "update-audiences": ["ticket", "usdc-l"]})
    html = console(client, outage).content.decode()
    assert re.search(r'value="usdc-l"[^>]*checked', html)
    assert not re.search(r'value="its-alerts"[^>]*checked', html)
    assert "Send to 3 people and 1 list" in text_of(console(client, outage))


def test_a_community_send_is_held_shown_on_the_timeline_and_sent_once_approved(client, incident_manager, comms,
                                                                                make_outage):
    outage = make_outage()
    client.force_login(incident_manager)
    response = client.post(reverse("console:update", args=[outage.pk]), {
        "update-status": "investigating", "update-text": "Mail is down across campus.",
        "update-next_update_minutes": "30", "update-audiences": ["ticket", "community"]}, follow=True)
    words = text_of(response)
    assert "The message to the whole community is awaiting approval" in words
    assert "Awaiting approval" in words and "Waiting for comms@example.edu to approve it" in words
    assert "approver: comms@example.edu" in words  # the pending approval is on the timeline, approver named
    assert "Held for approval" in words
    assert "Approve and send" not in words  # the incident manager cannot approve it
    assert not Notification.objects.filter(distribution_list__slug="community").exists()

    held = Update.objects.get(community_state="held")
    client.force_login(comms)
    assert "Approve and send to the community" in text_of(console(client, outage))
    approved = client.post(reverse("console:decide", args=[outage.pk, held.pk, "approve"]), follow=True)
    assert "Community message approved and sent." in text_of(approved)
    assert [n.to for n in Notification.objects.filter(distribution_list__slug="community")] == [
        ["community@example.edu"]]
    assert "No messages awaiting approval." in text_of(approved)
    assert "Community message approved and sent" in text_of(approved)  # and the timeline says so


def test_the_all_clear_needs_a_message_then_resolves_the_children(client, incident_manager, make_outage):
    outage = make_outage(children=3)
    client.force_login(incident_manager)
    page = text_of(console(client, outage))
    assert "resolves 3 open child tickets and tells 4 people and 1 list" in page

    refused = client.post(reverse("console:resolve", args=[outage.pk]), {"resolve-all_clear": "  "})
    assert refused.status_code == 422
    assert refused.content.decode().count("Write the all-clear: what caused it and how it was fixed") == 2
    assert text_of(refused).startswith("Error:") or "<title>Error:" in refused.content.decode()
    assert Ticket.objects.get(pk=outage.pk).status != Status.RESOLVED

    done = client.post(reverse("console:resolve", args=[outage.pk]),
                       {"resolve-all_clear": "A failed disk stopped the relay; it is replaced."}, follow=True)
    assert "Resolved. The all-clear is on its way" in text_of(done)
    assert set(Ticket.objects.filter(parent_id=outage.pk).values_list("status", flat=True)) == {Status.RESOLVED}
    assert Ticket.objects.get(pk=outage.pk).status == Status.RESOLVED
    assert Notification.objects.filter(kind="outage_all_clear").exists()


def test_the_after_action_review_appears_only_after_resolution_prefilled(client, incident_manager, make_outage,
                                                                          make_user):
    outage = make_outage(children=1)
    client.force_login(incident_manager)
    assert "After-Action Review" not in text_of(console(client, outage))
    assert client.post(reverse("console:review", args=[outage.pk]), {"action": "save"}).status_code == 403

    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk, all_clear="Replaced the relay disk.")
    page = console(client, outage)
    assert "After-Action Review" in text_of(page)
    assert "Replaced the relay disk." in page.content.decode()  # resolution pre-filled from the all-clear
    assert "Outbox stuck." in page.content.decode()  # symptoms from the outage's description

    incomplete = client.post(reverse("console:review", args=[outage.pk]),
                             {"action": "submit", "review-initial_symptoms": "Outbox stuck."})
    assert incomplete.status_code == 422
    assert "This section is required before the review is submitted." in incomplete.content.decode()

    sections = {f"review-{name}": f"{name} text" for name in AfterActionReview.REQUIRED_FIELDS}
    submitted = client.post(reverse("console:review", args=[outage.pk]), {"action": "submit", **sections},
                            follow=True)
    assert "After-Action Review submitted for posting." in text_of(submitted)
    assert AfterActionReview.objects.get(outage=outage).state == "submitted"

    publisher = make_user("cab", staff=True)
    publisher.user_permissions.add(Permission.objects.get(codename="publish_review"))
    client.force_login(publisher)
    published = client.post(reverse("console:review", args=[outage.pk]), {"action": "publish", **sections},
                            follow=True)
    assert "After-Action Review published." in text_of(published)
    assert AfterActionReview.objects.get(outage=outage).state == "published"


def test_link_more_children_by_ticket_number(client, incident_manager, make_outage, customer, email_service):
    outage = make_outage()
    first, second = (tickets.ticket_create(actor=customer, title=f"No mail {i}", impact="individual",
                                           urgency="impaired", service=email_service) for i in range(2))
    client.force_login(incident_manager)
    linked = client.post(reverse("console:children", args=[outage.pk]),
                         {"children-tickets": f"#{first.pk}, {second.pk}"}, follow=True)
    words = text_of(linked)
    assert f"Linked #{first.pk}, #{second.pk}." in words
    assert "Child tickets: 2" in words and "+2 in 15 min" in words
    assert set(Ticket.objects.filter(parent_id=outage.pk).values_list("pk", flat=True)) == {first.pk, second.pk}

    unknown = client.post(reverse("console:children", args=[outage.pk]), {"children-tickets": "999999"})
    assert unknown.status_code == 422 and "Unknown ticket ids: 999999." in unknown.content.decode()
    garbled = client.post(reverse("console:children", args=[outage.pk]), {"children-tickets": "abc"})
    assert garbled.status_code == 422 and "Ticket numbers are digits" in garbled.content.decode()


def test_who_may_see_and_run_the_console(client, customer, technician, incident_manager, make_outage):
    outage = make_outage()
    client.force_login(customer)
    assert client.get(reverse("console:list")).status_code == 403
    assert console(client, outage).status_code == 403

    # Other staff read it (and may link children) but cannot post or resolve.
    client.force_login(technician)
    page = console(client, outage)
    assert page.status_code == 200 and "Post an update" not in text_of(page)
    assert "Resolve / all-clear" not in text_of(page)
    refused = client.post(reverse("console:update", args=[outage.pk]), {
        "update-status": "investigating", "update-text": "Hi", "update-next_update_minutes": "30",
        "update-audiences": ["ticket"]})
    assert refused.status_code == 422
    assert "Only the incident manager, the service owner or an administrator can do this." in refused.content.decode()
    assert not Update.objects.exists()

    client.force_login(incident_manager)
    assert "Post an update" in text_of(console(client, outage))


def test_the_list_shows_open_outages_with_their_next_update_and_an_empty_state(client, incident_manager,
                                                                                make_outage):
    client.force_login(incident_manager)
    assert "No outages right now." in text_of(client.get(reverse("console:list")))
    outage = make_outage(children=2)
    words = text_of(client.get(reverse("console:list")))
    assert "E-mail cannot be sent campus-wide" in words and "Next update due in 30 min" in words
    assert f"#{outage.pk}" in words and "im" in words


def test_composer_errors_are_specific_and_keep_the_text(client, incident_manager, make_outage):
    outage = make_outage()
    client.force_login(incident_manager)
    response = client.post(reverse("console:update", args=[outage.pk]), {
        "update-text": "Half-written update", "update-next_update_minutes": "30"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "<title>Error:" in html and "There is a problem" in html
    assert html.count("Choose at least one audience") == 2
    assert "Half-written update" in html


@pytest.mark.parametrize("rows", [3, 30])
def test_the_console_runs_a_fixed_number_of_queries(rows, client, incident_manager, make_outage,
                                                    django_assert_max_num_queries):
    outage = make_outage(children=rows)
    for i in range(rows):
        outages.update_post(actor=incident_manager, outage_id=outage.pk, text=f"Update {i}")
    client.force_login(incident_manager)
    with django_assert_max_num_queries(30):
        page = console(client, outage)
    assert page.status_code == 200
    assert f"Child tickets: {rows}" in text_of(page)
    assert AuditEvent.objects.filter(ticket_id=outage.pk, field="update").count() == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_runs_a_fixed_number_of_queries(rows, client, incident_manager, make_outage,
                                                 django_assert_max_num_queries):
    for _ in range(rows // 3):
        make_outage(children=1)
    client.force_login(incident_manager)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("console:list"))
    assert page.status_code == 200


@pytest.mark.parametrize("rows", [3, 30])
def test_the_resolved_console_with_its_review_runs_a_fixed_number_of_queries(rows, client, incident_manager,
                                                                             make_outage,
                                                                             django_assert_max_num_queries):
    outage = make_outage(children=rows)
    for i in range(rows):
        outages.update_post(actor=incident_manager, outage_id=outage.pk, text=f"Update {i}")
    outages.outage_resolve(actor=incident_manager, outage_id=outage.pk, all_clear="Fixed the relay.")
    client.force_login(incident_manager)
    with django_assert_max_num_queries(32):
        page = console(client, outage)
    assert "After-Action Review" in text_of(page) and f"{rows} child tickets reported" in page.content.decode()


def test_the_preview_shows_markup_in_an_update_as_text(client, incident_manager, make_outage):
    outage = make_outage()
    client.force_login(incident_manager)
    preview = client.post(reverse("console:preview", args=[outage.pk]), {
        "update-status": "monitoring", "update-text": "<script>alert(1)</script> fixed",
        "update-next_update_minutes": "30", "update-audiences": ["ticket"]})
    html = preview.content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; fixed" in html


def test_an_empty_preview_says_what_to_do(client, incident_manager, make_outage):
    outage = make_outage()
    client.force_login(incident_manager)
    preview = client.post(reverse("console:preview", args=[outage.pk]), {"update-audiences": ["ticket"]})
    assert "Write the update to see the email each audience gets." in text_of(preview)
    none_ticked = client.post(reverse("console:preview", args=[outage.pk]), {"update-text": "Hello"})
    assert "Tick at least one audience" in text_of(none_ticked)


def test_the_live_strip_polls_the_countdown_children_and_approvals(client, incident_manager, make_outage):
    outage = make_outage(children=2)
    outages.update_post(actor=incident_manager, outage_id=outage.pk, text="Heads up.",
                        audiences=["ticket", "community"])
    client.force_login(incident_manager)
    strip = client.get(reverse("console:live", args=[outage.pk]), HTTP_HX_REQUEST="true")
    html = strip.content.decode()
    assert 'hx-trigger="itsm:live" data-live-every="30"' in html
    words = text_of(strip)
    assert "Next update due in 30 min" in words and "Child tickets: 2" in words
    assert "Awaiting approval" in words and "Heads up." in words


def test_a_problem_gets_its_workaround_published_and_an_emergency_rfc_raised(client, incident_manager, make_outage,
                                                                             make_user):
    outage = make_outage(children=1)
    client.force_login(incident_manager)
    early = client.post(reverse("console:workaround", args=[outage.pk]), {"workaround-text": "Use webmail."})
    assert early.status_code == 422 and "Reclassify the outage as a problem" in early.content.decode()

    client.post(reverse("console:reclassify", args=[outage.pk]), {"classification": "problem"})
    published = client.post(reverse("console:workaround", args=[outage.pk]), {"workaround-text": "Use webmail."},
                            follow=True)
    assert "Workaround published and sent to everyone affected." in text_of(published)
    assert Notification.objects.filter(kind="outage_workaround").exists()

    missing = client.post(reverse("console:rfc", args=[outage.pk]), {"rfc-title": "Swap the relay"})
    assert missing.status_code == 422 and "Describe how to undo it if it goes wrong" in missing.content.decode()
    raised = client.post(reverse("console:rfc", args=[outage.pk]), {
        "rfc-title": "Swap the relay", "rfc-reason": "Disk failed.", "rfc-implementation_plan": "Point MX to relay02.",
        "rfc-backout_plan": "Point MX back.", "rfc-risk": "medium"}, follow=True)
    assert "requested; it waits for a change approver" in text_of(raised)
    change = outage.changes.get()
    assert "Approve RFC" not in text_of(raised)  # the incident manager is not a change approver

    cab = make_user("cab", staff=True)
    cab.user_permissions.add(Permission.objects.get(codename="approve_change"))
    client.force_login(cab)
    approved = client.post(reverse("console:rfc-step", args=[outage.pk, change.pk, "approve"]), follow=True)
    assert f"RFC {change.pk} approved." in text_of(approved)


def test_an_unknown_outage_number_is_not_found(client, incident_manager):
    client.force_login(incident_manager)
    assert client.get("/outages/12345/").status_code == 404
    assert client.get(f"/outages/{2**70}/").status_code == 404
