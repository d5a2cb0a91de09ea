"""The Celery app and its one retry policy.

Every task is ``acks_late`` (a killed worker's task is redelivered, so task bodies are written to be
idempotent), retried on transient errors only, with exponential backoff and jitter, a bounded
number of times.
"""

import os
import smtplib

from celery import Celery
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

app = Celery("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError, smtplib.SMTPException, OSError)

RETRY_POLICY = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
