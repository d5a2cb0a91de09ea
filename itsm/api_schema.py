"""drf-spectacular postprocessing: the error answers of every operation, in the API's one error shape.

Views document their successes (and answers with a shape of their own, like the bulk and PagerDuty ones);
the 4xx answers that ``itsm.api_errors.exception_handler`` gives on any operation are added here from what
the operation takes: input (400; for a body also 413 and 415), credentials (401, 403), an object in the path
or a page number (404), and the ticket conflicts of ``CONFLICTS`` (409, 412). An error response a view
documented by description only gets the error shape as its content. Query parameters are marked
``allowEmptyValue``: an empty value means the parameter is not given.

Enabled in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` after drf-spectacular's enum hook.
"""

from typing import Any

ERROR_COMPONENT = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx (and 503) answer: a message, a machine code, and for invalid input the fields.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "code": {
            "type": "string",
            "description": "What went wrong, for programs: `invalid`, `parse_error`, `not_authenticated`, "
            "`authentication_failed`, `permission_denied`, `not_found`, `invalid_transition`, `stale_version`, "
            "`throttled`, …",
        },
        "errors": {
            "type": "object",
            "description": "Invalid input only: each wrong field (nested fields as `field.0.name`, errors not "
            "about one field under `non_field_errors`) with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "allowed": {
            "type": "array",
            "items": {"type": "string"},
            "description": "`invalid_transition` only: the statuses the ticket may move to from here.",
        },
        "current_version": {
            "type": "integer",
            "description": "`stale_version` only: the ticket's version now; read it again and retry.",
        },
    },
    "required": ["detail", "code"],
}

DESCRIPTIONS = {
    400: "Invalid input: `errors` names each wrong field.",
    401: "No credentials, or an invalid, expired or revoked token.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such object (or none the caller may see), or no such page.",
    409: "The change conflicts with the ticket's state: a status it cannot move to (`invalid_transition`), "
    "or `version` is not the current one (`stale_version`).",
    412: "`If-Match` names a version that is no longer the current one (`stale_version`).",
    413: "The body is larger than the service reads (`too_large`).",
    415: "The body's Content-Type is not one this operation reads.",
}

# Answers that only some operations give, by method and path.
CONFLICTS = {
    ("patch", "/api/v1/tickets/{id}/"): (409, 412),
}

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def _error_response(code: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_REF}}}


def _codes(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    parameters = operation.get("parameters", [])
    locations = {parameter.get("in") for parameter in parameters}
    codes: set[int] = set()
    if "requestBody" in operation or "query" in locations:
        codes.add(400)
    if "requestBody" in operation:
        codes |= {413, 415}
    security = operation.get("security")
    if security and {} not in security:
        codes |= {401, 403}
    if "path" in locations or any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
        codes.add(404)
    codes.update(CONFLICTS.get((method, path), ()))
    return codes


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    # Filters, search, ordering and `page` alike take `?name=` as not given (django-filter's rule).
                    parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            for code in sorted(_codes(method, path, operation)):
                responses.setdefault(str(code), _error_response(code))
            for code, response in responses.items():
                if code[0] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
            operation["responses"] = dict(sorted(responses.items()))
    return result
