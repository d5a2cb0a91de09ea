"""What every page shares: signing in and out, password reset by e-mail, the error pattern, static files."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from sla.matrix import Impact, Urgency
from sla.questions import CanYouWork, WhoIsAffected, impact_and_urgency

pytestmark = pytest.mark.django_db


def test_a_failed_sign_in_follows_the_error_pattern_and_keeps_the_username(client, customer):
    response = client.post("/accounts/login/", {"username": customer.username, "password": "wrong"})
    html = response.content.decode()

    assert response.status_code == 200
    assert re.search(r"<title>Error: Sign in", html)
    assert "There is a problem" in html and "data-error-summary" in html
    assert f'value="{customer.username}"' in html
    assert "*" not in re.sub(r"<(script|style)[\s\S]*?</\1>", "", html.split("<main", 1)[1])


def test_a_blank_sign_in_names_each_missing_field_in_the_summary_and_in_place(client, db):
    html = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()

    for field in ("username", "password"):
        assert f'<a href="#id_{field}">This field is required.</a>' in html
        assert f'id="id_{field}_error"' in html
        assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="id_{field}"|<input[^>]*id="id_{field}"[^>]*'
                         rf'aria-invalid="true"', html)


def test_signing_in_and_out(client, customer):
    signed_in = client.post("/accounts/login/", {"username": customer.username, "password": "pw-for-tests-only"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"

    signed_out = client.post("/accounts/logout/")

    assert signed_out.status_code == 302
    assert client.get("/portal/").status_code == 302  # back to the sign-in page


def test_password_reset_by_email_lets_the_person_choose_a_new_password(client, customer):
    asked = client.post("/accounts/password_reset/", {"email": customer.email.upper()})
    assert asked.status_code == 302
    assert "Check your e-mail" in client.get(asked["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert message.subject == "Reset your IT Service Desk password"
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": "a-long-new-passphrase-2026", "new_password2": "a-long-new-passphrase-2026"})
    assert done.status_code == 302

    customer.refresh_from_db()
    assert customer.check_password("a-long-new-passphrase-2026")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    asked = client.post("/accounts/password_reset/", {"email": "nobody@example.edu"})

    assert asked.status_code == 302
    assert mail.outbox == []


def test_a_missing_page_is_explained_in_words(client, customer):
    client.force_login(customer)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(("who", "work", "expected"), [
    ("only_me", "cannot_work", (Impact.INDIVIDUAL, Urgency.STOPPED_NO_WORKAROUND)),
    ("several_people", "workaround", (Impact.DEPARTMENT, Urgency.STOPPED_WORKAROUND)),
    ("department_or_building", "slowly", (Impact.BUILDING, Urgency.IMPAIRED)),
    ("several_departments", "inconvenience", (Impact.MULTIPLE_DEPARTMENTS, Urgency.NOT_IMPAIRED)),
    ("everyone", "cannot_work", (Impact.UNIVERSITY, Urgency.STOPPED_NO_WORKAROUND)),
    ("not_sure", "not_sure", (Impact.INDIVIDUAL, Urgency.IMPAIRED)),
])
def test_plain_answers_map_onto_the_matrix(who, work, expected):
    assert impact_and_urgency(who, work) == expected


def test_every_plain_question_offers_i_am_not_sure():
    assert "I'm not sure" in WhoIsAffected.labels and "I'm not sure" in CanYouWork.labels
    with pytest.raises(ValueError):
        impact_and_urgency("most people", "cannot_work")


def test_production_static_files_are_linked_by_their_hashed_names(client, tmp_path, customer):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                  "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}},
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        client.force_login(customer)
        html = client.get("/portal/").content.decode()

    css = re.search(r'href="(/static/itsm/itsm\.[0-9a-f]{12}\.css)"', html)
    assert css, "the stylesheet is linked by its hashed name"
    assert (tmp_path / "itsm" / css.group(1).rsplit("/", 1)[1]).exists()
    assert re.search(r'src="/static/django_htmx/htmx-2\.min\.[0-9a-f]{12}\.js"', html), "htmx, hashed"
