"""Sign-in lockout (django-axes): a username + client address is locked after five wrong passwords."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from itsm.security import client_ip
from tickets.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
ADDRESS = "198.51.100.7"
NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 12:00 in the site's time zone (America/New_York)


def _sign_in(client, username: str, password: str, *, url: str = "/accounts/login/", address: str = ADDRESS,
             **headers):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def _fail(client, username: str, times: int, **kwargs) -> list[int]:
    return [_sign_in(client, username, "wrong-password", **kwargs).status_code for _ in range(times)]


def test_the_fifth_wrong_password_locks_and_then_the_right_one_is_refused(client, customer):
    statuses = _fail(client, customer.username, 5)

    right = _sign_in(client, customer.username, PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_locked_page_says_when_to_try_again_in_plain_words(client, customer):
    with time_machine.travel(NOON, tick=False):
        _fail(client, customer.username, 4)
        locked = _sign_in(client, customer.username, "wrong-password")

    html = locked.content.decode()
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "registration/locked_out.html" in [template.name for template in locked.templates]
    assert "Sign-in paused" in html
    assert f"too many wrong passwords for <strong>{customer.username}</strong> from this device" in html
    assert '<time datetime="2026-03-02T12:15:00-05:00">12:15</time>' in html
    assert "in about 15 minutes" in html


def test_attempts_while_locked_do_not_move_the_time_to_try_again(client, customer):
    with time_machine.travel(NOON, tick=False):
        _fail(client, customer.username, 5)
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        again = _sign_in(client, customer.username, PASSWORD)

    assert again.status_code == 429
    assert again["Retry-After"] == "300"
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_the_lock_lifts_when_the_cool_off_has_passed(client, customer):
    with time_machine.travel(NOON, tick=False):
        _fail(client, customer.username, 5)
    with time_machine.travel(NOON + timedelta(minutes=15, seconds=1), tick=False):
        later = _sign_in(client, customer.username, PASSWORD)
        signed_in_as = client.session.get("_auth_user_id")  # the session expires in the machine's real time

    assert later.status_code == 302
    assert signed_in_as == str(customer.pk)


def test_a_good_password_before_the_limit_starts_the_count_afresh(client, customer):
    _fail(client, customer.username, 4)
    assert _sign_in(client, customer.username, PASSWORD).status_code == 302
    client.logout()

    statuses = _fail(client, customer.username, 4)

    assert statuses == [200, 200, 200, 200]
    assert AccessAttempt.objects.get().failures_since_start == 4


def test_the_lock_holds_one_username_from_one_address(client, customer, other_customer):
    _fail(client, customer.username, 5)

    elsewhere = _sign_in(client, customer.username, PASSWORD, address="203.0.113.20")
    client.logout()
    someone_else = _sign_in(client, other_customer.username, PASSWORD)

    assert elsewhere.status_code == 302
    assert someone_else.status_code == 302


def test_the_admin_sign_in_is_locked_too(client, admin_user):
    statuses = _fail(client, admin_user.username, 5, url="/admin/login/")

    right = _sign_in(client, admin_user.username, PASSWORD, url="/admin/login/")

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert "Sign-in paused" in right.content.decode()


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, customer):
    statuses = [
        _sign_in(client, customer.username, "wrong-password", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(5)
    ]

    right = _sign_in(client, customer.username, PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.99")

    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ADDRESS]


def test_without_proxies_the_client_address_is_the_connection_s(settings):
    settings.NUM_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert client_ip(request) == ADDRESS


def test_behind_one_proxy_the_client_address_is_the_one_the_proxy_appended(settings):
    settings.NUM_PROXIES = 1
    factory = RequestFactory()
    forged_then_real = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    not_an_address = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, nonsense")
    no_header = factory.get("/", REMOTE_ADDR="10.0.0.2")

    assert client_ip(forged_then_real) == "198.51.100.7"
    assert client_ip(not_an_address) == "10.0.0.2"
    assert client_ip(no_header) == "10.0.0.2"


def test_behind_two_proxies_the_entry_the_outer_proxy_wrote_counts(settings):
    settings.NUM_PROXIES = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.3",
                                   HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7, 10.0.0.2")

    assert client_ip(request) == "198.51.100.7"


def test_the_lockout_is_logged_with_username_and_address_and_never_the_password(client, customer, caplog):
    caplog.set_level(logging.DEBUG)

    _fail(client, customer.username, 5)

    lockouts = [r for r in caplog.records if r.name == "itsm.security" and r.levelno == logging.WARNING]
    assert len(lockouts) == 1
    assert lockouts[0].getMessage().startswith(
        f"Sign-in locked out: username '{customer.username}' from {ADDRESS} after 5 failures, until ")
    assert "wrong-password" not in caplog.text


def test_an_administrator_sees_the_lock_in_the_admin_and_lifts_it(client, customer, admin_user):
    _fail(client, customer.username, 5)
    attempt = AccessAttempt.objects.get()
    client.force_login(admin_user)

    listed = client.get(reverse("admin:axes_accessattempt_changelist"), {"locked_out": "yes"})
    deleted = client.post(reverse("admin:axes_accessattempt_changelist"),
                          {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
    client.logout()
    again = _sign_in(client, customer.username, PASSWORD)

    assert listed.status_code == 200
    assert customer.username in listed.content.decode() and ADDRESS in listed.content.decode()
    assert deleted.status_code == 302
    assert AccessAttempt.objects.count() == 0
    assert again.status_code == 302


def test_api_tokens_keep_working_for_a_locked_out_username(client, api, customer):
    _, key = ApiToken.issue(user=customer, name="script")
    _fail(client, customer.username, 5)

    me = api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR=ADDRESS)

    assert me.status_code == 200
    assert me.json()["username"] == customer.username


def test_force_login_is_untouched_by_the_lockout(client, customer):
    _fail(client, customer.username, 5)

    client.force_login(customer)

    assert client.get("/portal/").status_code == 200
