"""The Celery app and its one retry policy.

Every task is ``acks_late`` (a killed worker's task is redelivered, so task bodies are written to be
idempotent), retried on transient errors only, with exponential backoff and jitter, a bounded
number of times.
"""

import os
import smtplib
from typing import TypedDict

from celery import Celery
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

app = Celery("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError, ConnectionError, TimeoutError, smtplib.SMTPException, OSError,
)


class RetryPolicy(TypedDict):
    """The options every task takes (``@shared_task(name=..., **RETRY_POLICY)``), typed so each is checked."""

    acks_late: bool
    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


RETRY_POLICY: RetryPolicy = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
