"""After-Action Reviews: writing, submitting and publishing one, its Markdown export, and the staff list."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from outages import reviews
from outages.changes import change_request
from outages.models import AfterActionReview, Outage
from tickets import services as tickets
from tickets.models import AuditEvent, Channel
from tickets.process import process_ticket_create, process_ticket_link, process_ticket_transition

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
SECTIONS = {
    "initial_symptoms": "Mail stuck in outboxes across campus.",
    "root_cause": "The relay's spool disk filled up.",
    "prevention": "Alert on spool disk use above 80%.",
    "resolution": "Failed over to the standby relay.",
    "teams_involved": "Messaging; Data Center Operations",
    "customer_effect": "No outbound mail for an hour.",
    "systems_affected": "SMTP relays",
}
REQUIRED = "This section is required before the review is submitted."


@pytest.fixture(autouse=True)
def _due_in_five_days(settings):
    settings.AAR_DUE_DAYS = 5


def raise_outage(actor, service, title="E-mail cannot be sent", **extra) -> Outage:
    ticket = process_ticket_create(actor=actor, title=title, impact="university", urgency="stopped_no_workaround",
                                   classification="outage", service=service)
    return Outage.objects.create(ticket=ticket, created_at=timezone.now(), **extra)


def resolve(outage: Outage, actor) -> None:
    process_ticket_transition(actor=actor, ticket_id=outage.ticket_id, to_status="resolved")


@pytest.fixture
def outage(incident_manager, email_service) -> Outage:
    with time_machine.travel(T0, tick=False):
        return raise_outage(incident_manager, email_service, incident_manager=incident_manager)


@pytest.fixture
def resolved_outage(outage, incident_manager) -> Outage:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        resolve(outage, incident_manager)
    outage.ticket.refresh_from_db()
    return outage


@pytest.fixture
def publisher(make_user):
    user = make_user("reviewer", staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="outages", codename="publish_review"))
    return user


def review_url(outage: Outage, step: str = "") -> str:
    return f"/api/v1/outages/{outage.pk}/review/{step}"


def write_and_submit(api, user, outage: Outage) -> None:
    assert api(user).put(review_url(outage), SECTIONS, format="json").status_code == 200
    assert api(user).post(review_url(outage, "submit/")).status_code == 200


# --- Writing and submitting --------------------------------------------------------------------------


def test_no_review_is_a_404_until_one_is_started(api, outage, incident_manager):
    response = api(incident_manager).get(review_url(outage))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_outage_number_no_row_can_have_is_not_found(api, incident_manager):
    huge = 10**30

    for response in (api(incident_manager).get(f"/api/v1/outages/{huge}/review/"),
                     api(incident_manager).put(f"/api/v1/outages/{huge}/review/", SECTIONS, format="json"),
                     api(incident_manager).get(f"/api/v1/outages/{huge}/review/markdown/"),
                     api(incident_manager).get(f"/api/v1/reviews/{huge}/")):
        assert response.status_code == 404
    assert not AfterActionReview.objects.exists()


def test_a_draft_shows_the_sections_still_missing(api, outage, incident_manager):
    response = api(incident_manager).patch(review_url(outage), {"root_cause": "  The relay's disk filled up. "},
                                           format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["root_cause"], body["author"]["username"]) == (
        "draft", "The relay's disk filled up.", "im")
    assert body["missing_fields"] == ["initial_symptoms", "prevention", "resolution", "teams_involved",
                                      "customer_effect", "systems_affected"]
    assert (body["due_at"], body["overdue"]) == (None, False)  # not resolved: nothing is owed yet
    assert api(incident_manager).get(review_url(outage)).json()["root_cause"] == "The relay's disk filled up."


def test_submitting_a_review_with_missing_sections_is_refused_naming_each(api, resolved_outage, incident_manager):
    api(incident_manager).patch(review_url(resolved_outage), {"root_cause": SECTIONS["root_cause"],
                                                              "resolution": SECTIONS["resolution"],
                                                              "prevention": "   "}, format="json")

    response = api(incident_manager).post(review_url(resolved_outage, "submit/"))

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "errors": {
        "initial_symptoms": [REQUIRED], "prevention": [REQUIRED], "teams_involved": [REQUIRED],
        "customer_effect": [REQUIRED], "systems_affected": [REQUIRED]}}
    assert AfterActionReview.objects.get().state == "draft"


def test_submitting_before_any_review_was_written_names_every_section(api, resolved_outage, incident_manager):
    response = api(incident_manager).post(review_url(resolved_outage, "submit/"))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(AfterActionReview.REQUIRED_FIELDS)
    assert not AfterActionReview.objects.exists()


def test_a_review_is_submitted_only_once_the_outage_is_resolved(api, outage, incident_manager):
    api(incident_manager).put(review_url(outage), SECTIONS, format="json")

    response = api(incident_manager).post(review_url(outage, "submit/"))

    assert response.status_code == 409
    assert response.json() == {"code": "invalid_state", "detail": f"#{outage.pk} is new; the review is submitted "
                                                                  "once the outage or problem is resolved."}
    assert AfterActionReview.objects.get().state == "draft"


def test_a_submitted_review_keeps_every_section(api, resolved_outage, incident_manager):
    write_and_submit(api, incident_manager, resolved_outage)

    emptied = api(incident_manager).patch(review_url(resolved_outage), {"root_cause": ""}, format="json")
    edited = api(incident_manager).patch(review_url(resolved_outage), {"root_cause": "Disk full."}, format="json")

    assert emptied.status_code == 400 and emptied.json()["errors"] == {"root_cause": [REQUIRED]}
    assert edited.status_code == 200
    assert (edited.json()["state"], edited.json()["root_cause"]) == ("submitted", "Disk full.")


def test_unknown_sections_and_non_text_are_refused(api, outage, incident_manager):
    response = api(incident_manager).patch(review_url(outage), {"root_cause": 7, "lessons": "x"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"root_cause", "lessons"}
    assert not AfterActionReview.objects.exists()


# --- Publishing ----------------------------------------------------------------------------------------


def test_publishing_without_the_permission_is_refused(api, resolved_outage, incident_manager, technician):
    write_and_submit(api, incident_manager, resolved_outage)

    for user in (incident_manager, technician):
        response = api(user).post(review_url(resolved_outage, "publish/"))
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert AfterActionReview.objects.get().state == "submitted"


def test_a_published_review_is_read_by_all_staff_and_no_longer_changes(api, resolved_outage, incident_manager,
                                                                       publisher, technician):
    write_and_submit(api, incident_manager, resolved_outage)
    assert api(technician).get("/api/v1/reviews/").json()["results"] == []  # submitted is not yet published

    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        published = api(publisher).post(review_url(resolved_outage, "publish/"))

    assert published.status_code == 200
    assert (published.json()["state"], published.json()["published_by"]["username"]) == ("published", "reviewer")
    assert datetime.fromisoformat(published.json()["published_at"]) == T0 + timedelta(days=2)
    listed = api(technician).get("/api/v1/reviews/").json()["results"]
    assert [(item["outage"], item["title"], item["service"], item["state"]) for item in listed] == [
        (resolved_outage.pk, "E-mail cannot be sent", "Email", "published")]
    assert datetime.fromisoformat(listed[0]["due_at"]) == T0 + timedelta(hours=1, days=5)
    assert api(technician).get(f"/api/v1/reviews/{listed[0]['id']}/").json()["root_cause"] == SECTIONS["root_cause"]

    changed = api(incident_manager).patch(review_url(resolved_outage), {"root_cause": "Other."}, format="json")
    again = api(publisher).post(review_url(resolved_outage, "publish/"))
    assert changed.status_code == 409 and changed.json()["code"] == "invalid_state"
    assert again.status_code == 409
    assert AfterActionReview.objects.get().root_cause == SECTIONS["root_cause"]

    steps = AuditEvent.objects.filter(ticket_id=resolved_outage.ticket_id, field="review").order_by("id")
    assert [(step.new_value, str(step.actor.username)) for step in steps] == [
        ("After-Action Review started.", "im"),
        ("After-Action Review submitted for posting.", "im"),
        ("After-Action Review published.", "reviewer"),
    ]


def test_a_draft_cannot_be_published(api, resolved_outage, incident_manager, publisher):
    api(incident_manager).put(review_url(resolved_outage), SECTIONS, format="json")

    response = api(publisher).post(review_url(resolved_outage, "publish/"))

    assert response.status_code == 409
    assert response.json()["detail"] == "This review is draft; only a submitted review can be published."


# --- The Markdown export -------------------------------------------------------------------------------


def test_the_markdown_export_has_the_facts_every_section_and_the_timeline(api, outage, incident_manager, customer,
                                                                          dispatcher, technician):
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        child = tickets.ticket_create(actor=customer, title="Cannot send mail", impact="individual",
                                      urgency="stopped_no_workaround", service=outage.ticket.service)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        process_ticket_link(actor=dispatcher, ticket_id=child.pk, parent=outage.ticket)
    AuditEvent.objects.create(ticket=outage.ticket, actor=None, channel=Channel.MONITORING,
                              action=AuditEvent.Action.ALERT, field="a1", new_value="firing: SMTP relay down",
                              created_at=T0 + timedelta(minutes=12))
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        tickets.entry_add(ticket_id=outage.ticket_id, actor=technician, body="Relay01 spool\ndisk is full.",
                          internal=True)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        rfc = change_request(actor=technician, outage_id=outage.pk, title="Fail over to relay02", reason="Disk full.",
                             implementation_plan="Point MX at relay02.", backout_plan="Point MX back.", risk="high")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        resolve(outage, incident_manager)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        api(incident_manager).put(review_url(outage), {**SECTIONS, "teams_involved": ""}, format="json")

    response = api(incident_manager).get(review_url(outage, "markdown/"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="after-action-review-{outage.pk}.md"'
    n = outage.pk
    assert response.content.decode() == f"""# After-Action Review: #{n} E-mail cannot be sent

