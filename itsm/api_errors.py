"""One JSON error shape for every 4xx answer of the API.

``{"detail": "<message>", "code": "<machine code>", "errors": {"<field>": ["<message>", ...]}}``
— ``errors`` only when input fields were wrong; a nested field is named by its path (``tickets.0``,
``severity_map.critical``). Domain errors raised by services are mapped here, so views never translate
them one by one. ``itsm.api_schema`` documents this shape on every operation of the schema.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.errors import InvalidTransition, NotAllowed, ProcessConflict, StateConflict, VersionConflict

NON_FIELD = "non_field_errors"


class ServiceUnavailable(exceptions.APIException):
    """503: a fault of ours that a retry may cure (the database is down); clients retry a 5xx, not a 4xx."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is unavailable; please retry."
    default_code = "unavailable"


def _flatten(detail: Any, name: str, errors: dict[str, list[str]]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = NON_FIELD if key == "__all__" else str(key)
            _flatten(value, f"{name}.{key}" if name else key, errors)
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                # A list of objects or of lists (many=True, ListField of lists): one entry per failing item.
                _flatten(item, f"{name}.{index}" if name else str(index), errors)
            else:
                errors.setdefault(name or NON_FIELD, []).append(str(item))
    else:
        errors.setdefault(name or NON_FIELD, []).append(str(detail))


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}``, nested fields spelled ``field.0.name``: never a Python repr of a dict."""
    errors: dict[str, list[str]] = {}
    _flatten(detail, "", errors)
    return errors


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
    if isinstance(exc, ProcessConflict):
        return Response(_body(str(exc), "outage_process", endpoint=exc.endpoint), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, StateConflict):
        return Response(_body(str(exc), "invalid_state"), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed):
        return Response(_body(str(exc), "permission_denied"), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        errors = _field_errors(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return Response(_body("Invalid input.", "invalid", errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(_body(f"The request body is larger than {limit:,} bytes.", "too_large"),
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
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


def page_not_found(request, exception=None):
    """``handler404``: a path under ``/api/`` that no route matches (``/api/v1/tickets/x.y/``) answers in the
    API's error shape, not with the HTML page the site shows people."""
    if request.path.startswith("/api/"):
        return JsonResponse(_body("Not found.", "not_found"), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
