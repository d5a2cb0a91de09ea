"""The Content-Security-Policy header, and the API docs served from our own static files."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tickets.models import ApiToken

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Markup the policy refuses, or that htmx evaluates as a string (eval, which the policy refuses too).
REFUSED_MARKUP = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
    "inline <style>": re.compile(r"<style[\s>]"),
    "style attribute": re.compile(r"\sstyle=[\"']"),
    "event handler attribute": re.compile(r"\son[a-z]+=[\"']"),
    "javascript: URL": re.compile(r"(href|src|action)=[\"']\s*javascript:", re.IGNORECASE),
}
EVALUATED_BY_HTMX = {
    "hx-on": re.compile(r"hx-on[:-]"),
    "js: values": re.compile(r"hx-(vals|vars)[\"']?\s*[=:]\s*[\"']\s*js:"),
    "trigger filter": re.compile(r"hx-trigger[\"']?\s*[=:]\s*[\"'][^\"']*\["),
}


def _policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def test_a_page_an_api_answer_an_error_page_and_the_admin_carry_the_policy(client, api, customer, admin_user):
    _, key = ApiToken.issue(user=customer, name="script")
    page = client.get("/accounts/login/")
    api_answer = api().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}")
    missing = client.get("/no-such-page/")
    client.force_login(admin_user)
    admin_page = client.get("/admin/tickets/ticket/")

    assert [page.status_code, api_answer.status_code, missing.status_code, admin_page.status_code] == [
        200, 200, 404, 200]
    assert _policy(page) == _policy(api_answer) == _policy(missing) == _policy(admin_page) == POLICY


def test_the_lockout_page_carries_the_policy(client, customer):
    for _ in range(5):
        locked = client.post("/accounts/login/", {"username": customer.username, "password": "wrong"})

    assert locked.status_code == 429
    assert _policy(locked) == POLICY


def test_swagger_ui_and_redoc_load_scripts_and_styles_only_from_our_origin(client):
    swagger = client.get("/api/docs/")
    redoc = client.get("/api/redoc/")
    init_script = client.get("/api/docs/?script=")

    assert (swagger.status_code, redoc.status_code, init_script.status_code) == (200, 200, 200)
    for response in (swagger, redoc):
        html = response.content.decode()
        urls = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", html)
        assert urls and [url for url in urls if re.match(r"(https?:)?//", url)] == []
        assert [name for name, pattern in REFUSED_MARKUP.items() if pattern.search(html)] == []
    swagger_urls = re.findall(r"\b(?:src|href)=\"([^\"]+)\"", swagger.content.decode())
    assert swagger_urls == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/itsm/api-docs.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/api/docs/?script=",
    ]
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc.content.decode()
    assert init_script["Content-Type"] == "application/javascript"
    assert 'url: "/api/schema/",' in init_script.content.decode()


def test_swagger_ui_runs_under_the_site_policy_and_redoc_alone_widens_it(client):
    swagger = _policy(client.get("/api/docs/"))
    redoc = _policy(client.get("/api/redoc/"))

    assert swagger == POLICY
    assert redoc == {**POLICY, "style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["blob:"]}


def test_no_template_writes_what_the_policy_refuses():
    templates = [path for path in (ROOT / "templates").rglob("*.html") if "email" not in path.parts]
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in templates
        for name, pattern in REFUSED_MARKUP.items()
        if pattern.search(path.read_text())
    ]

    assert len(templates) > 50
    assert found == []


def test_no_page_asks_htmx_to_evaluate_a_string():
    sources = [
        path
        for folder in ("templates", "tickets", "outages", "sla", "itsm")
        for pattern in ("*.html", "*.py")
        for path in (ROOT / folder).rglob(pattern)
    ]
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources
        for name, pattern in EVALUATED_BY_HTMX.items()
        if pattern.search(path.read_text())
    ]

    assert found == []
