"""Workers' side of the outbox. Every task is idempotent: the claim in ``outbox.deliver_many`` decides who
sends a row, so a redelivered or repeated task sends nothing twice. The names predate the app and stay
(``tickets.*``): messages already on a broker, the routes and the beat schedule use them."""

from celery import shared_task

from itsm.celery import RETRY_POLICY

from . import outbox


@shared_task(name="tickets.send_notifications", **RETRY_POLICY)
def send_notifications(notification_ids: list[int]) -> int:
    return outbox.deliver_many(notification_ids)


@shared_task(name="tickets.send_notification", **RETRY_POLICY)
def send_notification(notification_id: int) -> bool:
    """One row: what earlier releases put on the broker, still understood during an upgrade."""
    return outbox.deliver(notification_id)


@shared_task(name="tickets.relay_notifications", **RETRY_POLICY)
def relay_notifications() -> int:
    return outbox.relay()
