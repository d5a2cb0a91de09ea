"""Beat's side of the outage process. Idempotent: each due time reminds once, under a row lock."""

from celery import shared_task

from itsm.celery import RETRY_POLICY


@shared_task(name="outages.remind_updates", **RETRY_POLICY)
def remind_updates() -> int:
    from .services import updates_due_remind

    return updates_due_remind()
