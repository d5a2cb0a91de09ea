"""The one settings module, configured from the environment (12-factor).

Every default runs with nothing installed but Python: SQLite under ``var/``, an embedded
filesystem Celery broker under ``var/``, and e-mail written as files under ``var/mail``.
Production differs only by environment (``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``, ...).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("ITSM_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    TIME_ZONE=(str, "America/New_York"),
    SECURE_SSL_REDIRECT=(bool, True),
    SECURE_HSTS_SECONDS=(int, 31536000),
)

DEBUG = env("DEBUG")
# A development key only when DEBUG is on; production must set its own.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # lets the project form renderer (itsm.forms) find Django's widget templates
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "sla",
    "tickets",
    "tickets.notifications",
    "tickets.intake",
    "outages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "itsm.urls"
# Every form field renders through templates/forms/field.html: label, hint, the error in place.
FORM_RENDERER = "itsm.forms.FormRenderer"
WSGI_APPLICATION = "itsm.wsgi.application"
ASGI_APPLICATION = "itsm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.web.context.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'itsm.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat all write to the embedded database: WAL lets readers run beside one
    # writer, the busy timeout waits instead of failing, and IMMEDIATE transactions take the
    # write lock up front so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    # A file, not memory, so that a real worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-itsm.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tickets.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Cache and Celery -----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # Longer than any task may take, so an acks_late task is not redelivered while running.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5,
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # kombu's filesystem transport: a real broker in a folder, so the worker and beat run
    # for real under `make run` with nothing installed.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
# Publishing happens after commit; when the broker is down it must fail fast, because the outbox row
# (not the broker message) is what guarantees the work, and the relay sends it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# One queue per kind of work, so that a flood of one (an alert storm's mail) never delays another (the SLA
# marks): replicas can run a worker per queue; the one development worker consumes them all.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "tickets.send_notification": {"queue": "notifications"},
    "tickets.send_notifications": {"queue": "notifications"},
    "tickets.relay_notifications": {"queue": "notifications"},
    "tickets.retry_inbound_events": {"queue": "intake"},
    "tickets.poll_imap": {"queue": "intake"},
    "sla.*": {"queue": "sla"},
    "outages.remind_updates": {"queue": "sla"},
}
# The queues a worker that does everything consumes (`-Q celery,intake,notifications,sla`).
WORKER_QUEUES = ("celery", "intake", "notifications", "sla")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "sla.sweep", "schedule": 60.0},
    "sla-reevaluate-operating-hours": {"task": "sla.reevaluate_operating_hours", "schedule": 60.0},
    "notifications-relay": {"task": "tickets.relay_notifications", "schedule": 60.0},
    "intake-retry": {"task": "tickets.retry_inbound_events", "schedule": 60.0},
    "outage-updates-due": {"task": "outages.remind_updates", "schedule": 60.0},
    "idempotency-keys-expire": {"task": "tickets.expire_idempotency_keys", "schedule": 3600.0},
}
# An After-Action Review is due this many days after its outage or problem is resolved.
AAR_DUE_DAYS = env.int("AAR_DUE_DAYS", default=5)

# --- Lifecycle automation (issue 16) --------------------------------------------------------
# Counted in business days on the ticket's own calendar (its service's, else the default); a service
# may set its own value of each (admin: Services). 0 turns a step off. One block on purpose: it only
# adds to the routes and the schedule above, so it merges cleanly with changes there.
# A resolved incident with no answer from its customer closes after this many business days.
AUTO_CLOSE_RESOLVED_DAYS = env.int("AUTO_CLOSE_RESOLVED_DAYS", default=3)
# A ticket waiting on its customer: a reminder after this many business days...
WAIT_CUSTOMER_REMINDER_DAYS = env.int("WAIT_CUSTOMER_REMINDER_DAYS", default=2)
# ... and, this many business days after the reminder, it is resolved (or cancelled) with a public note.
WAIT_CUSTOMER_EXPIRY_DAYS = env.int("WAIT_CUSTOMER_EXPIRY_DAYS", default=5)
WAIT_CUSTOMER_EXPIRY_ACTION = env.str("WAIT_CUSTOMER_EXPIRY_ACTION", default="resolve")
if WAIT_CUSTOMER_EXPIRY_ACTION not in ("resolve", "cancel"):
    raise environ.ImproperlyConfigured("WAIT_CUSTOMER_EXPIRY_ACTION must be 'resolve' or 'cancel'.")
# Timers, not deadlines to the minute: every five minutes is soon enough, routed like the SLA sweep.
CELERY_TASK_ROUTES |= {
    "tickets.close_resolved": {"queue": "sla"},
    "tickets.follow_up_wait_customer": {"queue": "sla"},
}
CELERY_BEAT_SCHEDULE |= {
    "lifecycle-close-resolved": {"task": "tickets.close_resolved", "schedule": 300.0},
    "lifecycle-follow-up-wait-customer": {"task": "tickets.follow_up_wait_customer", "schedule": 300.0},
}
# A mailbox the service desk's mail lands in, e.g. imaps://helpdesk:password@imap.example.edu/INBOX.
# Unset: mail arrives through `manage.py ingest_email` (a pipe from the mail server) or the relay endpoint.
IMAP_URL = env("IMAP_URL", default="")
IMAP_POLL_SECONDS = env.int("IMAP_POLL_SECONDS", default=60)
if IMAP_URL:
    CELERY_BEAT_SCHEDULE["intake-imap"] = {"task": "tickets.poll_imap", "schedule": float(IMAP_POLL_SECONDS)}

# --- E-mail ---------------------------------------------------------------------------------
# Default: every message is written as a file under var/mail, where it can be read.
if env("EMAIL_URL", default=""):
    # e.g. smtp+tls://user:password@smtp.example.edu:587
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="IT Service Desk <servicedesk@example.edu>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Replies to ticket mail go here, plus-addressed with the ticket number (servicedesk+123@...).
TICKET_REPLY_ADDRESS = env("TICKET_REPLY_ADDRESS", default="servicedesk@example.edu")
# The address people reach the service at, for links in e-mail.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
# A worker sending a notification holds it this long; after that it is presumed dead and the relay
# dispatches the notification again. Longer than one SMTP conversation (EMAIL_TIMEOUT).
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
# A pending notification not sent this long after its dispatch is dispatched again by the relay.
NOTIFICATION_REDISPATCH_SECONDS = env.int("NOTIFICATION_REDISPATCH_SECONDS", default=60)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "itsm" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "text/plain",
        "text/csv",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "message/rfc822",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request is then a 401 with a WWW-Authenticate challenge, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "itsm.api_errors.exception_handler",
    # Quotas for the monitoring and mail doors, per integration token or routing key.
    "DEFAULT_THROTTLE_RATES": {"integration": env("INTEGRATION_THROTTLE_RATE", default="600/min")},
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM API",
    "DESCRIPTION": "Tickets, SLAs and outages of the university IT service desk.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The one error shape on every operation (itsm.api_schema), after drf-spectacular's enum naming.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "itsm.api_schema.add_error_responses",
        # The 409 and 422 answers of the operations that take an Idempotency-Key, in the same error shape.
        "tickets.api.idempotency.document_idempotency_answers",
    ],
    # Two models have a "kind" field; named enums keep generated clients readable.
    "ENUM_NAME_OVERRIDES": {
        "IntegrationKindEnum": "tickets.intake.models.Integration.Kind",
        "NotificationKindEnum": "tickets.notifications.models.Notification.Kind",
        "ClassificationEnum": "tickets.models.Classification",
        "OutageClassificationEnum": "outages.api.serializers.OUTAGE_CLASSES",
        "NotificationStateEnum": "tickets.notifications.models.Notification.State",
        "ChangeRequestStateEnum": "outages.models.ChangeRequest.State",
        "ReviewStateEnum": "outages.models.AfterActionReview.State",
    },
}

# --- Security (production values; `manage.py check --deploy` reports nothing) ---------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT") and not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else env("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Sign-in protection, reset throttling, Content-Security-Policy, API docs (issue 15) --------
# One block on purpose: it only appends to the lists above, so it merges cleanly with changes there.
INSTALLED_APPS += [
    "axes",  # lockouts after repeated sign-in failures; its admin lists and removes them
    "csp",  # the Content-Security-Policy header (csp.middleware below)
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as our own static files, no CDN
]
# CSP before axes: axes swaps in its lockout page on the way out, and that page gets the header too.
# Axes last, as its documentation asks.
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]
# Axes' backend only refuses a locked-out username + address; ModelBackend still checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# The client address of a request, for the lockout and the throttles, is REMOTE_ADDR unless this many
# trusted proxies append to X-Forwarded-For: then the entry the outermost proxy wrote (itsm.security.client_ip),
# the same rule DRF's throttles follow, so a client cannot forge its address with the header.
NUM_PROXIES = REST_FRAMEWORK["NUM_PROXIES"]

# A username + address is locked after LOGIN_FAILURE_LIMIT failures, each less than LOGIN_LOCKOUT_MINUTES
# after the one before (axes uses one period for the window and the cool-off), until that period has passed
# since the last failure or an administrator deletes the lock (admin: Axes › Access attempts).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "itsm.security.client_ip"
# The project's own page (429, with the time to try again) and a log line with username and address.
AXES_LOCKOUT_CALLABLE = "itsm.security.lockout_response"
# A good password after a few typos starts the count afresh.
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without extending the lock, so the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures are kept (Access attempts); successful sign-ins are not, so the table does not grow forever.
AXES_DISABLE_ACCESS_LOG = True

# The password reset form sends at most this many mails to one account, and takes at most this many
# requests from one client address, per hour; beyond that it answers the same page and sends nothing.
PASSWORD_RESET_ACCOUNT_LIMIT = env.int("PASSWORD_RESET_ACCOUNT_LIMIT", default=3)
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=10)

# Scripts and styles only from our own static files: no inline script, event handler, style attribute
# or eval (htmx trigger filters and hx-on are eval), so injected markup cannot run. The API docs pages
# widen it for themselves (itsm.api_docs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "itsm.renderers.BrowsableAPIRenderer",  # DRF's, without an inline <style> the policy would refuse
]
SPECTACULAR_SETTINGS |= {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Axes writes a line for every sign-in at INFO; its warnings (failures, lockouts) are the ones to keep.
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}