- **Service:** Email
- **Classification:** Outage
- **Incident manager:** im@example.edu
- **Opened:** 2026-03-02 09:00 EST
- **Resolved:** 2026-03-02 10:00 EST
- **Closed:** —
- **Child tickets:** 1
- **Review:** Draft, by im@example.edu

## Initial symptoms

Mail stuck in outboxes across campus.

## Root cause

The relay's spool disk filled up.

## Prevention

Alert on spool disk use above 80%.

## Resolution

Failed over to the standby relay.

## Teams involved

_Not written yet._

## Effect on customers

No outbound mail for an hour.

## Systems and services affected

SMTP relays

## Timeline

- 2026-03-02 09:00 EST — im@example.edu: Ticket #{n} opened
- 2026-03-02 09:10 EST — dispatch@example.edu: #{child.pk} linked as a child
- 2026-03-02 09:12 EST — System: Alert: firing: SMTP relay down
- 2026-03-02 09:15 EST — tech@example.edu: Internal note: Relay01 spool disk is full.
- 2026-03-02 09:20 EST — tech@example.edu: Emergency RFC {rfc.pk} requested (high risk): Fail over to relay02
- 2026-03-02 10:00 EST — im@example.edu: Status: New → Resolved
"""


def test_a_child_reported_as_part_of_the_outage_joins_the_timeline_when_it_was_opened(outage, technician, customer):
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        child = process_ticket_create(actor=technician, requester=customer, title="No mail", impact="individual",
                                      urgency="impaired", parent=outage.ticket)

    timeline = reviews.review_timeline(outage)

    assert timeline[-1] == {"at": T0 + timedelta(minutes=30), "actor": "tech@example.edu",
                            "what": f"#{child.pk} reported as part of the outage"}


# --- Due dates and the staff list ----------------------------------------------------------------------


def test_a_review_is_due_five_days_after_resolution_and_overdue_until_submitted(api, resolved_outage,
                                                                              incident_manager):
    due = T0 + timedelta(hours=1, days=5)

    assert reviews.review_due_at(resolved_outage) == due
    assert reviews.review_overdue(resolved_outage, due) is False
    assert reviews.review_overdue(resolved_outage, due + timedelta(seconds=1)) is True
    api(incident_manager).put(review_url(resolved_outage), SECTIONS, format="json")
    assert reviews.review_overdue(resolved_outage, due + timedelta(seconds=1)) is True  # a draft is not enough
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        shown = api(incident_manager).get(review_url(resolved_outage)).json()
    assert (datetime.fromisoformat(shown["due_at"]), shown["overdue"]) == (due, True)
    api(incident_manager).post(review_url(resolved_outage, "submit/"))
    assert reviews.review_overdue(resolved_outage, due + timedelta(days=30)) is False


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'id="{heading_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_staff_list_shows_published_reviews_and_those_overdue(api, client, incident_manager, publisher,
                                                                  technician, email_service):
    with time_machine.travel(T0, tick=False):
        published = raise_outage(incident_manager, email_service, title="Wi-Fi down in the Library")
        missing = raise_outage(incident_manager, email_service, title="VPN refuses logins",
                               incident_manager=incident_manager)
        drafted = raise_outage(incident_manager, email_service, title="Canvas is slow")
        still_open = raise_outage(incident_manager, email_service, title="Printing queue stuck")
        for outage in (published, missing, drafted):
            resolve(outage, incident_manager)
        write_and_submit(api, incident_manager, published)
        api(publisher).post(review_url(published, "publish/"))
        api(incident_manager).patch(review_url(drafted), {"root_cause": "Cache node down."}, format="json")
    client.force_login(technician)

    with time_machine.travel(T0 + timedelta(days=4), tick=False):
        early = client.get("/outages/reviews/")
    with time_machine.travel(T0 + timedelta(days=5, minutes=1), tick=False):
        late = client.get("/outages/reviews/")

    assert early.status_code == 200
    assert "No review is overdue." in _section(early.content.decode(), "overdue-heading")
    assert late.status_code == 200
    html = late.content.decode()
    overdue = _section(html, "overdue-heading")
    assert [row["ticket"].title for row in late.context["overdue"]] == ["VPN refuses logins", "Canvas is slow"]
    assert "VPN refuses logins" in overdue and "Canvas is slow" in overdue
    assert overdue.count('<span class="breached">overdue</span>') == 2
    assert "not started" in overdue and "draft" in overdue
    assert "Wi-Fi down in the Library" not in overdue and still_open.ticket.title not in html
    listed = _section(html, "published-heading")
    assert "Wi-Fi down in the Library" in listed and "Email" in listed and "Mon 2 Mar 2026" in listed
    assert f'href="/api/v1/outages/{published.pk}/review/markdown/"' in listed
    assert api(technician).get(f"/api/v1/outages/{published.pk}/review/markdown/").status_code == 200


def test_customers_get_403_on_the_list_page_and_the_review_api(api, client, customer, resolved_outage,
                                                               incident_manager):
    api(incident_manager).put(review_url(resolved_outage), SECTIONS, format="json")
    client.force_login(customer)

    assert client.get("/outages/reviews/").status_code == 403
    for response in (
        api(customer).get("/api/v1/reviews/"),
        api(customer).get(review_url(resolved_outage)),
        api(customer).put(review_url(resolved_outage), SECTIONS, format="json"),
        api(customer).post(review_url(resolved_outage, "submit/")),
        api(customer).get(review_url(resolved_outage, "markdown/")),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert AfterActionReview.objects.get().state == "draft"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/outages/reviews/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_rfc_and_review_endpoints_are_documented_without_warnings(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))

    text = path.read_text()
    for route in ("/api/v1/outages/{outage_id}/changes/{id}/approve/", "/api/v1/outages/{outage_id}/review/submit/",
                  "/api/v1/outages/{outage_id}/review/markdown/", "/api/v1/reviews/"):
        assert f"  {route}:" in text
