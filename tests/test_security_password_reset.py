"""The password reset form: at most 3 mails an account and 10 requests an address per hour, silently."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache

from itsm.security import over_limit

pytestmark = pytest.mark.django_db

URL = "/accounts/password_reset/"
DONE = "/accounts/password_reset/done/"
START = datetime(2026, 3, 2, 17, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_counters():
    # The counters live in the configured cache (a folder or Redis), which outlives a test.
    cache.clear()
    yield
    cache.clear()


def _ask(client, email: str, *, address: str = "198.51.100.7"):
    return client.post(URL, {"email": email}, REMOTE_ADDR=address)


def test_one_account_gets_at_most_three_mails_an_hour_whatever_the_address(client, customer):
    with time_machine.travel(START, tick=False):
        answers = [_ask(client, customer.email, address=f"203.0.113.{n}") for n in range(5)]

    assert [(a.status_code, a["Location"]) for a in answers] == [(302, DONE)] * 5
    assert [m.to for m in mail.outbox] == [[customer.email]] * 3


def test_the_account_limit_ignores_the_case_of_the_address(client, customer):
    with time_machine.travel(START, tick=False):
        for email in (customer.email, customer.email.upper(), customer.email.title(), customer.email.upper()):
            _ask(client, email, address="203.0.113.1")

    assert len(mail.outbox) == 3


def test_one_client_address_gets_at_most_ten_requests_an_hour(client, make_user):
    people = [make_user(f"person{n}") for n in range(12)]

    with time_machine.travel(START, tick=False):
        answers = [_ask(client, person.email) for person in people]

    assert [(a.status_code, a["Location"]) for a in answers] == [(302, DONE)] * 12
    assert [m.to for m in mail.outbox] == [[person.email] for person in people[:10]]


def test_a_refused_request_looks_like_one_for_an_address_no_account_uses(client, customer):
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            _ask(client, customer.email)
        refused = _ask(client, customer.email)
        unknown = _ask(client, "nobody@example.edu")
        done_page = client.get(DONE)

    assert (refused.status_code, refused["Location"]) == (unknown.status_code, unknown["Location"]) == (302, DONE)
    assert "If that address belongs to an account" in done_page.content.decode()
    assert len(mail.outbox) == 3


def test_the_limits_start_afresh_in_the_next_hour(client, customer):
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            _ask(client, customer.email)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        _ask(client, customer.email)

    assert len(mail.outbox) == 4


def test_the_limits_are_settings(client, customer, settings):
    settings.PASSWORD_RESET_ACCOUNT_LIMIT = 1

    with time_machine.travel(START, tick=False):
        _ask(client, customer.email)
        _ask(client, customer.email)

    assert len(mail.outbox) == 1


def test_a_refusal_is_logged_with_the_address(client, customer, caplog):
    caplog.set_level(logging.WARNING, logger="itsm.security")

    with time_machine.travel(START, tick=False):
        for _ in range(4):
            _ask(client, customer.email)

    assert [r.getMessage() for r in caplog.records if r.name == "itsm.security"] == [
        f"Password reset refused: more than 3 requests for '{customer.email}' within an hour (from 198.51.100.7)",
    ]


def test_the_counter_counts_each_hit_within_a_window_and_starts_again_after_it():
    with time_machine.travel(datetime(2026, 3, 2, 17, 0, 1, tzinfo=UTC), tick=False):
        first = [over_limit("test", "key", limit=2, window=60) for _ in range(3)]
    with time_machine.travel(datetime(2026, 3, 2, 17, 1, 0, tzinfo=UTC), tick=False):
        second = over_limit("test", "key", limit=2, window=60)
        other_key = over_limit("test", "other", limit=0, window=60)

    assert first == [False, False, True]
    assert second is False
    assert other_key is True
