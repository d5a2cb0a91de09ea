"""``Idempotency-Key`` on the API's creating POSTs: a retried request gets the first answer and creates nothing.

A client that lost the answer to a create sends the same request again with the same header. Within
``RETENTION`` (24 h), for the same caller:

- same key, same method, path and body: the first answer again (status, body, ``ETag`` / ``Location``), with
  ``Idempotent-Replayed: true``; nothing is created;
- same key, another body or endpoint: 422 ``idempotency_key_reused``;
- same key while the first request is still running: 409 ``idempotency_in_progress`` (retry later);
- a key that is not 1 to 255 visible ASCII characters: 400.

Only successful (2xx) answers are kept. An answer that refuses the request (4xx, e.g. invalid input) or
fails (5xx) created nothing (the work's transaction rolled back, the error handler answered) and releases
the key, so a corrected retry with the same key runs. Keys belong to the caller (the account, whether it
signs in by session or token): another caller's same key is another key.

The view side is one decorator, ``@idempotent``, on the handler (above ``@action`` where there is one). It
also documents the header on the operation; ``document_idempotency_answers`` (a schema postprocessing hook)
adds the 409 and 422 answers. The store is ``tickets.idempotency``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from itsm.api_schema import ERROR_REF

from ..idempotency import (
    KeyInProgress,
    RequestId,
    idempotency_claim,
    idempotency_complete,
    idempotency_lock,
    idempotency_release,
    idempotency_restart,
)
from ..models import IdempotencyKey, User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII (0x21-0x7E): no spaces or control characters, nothing a proxy might rewrite.
KEY_PATTERN = re.compile(r"[!-~]{1,255}")
# The answer's headers a replay repeats (the rest are the renderer's and the middleware's).
KEPT_HEADERS = ("ETag", "Location")
# Claims that vanish between our insert and our lock (a failed first request released the key) are claimed
# again; more than this many in a row means another request keeps taking it.
ATTEMPTS = 3

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    description=(
        "Makes a retry safe: a unique value per intended creation (a UUID, say), 1 to 255 visible ASCII "
        "characters. Sent again by the same caller within 24 hours with the same body, the request is not run "
        "again: the first (successful) answer is returned, with `Idempotent-Replayed: true`. The same key with "
        "another body is a 422 (`idempotency_key_reused`); while the first request runs, a 409 "
        "(`idempotency_in_progress`). Refused requests (4xx) are not kept: a corrected retry may reuse the key."
    ),
)


class IdempotencyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_progress"
    default_detail = "A request with this Idempotency-Key is still being processed; retry in a moment."


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def header_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None without the header; a malformed one is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise exceptions.ValidationError(
            {HEADER: ["Send 1 to 255 visible ASCII characters (letters, digits, punctuation; no spaces)."]})
    return key


def _media_type(request: Request) -> str:
    return request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def _canonical(value: Any, digest: Any) -> None:
    """Feed a parsed value into ``digest``: uploads by name, type and content, the rest as sorted JSON."""
    if hasattr(value, "chunks"):
        digest.update(f"file:{value.name}:{getattr(value, 'content_type', '')}:{value.size}:".encode())
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)  # the view reads it next
    else:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))


def request_fingerprint(request: Request) -> str:
    """SHA-256 of what makes two requests the same: method, path with query, media type and body.

    The body as sent, byte for byte; a multipart body by its parsed fields and files instead, since a
    client draws a new boundary for each attempt.
    """
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()} {_media_type(request)}\n".encode())
    if _media_type(request) == "multipart/form-data":
        data = request.data
        for name in sorted(data):
            digest.update(f"\n{name}=".encode())
            for value in data.getlist(name) if hasattr(data, "getlist") else [data[name]]:
                _canonical(value, digest)
        return digest.hexdigest()
    try:
        digest.update(request.body)
    except RawPostDataException:  # the body was parsed already: its parsed form stands in for it
        _canonical(request.data, digest)
    return digest.hexdigest()


def _stored_answer(response: Response, withhold: Iterable[str]) -> tuple[str, dict[str, str]]:
    data = response.data
    if isinstance(data, dict) and withhold:
        # One-time secrets are not kept in the database (only their digests are): a replay says null.
        data = {name: (None if name in withhold else value) for name, value in data.items()}
    body = JSONRenderer().render(data).decode() if data is not None else ""
    return body, {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}


def _replay(record: IdempotencyKey) -> Response:
    data = json.loads(record.response_body) if record.response_body else None
    return Response(data, status=record.status_code, headers={**record.response_headers, REPLAYED_HEADER: "true"})


def _run(handler: Callable[..., Any], view: Any, request: Request, key: str, withhold: tuple[str, ...],
         args: tuple, kwargs: dict) -> Any:
    user = request.user
    if not isinstance(user, User):  # the handlers it wraps are for signed-in callers; a key needs its owner
        raise exceptions.NotAuthenticated()
    this = RequestId(fingerprint=request_fingerprint(request), method=request.method or "POST",
                     path=request.get_full_path())
    for _ in range(ATTEMPTS):
        claimed = idempotency_claim(user=user, key=key, request=this)
        running: int | None = None
        try:
            with transaction.atomic():
                try:
                    record = idempotency_lock(user=user, key=key, wait=claimed)
                except KeyInProgress:
                    raise IdempotencyInProgress() from None
                if record is None:
                    continue  # released by a failed first request, or expired and swept: claim it again
                in_progress = record.state == IdempotencyKey.State.IN_PROGRESS
                if record.expires_at <= timezone.now() or (in_progress and record.fingerprint != this.fingerprint):
                    # Expired, or left in progress by a request that ended without completing (we hold the lock,
                    # so it is not running): nothing was created under the key, which serves this request now.
                    idempotency_restart(record, request=this)
                elif record.fingerprint != this.fingerprint:
                    raise IdempotencyKeyReused(
                        f"This Idempotency-Key was used for another request ({record.method} {record.path} with "
                        "another body) in the last 24 hours; use a new key for a new request.")
                elif not in_progress:
                    return _replay(record)
                # In progress and ours: we claimed it, or the request that did ended without completing it.
                running = record.pk
                response = handler(view, request, *args, **kwargs)
                if isinstance(response, Response) and status.is_success(response.status_code):
                    body, headers = _stored_answer(response, withhold)
                    idempotency_complete(record, status_code=response.status_code, body=body, headers=headers)
                else:
                    running = None
                    record.delete()  # a refusal created nothing: the key is free for a corrected retry
                return response
        except BaseException:
            if running is not None:
                idempotency_release(record_id=running)
            raise
    raise IdempotencyInProgress()


def idempotent(handler: Callable[..., Any] | None = None, *, withhold: Iterable[str] = ()) -> Any:
    """Make a creating POST handler honour ``Idempotency-Key`` (see the module). ``withhold``: fields of the
    answer that are one-time secrets, kept out of the stored answer (a replay has them null).

    Place it above ``@action`` (which would otherwise drop the schema parameter this adds)."""
    withheld = tuple(withhold)

    def decorate(function: Callable[..., Any]) -> Any:
        @functools.wraps(function)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            key = header_key(request) if request.method == "POST" else None
            if key is None:
                return function(view, request, *args, **kwargs)
            return _run(function, view, request, key, withheld, args, kwargs)

        wrapper.idempotent = True  # type: ignore[attr-defined]  # for the tests that list the covered operations
        return extend_schema(methods=["POST"], parameters=[IDEMPOTENCY_KEY_PARAMETER])(wrapper)

    return decorate(handler) if handler is not None else decorate


# --- Schema ----------------------------------------------------------------------------------------

ANSWERS = {
    "409": "`idempotency_in_progress`: a request with this `Idempotency-Key` is still being processed; retry.",
    "422": "`idempotency_key_reused`: this `Idempotency-Key` was used by this caller for another request "
    "(another body or endpoint) in the last 24 hours.",
}


def document_idempotency_answers(result: dict[str, Any], generator: Any, request: Any, public: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the 409 and 422 answers of every operation that takes the header
    (after ``itsm.api_schema.add_error_responses``, whose error shape they have)."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            if not any(p.get("in") == "header" and p.get("name") == HEADER for p in operation.get("parameters", [])):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ANSWERS.items():
                existing = responses.get(code)
                if existing is None:
                    responses[code] = {"description": description,
                                       "content": {"application/json": {"schema": ERROR_REF}}}
                elif description not in existing.get("description", ""):
                    existing["description"] = f"{existing.get('description', '').rstrip()} Or {description}".strip()
            operation["responses"] = dict(sorted(responses.items()))
    return result


__all__ = ["HEADER", "IDEMPOTENCY_KEY_PARAMETER", "REPLAYED_HEADER", "document_idempotency_answers", "idempotent"]
