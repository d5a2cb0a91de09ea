"""A database built at the previous main keeps every row when notifications and intake become apps of their own.

The test database is taken back to that main's migration state (tickets 0010, no ``notifications`` or
``intake`` app), filled through the historical models, and migrated forward again; the rows must be
there, readable through the new apps' models, and their content types (with the permissions on them)
must have followed. It leaves the database fully migrated for the tests after it.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tickets.intake.models import Alert, AlertGroup, Integration, RawEvent
from tickets.notifications.models import DistributionList, Notification

MOVED_APPS = {"tickets", "notifications", "intake"}
PREVIOUS_MAIN = [("tickets", "0010_ticket_autovacuum"), ("notifications", None), ("intake", None)]
MOVED_MODELS = {"distributionlist": "notifications", "notification": "notifications", "integration": "intake",
                "rawevent": "intake", "alertgroup": "intake", "alert": "intake"}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1] is not None])


def fill_the_previous_main(old) -> dict[str, int]:
    """One row of every moved model, through the models as they were, pointing at a real ticket."""
    now = timezone.now()
    user_model, ticket_model = old.get_model("tickets", "User"), old.get_model("tickets", "Ticket")
    requester = user_model.objects.create(username="moved-requester", email="moved@example.edu")
    monitor = user_model.objects.create(username="moved-monitor", email="")
    service = old.get_model("tickets", "Service").objects.create(name="Moved mail", slug="moved-mail")
    ticket = ticket_model.objects.create(title="Mail queue stuck", requester=requester, service=service,
                                         created_at=now, updated_at=now)
    dlist = old.get_model("tickets", "DistributionList").objects.create(
        name="Moved list", slug="moved-list", email="moved-list@example.edu")
    notification = old.get_model("tickets", "Notification").objects.create(
        ticket=ticket, kind="outage_update", for_customer=False, distribution_list=dlist,
        to=["moved-list@example.edu"], subject="[#1] Update: Mail queue stuck", body_text="Still on it.",
        message_id="<moved-1@example.edu>", created_at=now, next_attempt_at=now, context={"kind": "outage_update"})
    integration = old.get_model("tickets", "Integration").objects.create(
        name="Moved monitor", kind="alertmanager", service=service, user=monitor)
    event = old.get_model("tickets", "RawEvent").objects.create(
        source="alertmanager", integration=integration, body=b'{"status": "firing"}', content_hash="0" * 64,
        ticket=ticket, state="processed")
    group = old.get_model("tickets", "AlertGroup").objects.create(
        integration=integration, key="mailq", key_digest="1" * 64, ticket=ticket, opened_at=now, last_event_at=now)
    alert = old.get_model("tickets", "Alert").objects.create(
        group=group, fingerprint="abc123", status="firing", title="Mail queue above 1000", severity="critical",
        last_seen_at=now + timedelta(minutes=1))
    content_types = old.get_model("contenttypes", "ContentType").objects
    types = {name: content_types.get_or_create(app_label="tickets", model=name)[0] for name in MOVED_MODELS}
    # A grant on the old content type, as an administrator's group would hold.
    old.get_model("auth", "Permission").objects.get_or_create(
        content_type=types["notification"], codename="view_notification", defaults={"name": "Can view notification"})
    return {"ticket": ticket.pk, "dlist": dlist.pk, "notification": notification.pk,
            "integration": integration.pk, "event": event.pk, "group": group.pk, "alert": alert.pk,
            **{f"{name}_type": content_type.pk for name, content_type in types.items()}}


@pytest.mark.django_db(transaction=True)
def test_a_database_from_the_previous_main_keeps_every_row_of_the_moved_models():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    others = [node for node in latest if node[0] not in MOVED_APPS]
    old = migrate(PREVIOUS_MAIN + others)
    assert ("tickets", "notification") in old.models and ("notifications", "notification") not in old.models
    ids = fill_the_previous_main(old.apps)

    new = migrate(latest)

    assert ("tickets", "notification") not in new.models and ("intake", "alert") in new.models

    notification = Notification.objects.select_related("distribution_list").get(pk=ids["notification"])
    assert (notification.ticket_id, notification.distribution_list.pk, notification.to, notification.state) == (
        ids["ticket"], ids["dlist"], ["moved-list@example.edu"], "pending")
    assert notification.context == {"kind": "outage_update"}
    assert DistributionList.objects.get(pk=ids["dlist"]).email == "moved-list@example.edu"
    integration = Integration.objects.get(pk=ids["integration"])
    assert (integration.name, integration.service.slug, integration.severity_map["critical"]) == (
        "Moved monitor", "moved-mail", "stopped_no_workaround")
    event = RawEvent.objects.get(pk=ids["event"])
    assert (event.integration_id, event.ticket_id, bytes(event.body)) == (
        ids["integration"], ids["ticket"], b'{"status": "firing"}')
    group = AlertGroup.objects.get(pk=ids["group"])
    assert (group.integration_id, group.ticket_id, group.is_open) == (ids["integration"], ids["ticket"], True)
    assert Alert.objects.get(pk=ids["alert"]).group_id == ids["group"]
    for name, app_label in MOVED_MODELS.items():
        content_type = ContentType.objects.get(pk=ids[f"{name}_type"])
        assert (content_type.app_label, content_type.model) == (app_label, name)
    assert not ContentType.objects.filter(app_label="tickets", model__in=list(MOVED_MODELS)).exists()
    assert ContentType.objects.get_for_model(Notification).pk == ids["notification_type"]
    assert Permission.objects.get(codename="view_notification").content_type_id == ids["notification_type"]
