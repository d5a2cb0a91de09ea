"""Workers' side of the outbox. Both tasks are idempotent: the claim in ``outbox.deliver`` decides."""

from celery import shared_task

from itsm.celery import RETRY_POLICY

from . import outbox


@shared_task(name="tickets.send_notification", **RETRY_POLICY)
def send_notification(notification_id: int) -> bool:
    return outbox.deliver(notification_id)


@shared_task(name="tickets.relay_notifications", **RETRY_POLICY)
def relay_notifications() -> int:
    return outbox.relay()
