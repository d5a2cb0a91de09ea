"""Intake's background work. Both tasks are safe to run twice: an event is processed under its row lock
and only while pending or failed, and an IMAP message is stored under its dedup key. The names predate
the app and stay (``tickets.*``): the routes and the beat schedule use them."""

from celery import shared_task

from itsm.celery import RETRY_POLICY


@shared_task(name="tickets.retry_inbound_events", **RETRY_POLICY)
def retry_inbound_events() -> int:
    """Inbound events whose processing failed, or whose request died after storing them."""
    from .services import events_retry

    return events_retry()


@shared_task(name="tickets.poll_imap", **RETRY_POLICY)
def poll_imap() -> int:
    from .imap import poll

    return poll()
