"""The store behind ``Idempotency-Key``: claim a caller's key, lock it around the work, keep the answer, expire it.

How a request with a key runs (``tickets.api.idempotency`` drives it):

1. ``idempotency_claim`` inserts the key's row in a transaction of its own, committed before any work: the
   unique constraint on (caller, key) lets only one of two racing requests insert it.
2. In the work's transaction, ``idempotency_lock`` locks that row. The work runs under the lock, and
   ``idempotency_complete`` stores the answer in the same transaction: the work and its answer commit
   together or not at all, so a key is never "done" without its answer, nor its work done twice.
3. Another request with the key meets the lock: on PostgreSQL it does not wait (``NOWAIT``) and is told
   the first is in progress (409); on SQLite, whose IMMEDIATE transactions run one writer at a time, it
   waits for the first to commit and then finds the answer. A row still in progress when it can be locked
   belongs to a request that died or failed (its transaction would have completed it): the work may run.
4. ``idempotency_release`` deletes the claim of a request whose work failed, so a corrected retry with
   the same key runs; ``idempotency_keys_expire`` (beat) deletes records older than ``RETENTION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from .models import IdempotencyKey, User

# How long an answer is kept for retries.
RETENTION = timedelta(hours=24)
# PostgreSQL's lock_not_available: SELECT ... FOR UPDATE NOWAIT met a row another transaction holds.
LOCK_NOT_AVAILABLE = "55P03"
EXPIRE_BATCH = 1000


class KeyInProgress(Exception):
    """Another request with this key is running now."""


@dataclass(frozen=True)
class RequestId:
    """What identifies one request under a key: another body (or endpoint) under the same key is a misuse."""

    fingerprint: str
    method: str
    path: str


def idempotency_claim(*, user: User, key: str, request: RequestId, now: datetime | None = None) -> bool:
    """Insert the key's row, committed before the work starts; False when the caller has the key already."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, fingerprint=request.fingerprint, method=request.method,
                                          path=request.path, created_at=now, expires_at=now + RETENTION)
    except IntegrityError:
        return False
    return True


def idempotency_lock(*, user: User, key: str, wait: bool) -> IdempotencyKey | None:
    """The key's row, locked until the caller's transaction ends, or None when it is gone (released or expired).

    ``wait``: block while another transaction holds it (the request that claimed the key, which must run);
    otherwise raise ``KeyInProgress`` at once. SQLite has no row locks: its IMMEDIATE transactions already
    run one at a time, so this reads the row as the previous writer left it.
    """
    try:
        return IdempotencyKey.objects.select_for_update(nowait=not wait).filter(user=user, key=key).first()
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE:
            raise KeyInProgress from None
        raise


def idempotency_restart(record: IdempotencyKey, *, request: RequestId, now: datetime | None = None) -> None:
    """Reuse the locked row of an expired key for a new request, as if it had never been used."""
    now = now or timezone.now()
    record.fingerprint, record.method, record.path = request.fingerprint, request.method, request.path
    record.state, record.status_code, record.response_body, record.response_headers = (
        IdempotencyKey.State.IN_PROGRESS, None, "", {})
    record.created_at, record.expires_at = now, now + RETENTION
    record.save()


def idempotency_complete(record: IdempotencyKey, *, status_code: int, body: str, headers: dict[str, str]) -> None:
    """Keep the answer, in the transaction of the work it answers for."""
    record.state = IdempotencyKey.State.COMPLETED
    record.status_code, record.response_body, record.response_headers = status_code, body, headers
    record.save(update_fields=["state", "status_code", "response_body", "response_headers"])


def idempotency_release(*, record_id: int) -> None:
    """Forget the claim of a request whose work failed (rolled back), so a retry with the key runs afresh. A
    record another request completed meanwhile is kept."""
    IdempotencyKey.objects.filter(pk=record_id, state=IdempotencyKey.State.IN_PROGRESS).delete()


def idempotency_keys_expire(*, now: datetime | None = None, batch: int = EXPIRE_BATCH) -> int:
    """Delete the records past their expiry, ``batch`` rows per statement; returns how many went.

    Idempotent: a second run, or two at once, find nothing more to delete. A retry after expiry runs its
    request afresh whether or not this has run yet (``idempotency_restart``).
    """
    now = now or timezone.now()
    deleted = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        count, _ = IdempotencyKey.objects.filter(pk__in=ids, expires_at__lte=now).delete()
        deleted += count
        if len(ids) < batch:
            return deleted
