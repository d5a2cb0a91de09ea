"""One JSON error shape for every 4xx answer of the API.

``{"detail": "<message>", "code": "<machine code>", "errors": {"<field>": ["<message>", ...]}}``
— ``errors`` only when input fields were wrong. Domain errors raised by services are mapped here,
so views never translate them one by one.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.errors import InvalidTransition, NotAllowed, VersionConflict


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {key: [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def _body(detail: str, code: str, errors: dict | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidTransition):
        return Response(
            _body(str(exc), "invalid_transition", {"status": [str(exc)]}, allowed=exc.allowed),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, VersionConflict):
        code = status.HTTP_412_PRECONDITION_FAILED if getattr(exc, "from_if_match", False) else status.HTTP_409_CONFLICT
        return Response(_body(str(exc), "stale_version", current_version=exc.current_version), status=code)
    if isinstance(exc, NotAllowed):
        return Response(_body(str(exc), "permission_denied"), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        errors = _field_errors(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return Response(_body("Invalid input.", "invalid", errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body("Invalid input.", "invalid", _field_errors(exc.detail))
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = _body(str(detail), getattr(detail, "code", "error"))
    return response
