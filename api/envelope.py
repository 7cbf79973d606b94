"""The response envelope, built in one place for the renderer, the exception handler and the
middleware (which answers some requests before any view runs)."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

from api.log_context import current_request_guid

GENERIC_ERRORS = {
    400: "The request could not be understood.",
    401: "Authentication is required: send an API key as 'Authorization: Bearer <key>'.",
    403: "This API key is not allowed to do that.",
    404: "Nothing exists at this address.",
    405: "This method is not allowed here.",
    406: "The requested format is not available.",
    409: "The request conflicts with the current state.",
    412: "A precondition (If-Match) no longer holds: read the resource again and retry.",
    413: "The request body is too large.",
    415: "Unsupported Content-Type.",
    422: "Some values are not valid.",
    429: "Too many requests: slow down and retry after the time in the Retry-After header.",
}
SERVER_ERROR = (
    "Something went wrong on our side. Nothing was guaranteed to be saved; "
    "quote the guid to support if it keeps happening."
)


def request_guid(request: HttpRequest | None = None) -> str:
    guid = getattr(request, "guid", None) if request is not None else None
    return str(guid or current_request_guid.get())


def success_body(
    *, guid: str, data: Any, pagination: dict[str, int] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "guid": guid, "data": data}
    if pagination is not None:
        body["pagination"] = pagination
    body.update(extra)
    return body


def error_body(
    *,
    guid: str,
    errors: str,
    error_detail: dict[str, Any] | str | None = None,
    missing_input_vars: list[str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "guid": guid, "errors": errors}
    if error_detail:
        body["errorDetail"] = error_detail
    if missing_input_vars:
        body["missingInputVars"] = list(missing_input_vars)
    return body


def default_error_message(status: int) -> str:
    if status >= 500:
        return SERVER_ERROR
    return GENERIC_ERRORS.get(status, "The request failed.")


def error_response(
    request: HttpRequest,
    *,
    status: int,
    errors: str | None = None,
    error_detail: dict[str, Any] | str | None = None,
) -> HttpResponse:
    """A JSON error envelope for answers given outside DRF (middleware, Django's handlers)."""
    message = errors or default_error_message(status)
    body = error_body(guid=request_guid(request), errors=message, error_detail=error_detail)
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response.enveloped = True
    # The middleware logs this sentence with the request.
    request.api_error = message
    return response
