"""One outage from the first alert to the published After-Action Review, through the API, with every message.

The walk follows DOMAIN.md's outage and problem management: alerts and customer reports arrive,
a dispatcher promotes an incident, the service owner names the incident manager, children are
linked in bulk, a 30-minute plan runs (one update late, so its reminder goes out), a community
message waits for approval, an emergency change fixes it, the outage becomes a problem with a
workaround, the all-clear goes to everyone told, children are resolved and closed, the outage
closes, and the review is published.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from outages.models import Outage, Update
from outages.services import updates_due_remind
from tickets import services as tickets
from tickets.lifecycle import Status
from tickets.models import AuditEvent, Ticket
from tickets.notifications.models import Notification

START = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def perm(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def cast(make_user, email_service, service_desk, dispatcher, technician, incident_manager):
    owner = make_user("owner", staff=True)
    email_service.owner = owner
    email_service.save()
    comms = make_user("comms", staff=True)
    comms.user_permissions.add(perm("outages", "approve_community_update"))
    cab = make_user("cab", staff=True)
    cab.user_permissions.add(perm("outages", "approve_change"), perm("outages", "publish_review"))
    customers = [make_user(f"student{i}") for i in range(4)]
    return {"owner": owner, "comms": comms, "cab": cab, "customers": customers, "dispatcher": dispatcher,
            "technician": technician, "im": incident_manager, "service": email_service}


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def sent(**filters) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("id"))


def local(instant) -> str:
    return timezone.localtime(instant).strftime("%a %d %b %Y %H:%M %Z")


def test_an_outage_from_first_report_to_published_review(cast, make_integration):
    im, owner, comms, cab = cast["im"], cast["owner"], cast["comms"], cast["cab"]
    students, service = cast["customers"], cast["service"]
    with time_machine.travel(START, tick=False) as clock:
        # --- Alerts and customer incidents ----------------------------------------------------------
        monitor = make_integration("alertmanager", service=service)
        alert = {"version": "4", "status": "firing", "groupKey": "{}:{alertname=\"SMTPDown\"}", "receiver": "itsm",
                 "alerts": [{"status": "firing", "labels": {"alertname": "SMTPDown", "severity": "critical"},
                             "annotations": {"summary": "Outbound mail relay down"}, "fingerprint": "a1"}]}
        alert_ticket = APIClient().post("/api/v1/integrations/alertmanager/", data=json.dumps(alert),
                                        content_type="application/json",
                                        HTTP_AUTHORIZATION=f"Bearer {monitor.issued.token}").json()["ticket"]
        reports = [tickets.ticket_create(actor=student, title="Cannot send e-mail", impact="individual",
                                         urgency="stopped_no_workaround", service=service) for student in students]

        # --- Promotion: the dispatcher raises the outage from the first report ------------------------
        response = as_user(cast["dispatcher"]).post("/api/v1/outages/promote/", {
            "ticket": reports[0].pk, "title": "E-mail cannot be sent campus-wide"}, format="json")
        assert response.status_code == 201, response.content
        outage_id = response.json()["id"]
        url = f"/api/v1/outages/{outage_id}/"
        assert [child["id"] for child in response.json()["children"]] == [reports[0].pk]

        # Only the service owner names the incident manager; a customer can never be one.
        assert as_user(im).post(url + "incident-manager/", {"user": im.pk}, format="json").status_code == 403
        refused = as_user(owner).post(url + "incident-manager/", {"user": students[0].pk}, format="json")
        assert refused.status_code == 400 and "incident_manager" in refused.json()["errors"]
        assert as_user(owner).post(url + "incident-manager/", {"user": im.pk}, format="json").status_code == 200
        assert Ticket.objects.get(pk=outage_id).assignee == im
        as_user(im).post(url + "responders/", {"users": [cast["technician"].pk]}, format="json")

        # --- Children in bulk: the other reports and the alert's ticket --------------------------------
        linked = as_user(im).post(url + "children/", {"tickets": [r.pk for r in reports[1:]] + [alert_ticket]},
                                  format="json")
        assert linked.status_code == 200 and len(linked.json()) == 4
        known = sent(kind="outage_known")
        assert sorted(n.to[0] for n in known) == sorted(s.email for s in students)  # one each, not the monitor
        assert all(f"#{outage_id}" in n.body_text for n in known)
        detail = as_user(im).get(url).json()
        assert {u["id"] for u in detail["affected_users"]} >= {s.pk for s in students}

        # --- Plan: every 30 minutes to the ticket, ITS Alerts and USDC-L -------------------------------
        plan = as_user(im).put(url + "plan/", {"audiences": ["ticket", "its-alerts", "usdc-l"],
                                               "cadence_minutes": 30}, format="json")
        assert plan.status_code == 200
        assert datetime.fromisoformat(plan.json()["next_update_due_at"]) == START + timedelta(minutes=30)

        clock.move_to(START + timedelta(minutes=10))
        first = as_user(im).post(url + "updates/", {"text": "The mail relay is down; engineers are on it."},
                                 format="json")
        assert first.status_code == 201
        first_next = START + timedelta(minutes=40)
        first_mail = sent(kind="outage_update")
        # "The ticket" audience: the outage's own requester (who raised it) and every affected user.
        assert sorted(set().union(*[n.to for n in first_mail])) == sorted(
            [s.email for s in students] + [cast["dispatcher"].email, "its-alerts@example.edu", "usdc-l@example.edu"])
        assert all(f"The next update will come by {local(first_next)}" in n.body_text for n in first_mail)

        # The second update is late: at 14:41 the incident manager is reminded, once.
        clock.move_to(START + timedelta(minutes=41))
        assert updates_due_remind() == 1 and updates_due_remind() == 0
        reminder = sent(kind="update_due")
        assert [n.to for n in reminder] == [[im.email]]
        assert as_user(im).get(url).json()["update_overdue"] is True

        clock.move_to(START + timedelta(minutes=45))
        before = Notification.objects.order_by("-id").values_list("id", flat=True).first()
        second = as_user(im).post(url + "updates/", {"text": "A fix is being prepared.",
                                                     "audiences": ["ticket", "its-alerts", "usdc-l", "community"]},
                                  format="json").json()
        assert second["community_state"] == "held"
        second_mail = list(Notification.objects.filter(id__gt=before, kind="outage_update"))
        assert "community@example.edu" not in set().union(*[n.to for n in second_mail])
        assert all(local(START + timedelta(minutes=75)) in n.body_text for n in second_mail)
        assert sent(kind="approval_needed")[0].to == [comms.email]
        assert as_user(im).get(url).json()["update_overdue"] is False

        # A community send needs approval by Communications; the incident manager cannot approve it.
        assert as_user(im).post(f"/api/v1/outage-updates/{second['id']}/approve/").status_code == 403
        assert as_user(comms).post(f"/api/v1/outage-updates/{second['id']}/approve/").status_code == 200
        community = sent(kind="outage_update", distribution_list__slug="community")
        assert [n.to for n in community] == [["community@example.edu"]]
        assert local(START + timedelta(minutes=75)) in community[0].body_text

        # --- An emergency change -----------------------------------------------------------------------
        rfc = as_user(im).post(url + "changes/", {
            "title": "Fail over to the standby relay", "reason": "The primary relay's disk failed.",
            "implementation_plan": "Point MX to relay02.", "backout_plan": "Point MX back to relay01.",
            "risk": "medium", "emergency": True}, format="json")
        assert rfc.status_code == 201, rfc.content
        assert as_user(cab).post(url + f"changes/{rfc.json()['id']}/approve/").status_code == 200

        # --- Problem with a workaround -----------------------------------------------------------------
        clock.move_to(START + timedelta(minutes=60))
        assert as_user(im).post(url + "reclassify/", {"classification": "problem"}, format="json").status_code == 200
        workaround = as_user(im).post(url + "workaround/", {"text": "Send through webmail until the fix is in."},
                                      format="json")
        assert workaround.status_code == 201
        work_mail = sent(kind="outage_workaround")
        assert set().union(*[n.to for n in work_mail]) >= {s.email for s in students}
        assert all("The next update will come by" in n.body_text for n in work_mail)

        # --- Resolution with the all-clear ---------------------------------------------------------------
        clock.move_to(START + timedelta(minutes=90))
        resolved = as_user(im).post(url + "resolve/", {"all_clear": "A failed disk stopped the mail relay; "
                                                                    "mail now flows through a new one."},
                                    format="json")
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
        # The community was told, so it gets the all-clear too, once Communications approves that message.
        held = as_user(comms).get("/api/v1/outage-updates/held/").json()
        assert [(u["kind"], u["community_state"]) for u in held] == [("all_clear", "held")]
        assert as_user(comms).post(f"/api/v1/outage-updates/{held[0]['id']}/approve/").status_code == 200
        all_clear = sent(kind="outage_all_clear")
        assert set().union(*[n.to for n in all_clear]) == {s.email for s in students} | {
            cast["dispatcher"].email, "its-alerts@example.edu", "usdc-l@example.edu", "community@example.edu"}
        assert all("This is the last update" in n.body_text for n in all_clear)
        children = Ticket.objects.filter(parent_id=outage_id)
        assert set(children.values_list("status", flat=True)) == {Status.RESOLVED}
        assert {n.to[0] for n in sent(kind="resolved", ticket__in=children)} == {s.email for s in students}

        # Closing is refused while children are open, then (a problem) until its permanent fix is recorded.
        refused = as_user(im).post(url + "close/")
        assert refused.status_code == 409
        assert all(f"#{child.pk}" in refused.json()["detail"] for child in children)
        for child in children:
            tickets.ticket_transition(ticket_id=child.pk, actor=cast["technician"], to_status=Status.CLOSED)
        assert as_user(im).post(url + "close/").status_code == 409
        as_user(im).post(url + "permanent-fix/", {"text": "Relays now mirror their spool disks."}, format="json")
        assert as_user(im).post(url + "close/").status_code == 200

        # --- After-Action Review -------------------------------------------------------------------------
        review = {"initial_symptoms": "Mail stuck in outboxes.", "root_cause": "Spool disk failure.",
                  "prevention": "Mirrored spool disks.", "resolution": "Failed over to relay02.",
                  "teams_involved": "Messaging, Data Center", "customer_effect": "No outbound mail for 90 minutes.",
                  "systems_affected": "SMTP relays, Exchange"}
        assert as_user(im).put(url + "review/", review, format="json").status_code in (200, 201)
        assert as_user(im).post(url + "review/submit/").status_code == 200
        assert as_user(cab).post(url + "review/publish/").status_code == 200
        assert Outage.objects.get(ticket_id=outage_id).review.state == "published"

    # Every step is on the outage's timeline with its actor.
    steps = list(AuditEvent.objects.filter(ticket_id=outage_id, action="outage").values_list("field", "actor"))
    for step in ("raised", "promoted", "incident_manager", "children_linked", "plan", "update", "update_due",
                 "community_approval", "workaround", "all_clear", "permanent_fix"):
        assert step in {field for field, _ in steps}, step
    assert Update.objects.filter(outage__ticket_id=outage_id).count() == 4
