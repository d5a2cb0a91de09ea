"""Idempotency-Key on the creating POSTs: a retry gets the first answer and creates nothing; another body under the
same key is a 422; a malformed key is a 400; refusals are not kept; keys are the caller's own and last 24 hours."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import encode_multipart
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from outages import services as outage_services
from outages.models import ChangeRequest, Outage, Update
from tickets import services
from tickets.idempotency import idempotency_keys_expire
from tickets.intake.models import Integration
from tickets.models import Attachment, ConversationEntry, IdempotencyKey, Ticket
from tickets.tasks import expire_idempotency_keys_task

T = "/api/v1/tickets/"
REPORT = {"title": "Projector in room 101 is dark", "impact": "individual", "urgency": "impaired"}
KEY = "3f1c7a52-8a0e-4c1e-9a43-6f0e0d7a2b19"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client: APIClient, path: str = T, body: dict | None = None, key: str | None = KEY, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, REPORT if body is None else body, format="json", **headers, **extra)


# --- Tickets -------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing(customer):
    client = as_user(customer)

    first = post(client)
    retry = post(client)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.content == first.content
    assert retry["ETag"] == first["ETag"] == '"v1"'
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert list(Ticket.objects.values_list("pk", flat=True)) == [first.json()["id"]]


def test_without_the_header_each_post_creates(customer):
    client = as_user(customer)

    post(client, key=None)
    post(client, key=None)

    assert Ticket.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_is_a_422(customer):
    client = as_user(customer)
    first = post(client)

    other = post(client, body={**REPORT, "title": "Projector in room 102 is dark"})

    assert other.status_code == 422
    assert other.json() == {
        "detail": "This Idempotency-Key was used for another request (POST /api/v1/tickets/ with another body) in "
                  "the last 24 hours; use a new key for a new request.",
        "code": "idempotency_key_reused",
    }
    assert list(Ticket.objects.values_list("pk", flat=True)) == [first.json()["id"]]


def test_the_same_key_on_another_endpoint_is_a_422(customer):
    client = as_user(customer)
    ticket = post(client).json()

    reply = post(client, f"{T}{ticket['id']}/entries/", {"body": "Still dark."})

    assert (reply.status_code, reply.json()["code"]) == (422, "idempotency_key_reused")
    assert not ConversationEntry.objects.exists()


def test_keys_belong_to_their_caller(customer, other_customer):
    first = post(as_user(customer))
    second = post(as_user(other_customer))

    assert first.status_code == second.status_code == 201
    assert not second.has_header("Idempotent-Replayed")
    assert sorted(Ticket.objects.values_list("requester__username", flat=True)) == ["alice", "bob"]


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "tab\there", "caf\u00e9"])
def test_a_malformed_key_is_a_400_and_nothing_is_created(customer, key):
    response = as_user(customer).post(T, REPORT, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "errors": {"Idempotency-Key": [
        "Send 1 to 255 visible ASCII characters (letters, digits, punctuation; no spaces)."]}}
    assert not Ticket.objects.exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["!", "~" * 255, "order-2026-11-26/42:retry#1"])
def test_any_visible_ascii_key_of_1_to_255_characters_is_taken(customer, key):
    assert post(as_user(customer), key=key).status_code == 201


def test_a_refused_request_is_not_kept_so_a_corrected_retry_runs(customer):
    client = as_user(customer)

    invalid = post(client, body={"impact": "individual", "urgency": "impaired"})
    corrected = post(client)
    retried = post(client)

    assert invalid.status_code == 400
    assert corrected.status_code == 201 and not corrected.has_header("Idempotent-Replayed")
    assert retried.status_code == 201 and retried["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_a_forbidden_request_is_not_kept(customer, technician):
    client = as_user(customer)

    refused = post(client, body={**REPORT, "assignee": technician.pk})
    allowed = post(client)

    assert (refused.status_code, allowed.status_code) == (403, 201)
    assert Ticket.objects.count() == 1


def test_a_key_is_remembered_for_24_hours(customer):
    client = as_user(customer)
    post(client)

    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert post(client)["Idempotent-Replayed"] == "true"
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        after = post(client)

    assert after.status_code == 201 and not after.has_header("Idempotent-Replayed")
    assert Ticket.objects.count() == 2


def test_expired_keys_are_deleted_by_the_beat_task_and_a_second_run_deletes_nothing(customer, other_customer):
    post(as_user(customer))
    with time_machine.travel(timezone.now() + timedelta(hours=12)):
        post(as_user(other_customer))

    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        assert expire_idempotency_keys_task.apply().get() == 1
        assert idempotency_keys_expire() == 0

    assert list(IdempotencyKey.objects.values_list("user__username", flat=True)) == ["bob"]


def test_expiry_deletes_in_batches(customer):
    client = as_user(customer)
    for n in range(5):
        post(client, key=f"key-{n}", body={**REPORT, "title": f"Projector {n}"})

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert idempotency_keys_expire(batch=2) == 5

    assert not IdempotencyKey.objects.exists()


# --- Every creating POST -------------------------------------------------------------------------


@pytest.fixture
def world(admin_user, customer, email_service, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = services.ticket_create(actor=customer, title="Cannot send mail", impact="individual",
                                    urgency="impaired", service=email_service)
    incident = services.ticket_create(actor=customer, title="Mail bounces", impact="individual", urgency="impaired",
                                      service=email_service)
    outage = outage_services.outage_raise(actor=admin_user, title="Mail relay down", impact="department",
                                          urgency="impaired", service=email_service)
    problem = outage_services.outage_raise(actor=admin_user, title="Mail is slow", impact="department",
                                           urgency="impaired", service=email_service, classification="problem")
    return {"ticket": ticket.pk, "incident": incident.pk, "outage": outage.pk, "problem": problem.pk,
            "service": email_service.pk}


RFC = {"title": "Fail over the relay", "reason": "It is down.", "implementation_plan": "Switch DNS.",
       "backout_plan": "Switch back.", "risk": "low"}
CREATING_POSTS = [
    ("/api/v1/tickets/", lambda w: REPORT, Ticket),
    ("/api/v1/tickets/{ticket}/entries/", lambda w: {"body": "Still broken."}, ConversationEntry),
    ("/api/v1/outages/", lambda w: {"title": "Printing down", "impact": "department", "urgency": "impaired",
                                    "service": w["service"]}, Outage),
    ("/api/v1/outages/promote/", lambda w: {"ticket": w["incident"]}, Outage),
    ("/api/v1/outages/{outage}/updates/", lambda w: {"text": "Mail flows again.", "audiences": ["ticket"]}, Update),
    ("/api/v1/outages/{problem}/workaround/", lambda w: {"text": "Use webmail."}, Update),
    ("/api/v1/outages/{outage}/changes/", lambda w: RFC, ChangeRequest),
]


@pytest.mark.parametrize(("path", "body", "model"), CREATING_POSTS, ids=[p for p, _, _ in CREATING_POSTS])
def test_every_creating_post_replays_a_retry(world, admin_user, path, body, model):
    client, url = as_user(admin_user), path.format(**world)
    before = model.objects.count()

    first = post(client, url, body(world))
    retry = post(client, url, body(world))

    assert first.status_code == 201, first.json()
    assert (retry.status_code, retry.content, retry["Idempotent-Replayed"]) == (201, first.content, "true")
    assert model.objects.count() == before + 1


def test_an_upload_retried_with_a_new_multipart_boundary_is_replayed(world, customer):
    client, url = as_user(customer), f"{T}{world['ticket']}/attachments/"

    def upload(boundary: str, content: bytes = b"paper jam\n"):
        data = {"file": SimpleUploadedFile("error.txt", content, content_type="text/plain")}
        return client.generic("POST", url, encode_multipart(boundary, data),
                              content_type=f"multipart/form-data; boundary={boundary}", HTTP_IDEMPOTENCY_KEY=KEY)

    first = upload("FirstAttemptBoundary")
    retry = upload("SecondAttemptBoundary")
    other = upload("ThirdAttemptBoundary", b"toner low\n")

    assert first.status_code == 201, first.json()
    assert (retry.status_code, retry.content, retry["Idempotent-Replayed"]) == (201, first.content, "true")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Attachment.objects.count() == 1


def test_an_integration_replay_never_repeats_its_one_time_secrets(admin_user, email_service):
    client = as_user(admin_user)
    body = {"name": "PagerDuty", "kind": "pagerduty", "service": email_service.pk}

    first = post(client, "/api/v1/integrations/", body)
    retry = post(client, "/api/v1/integrations/", body)

    assert first.status_code == retry.status_code == 201
    assert first.json()["token"] and len(first.json()["routing_key"]) == 32
    assert retry.json() == {**first.json(), "token": None, "routing_key": None}
    assert retry["Idempotent-Replayed"] == "true"
    assert Integration.objects.count() == 1
    stored = IdempotencyKey.objects.get().response_body
    assert first.json()["token"] not in stored and first.json()["routing_key"] not in stored


# --- The schema ----------------------------------------------------------------------------------


def test_the_schema_documents_the_header_and_its_answers_on_every_creating_post(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    taking = {(method.upper(), path): operation for path, item in schema["paths"].items()
              for method, operation in item.items() if isinstance(operation, dict)
              and any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation.get("parameters", []))}

    assert sorted(taking) == [
        ("POST", "/api/v1/integrations/"),
        ("POST", "/api/v1/outages/"),
        ("POST", "/api/v1/outages/promote/"),
        ("POST", "/api/v1/outages/{id}/updates/"),
        ("POST", "/api/v1/outages/{id}/workaround/"),
        ("POST", "/api/v1/outages/{outage_id}/changes/"),
        ("POST", "/api/v1/tickets/"),
        ("POST", "/api/v1/tickets/{id}/attachments/"),
        ("POST", "/api/v1/tickets/{id}/entries/"),
    ]
    for operation in taking.values():
        [parameter] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert parameter["schema"] == {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
        assert parameter.get("required", False) is False
        assert "idempotency_in_progress" in operation["responses"]["409"]["description"]
        assert "idempotency_key_reused" in operation["responses"]["422"]["description"]
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
    rfc = taking[("POST", "/api/v1/outages/{outage_id}/changes/")]["responses"]["409"]["description"]
    assert rfc.startswith("`invalid_state`: the outage is closed or cancelled. Or `idempotency_in_progress`")


# --- Concurrency ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs(make_user, monkeypatch):
    """PostgreSQL: the retry does not wait for the first request's row lock and is told it is in progress (409),
    then gets the answer once the first has committed. SQLite runs one write transaction at a time: the retry
    waits for the first to commit and gets its answer."""
    customer = make_user("alice")
    inside, release = threading.Event(), threading.Event()
    real_create = services.ticket_create

    def slow_create(**kwargs):
        inside.set()
        assert release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "ticket_create", slow_create)
    answers: dict[str, object] = {}

    def send(name: str) -> None:
        try:
            answers[name] = post(as_user(customer))
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert inside.wait(10)
    retry = threading.Thread(target=send, args=("retry",))
    retry.start()
    if connection.vendor == "postgresql":
        retry.join(10)
        assert answers["retry"].status_code == 409
        assert answers["retry"].json() == {
            "detail": "A request with this Idempotency-Key is still being processed; retry in a moment.",
            "code": "idempotency_in_progress"}
    release.set()
    first.join(10)
    retry.join(30)
    if connection.vendor == "postgresql":
        answers["retry"] = post(as_user(customer))
    assert answers["first"].status_code == 201 and not answers["first"].has_header("Idempotent-Replayed")
    assert (answers["retry"].status_code, answers["retry"]["Idempotent-Replayed"]) == (201, "true")
    assert answers["retry"].content == answers["first"].content
    assert Ticket.objects.count() == 1


RACERS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_key_create_exactly_one_ticket(make_user):
    """Eight copies of one request released together, five rounds: one ticket a round. On PostgreSQL the unique
    constraint lets one claim the key and the row lock turns the copies that arrive while it works into 409s
    (those after it get its answer); on SQLite the writers run one after another, so every copy gets the answer."""
    customer = make_user("alice")
    for round_number in range(5):
        barrier = threading.Barrier(RACERS)
        answers: list = []

        def send(barrier=barrier, answers=answers, round_number=round_number):
            client = as_user(customer)
            try:
                barrier.wait()
                answers.append(post(client, key=f"round-{round_number}",
                                    body={**REPORT, "title": f"Projector {round_number}"}))
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        created = [a for a in answers if a.status_code == 201 and not a.has_header("Idempotent-Replayed")]
        replayed = [a for a in answers if a.status_code == 201 and a.has_header("Idempotent-Replayed")]
        busy = [a for a in answers if a.status_code == 409]
        assert len(created) == 1
        assert len(created) + len(replayed) + len(busy) == RACERS
        assert all(a.content == created[0].content for a in replayed)
        if connection.vendor != "postgresql":
            assert busy == []
        assert Ticket.objects.filter(title=f"Projector {round_number}").count() == 1
    assert Ticket.objects.count() == 5
