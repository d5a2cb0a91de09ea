import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission

# Data migrations whose rows every test may rely on. A transactional test's flush deletes them, so
# they are put back before each such test (serialized_rollback clashes with recreated content types).
REFERENCE_DATA = [
    ("sla.migrations.0002_default_calendar", "create_default_calendar"),
]


def _default_distribution_lists() -> None:
    """The lists of tickets 0003, written with today's model: it has moved to the notifications app since."""
    from tickets.notifications.models import DistributionList

    lists = importlib.import_module("tickets.migrations.0003_default_distribution_lists").LISTS
    for name, slug, description, email, requires_approval in lists:
        DistributionList.objects.get_or_create(slug=slug, defaults={
            "name": name, "description": description, "email": email, "requires_approval": requires_approval,
        })


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)
    _default_distribution_lists()


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Production settings redirect http to https; the test client speaks plain http.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    # Production serves hashed names from collectstatic's manifest; tests run from the source tree.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db, django_user_model):
    counter = {"n": 0}

    def make(username: str | None = None, *, staff: bool = False, superuser: bool = False, **extra):
        counter["n"] += 1
        username = username or f"user{counter['n']}"
        user = django_user_model.objects.create_user(
            username=username, email=f"{username}@example.edu", password="pw-for-tests-only",
            is_staff=staff or superuser, is_superuser=superuser, **extra,
        )
        return user

    return make


@pytest.fixture
def customer(make_user):
    return make_user("alice")


@pytest.fixture
def other_customer(make_user):
    return make_user("bob")


@pytest.fixture
def service_desk(db):
    from tickets.models import Group

    return Group.objects.create(name="Service Desk", slug="service-desk")


@pytest.fixture
def technician(make_user, service_desk):
    user = make_user("tech", staff=True)
    service_desk.members.add(user)
    return user


@pytest.fixture
def dispatcher(make_user, service_desk):
    user = make_user("dispatch", staff=True)
    service_desk.members.add(user)
    service_desk.dispatchers.add(user)
    return user


@pytest.fixture
def admin_user(make_user):
    return make_user("root", superuser=True)


@pytest.fixture
def incident_manager(make_user):
    user = make_user("im", staff=True)
    user.user_permissions.add(Permission.objects.get(codename="act_as_incident_manager"))
    return user


@pytest.fixture
def email_service(db, service_desk):
    from tickets.models import Service

    return Service.objects.create(name="Email", slug="email", default_group=service_desk)


@pytest.fixture
def api(db):
    from rest_framework.test import APIClient

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def smtp(settings):
    """Django's real SMTP backend, talking to a server on loopback; yields its mailbox."""
    from tests.smtp import LoopbackSMTP

    with LoopbackSMTP() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield server.mailbox


@pytest.fixture
def eager_tasks():
    """Run dispatched tasks in this process (for tests about content, not about the broker)."""
    from itsm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def make_integration(db, email_service):
    """An integration set up as an administrator would, with the secrets it was issued."""
    from tickets.intake.integrations import integration_create

    def make(kind: str = "alertmanager", *, name: str | None = None, **options):
        integration, issued = integration_create(name=name or f"{kind} monitor", kind=kind,
                                                 service=options.pop("service", email_service), **options)
        integration.issued = issued
        return integration

    return make
