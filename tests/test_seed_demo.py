"""`manage.py seed_demo` loads the demo once, through the ticket services, and only in development."""

from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from outages.management.commands.seed_demo import DEMO_USERS
from tickets.models import AuditEvent, ConversationEntry, Service, Ticket, User

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = [*apps.get_app_config("tickets").get_models(), *apps.get_app_config("sla").get_models()]
    return {model.__name__: model._default_manager.count() for model in models}


def test_second_run_changes_nothing_and_says_so(settings):
    settings.DEBUG = True
    first = _seed()
    counts = _counts()

    second = _seed()

    assert "Demo data loaded" in first
    assert "demo data already loaded" in second.lower()
    assert _counts() == counts
    assert counts["User"] == len(DEMO_USERS) and counts["Group"] == 4 and counts["Service"] == 4


def test_every_role_can_log_in_with_the_printed_password(settings, client):
    settings.DEBUG = True
    output = _seed()

    for role, username, password, *_ in DEMO_USERS:
        assert f"{role:<18} {username:<18} {password}" in output
        # Through the sign-in form: client.login() calls authenticate() without the request axes needs.
        signed_in = client.post(reverse("login"), {"username": username, "password": password})
        assert signed_in.status_code == 302 and "_auth_user_id" in client.session, role
        client.logout()
    roles = {role: User.objects.get(username=username) for role, username, *_ in DEMO_USERS}
    assert roles["administrator"].is_superuser
    assert roles["incident manager"].has_perm("tickets.act_as_incident_manager")
    assert not roles["technician"].has_perm("tickets.act_as_incident_manager")
    assert not roles["customer"].is_staff and not roles["second customer"].is_staff
    assert roles["dispatcher"].dispatched_groups.filter(slug="service-desk").exists()
    assert roles["technician"].support_groups.count() == 4
    assert Service.objects.filter(owner=roles["service owner"]).count() == 4


def test_tickets_are_made_through_the_services_with_sla_and_audit(settings):
    settings.DEBUG = True
    _seed()

    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == {"new", "in_process", "wait_customer", "wait_vendor", "resolved", "closed", "cancelled"}
    for ticket in Ticket.objects.all():
        assert ticket.priority and ticket.respond_by and ticket.resolve_by, ticket
        assert ticket.audit_events.filter(action=AuditEvent.Action.CREATED).count() == 1, ticket
    closed = Ticket.objects.get(status="closed")
    assert list(closed.audit_events.filter(action="status").values_list("new_value", flat=True)) == [
        "in_process", "resolved", "closed",
    ]
    assert Ticket.objects.filter(parent__classification="outage").exists()
    assert ConversationEntry.objects.filter(visibility="internal").exists()


def test_refuses_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _seed()
    assert not User.objects.exists()

    assert "Demo data loaded" in _seed("--force")


def test_readme_lists_the_demo_logins():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for _, username, password, *_ in DEMO_USERS:
        assert f"| `{username}` | `{password}` |" in readme
