"""The one place where errors become HTTP: domain errors, DRF's and Django's exceptions."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from api import exceptions as domain
from api.envelope import SERVER_ERROR, default_error_message
from api.statement_timeout import QUERY_CANCELED

logger = logging.getLogger("api.errors")

DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.BadRequestError, 400),
    (domain.InvalidInputError, 422),
    (domain.NotFoundError, 404),
    (domain.ConflictError, 409),
    (domain.PreconditionFailedError, 412),
]


def status_for_domain_error(exc: domain.DomainError) -> int:
    for error_class, status in DOMAIN_STATUS:
        if isinstance(exc, error_class):
            return status
    return 400


def error_payload(
    errors: str, detail: Any = None, missing: list[str] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"errors": domain.shown(errors, MESSAGE_LIMIT)}
    if detail:
        payload["errorDetail"] = _small(detail)
    if missing:
        payload["missingInputVars"] = missing
    return payload


# Error bodies stay small (docs/api.md, "Limits"): messages cut the values they echo
# (api.exceptions.shown); this is the net for any that did not.
MESSAGE_LIMIT = 1000


def _small(detail: Any) -> Any:
    """errorDetail with every key and string cut to api.exceptions.ECHO_LIMIT characters."""
    if isinstance(detail, str):
        return domain.shown(detail, MESSAGE_LIMIT)
    if isinstance(detail, dict):
        return {domain.shown(key): _small(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_small(item) for item in detail]
    return detail


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_HINT = (
    " The body was read as a form (Content-Type: {content_type}); to send JSON, set "
    "Content-Type: application/json."
)


def handle_exception(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    if isinstance(exc, domain.UnknownInputError) and request is not None:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type in FORM_TYPES:
            # curl -d '{"name": "T"}' sends JSON text as a form: its keys make no sense.
            exc.message += FORM_HINT.format(content_type=content_type)
    response = _response_for(exc)
    if request is not None:
        # The request log keeps the sentence; see api.middleware.
        request._request.api_error = response.data["errors"]
    return response


# PostgreSQL's answers when two transactions collide (deadlock, serialization failure): the
# transaction was rolled back whole, so the client may simply send the request again.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _response_for(exc: Exception) -> Response:
    if isinstance(exc, OperationalError) and _sqlstate(exc) in RETRYABLE_SQLSTATES:
        logger.warning("A write collided with a concurrent one: %s", exc)
        message = "This write collided with a concurrent one and nothing was written; retry it."
        response = Response(error_payload(message), status=409)
        response.retryable = True  # an Idempotency-Key is let go, so the retry runs again
        return response
    if isinstance(exc, OperationalError) and _sqlstate(exc) == QUERY_CANCELED:
        logger.warning("An API statement ran past the statement timeout: %s", exc)
        seconds = f"{settings.API_STATEMENT_TIMEOUT_SECONDS:g}"
        message = (
            f"The query took too long (over {seconds} s, the API_STATEMENT_TIMEOUT_SECONDS "
            "limit) and was stopped; nothing was written. Narrow the filters, or retry later."
        )
        response = Response(error_payload(message), status=503)
        response.retryable = True
        return response
    if isinstance(exc, domain.DomainError):
        status = status_for_domain_error(exc)
        return Response(error_payload(exc.message, exc.detail, exc.missing), status=status)
    if isinstance(exc, Http404):
        return Response(error_payload(default_error_message(404)), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_payload(default_error_message(403)), status=403)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_payload(default_error_message(413)), status=413)
    if isinstance(exc, TooManyFieldsSent):
        message = "The form body has too many fields; send JSON for large inputs."
        return Response(error_payload(message), status=400)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_payload(default_error_message(400)), status=400)
    if isinstance(exc, drf.APIException):
        return _response_for_drf(exc)
    logger.exception("Unhandled exception in an API view")
    return Response(error_payload(SERVER_ERROR), status=500)


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _response_for_drf(exc: drf.APIException) -> Response:
    headers: dict[str, str] = {}
    status = exc.status_code
    detail: Any = None
    missing: list[str] = []
    if isinstance(exc, drf.ValidationError):
        message, detail, missing, status = _validation_error(exc)
    elif isinstance(exc, drf.Throttled):
        wait = max(1, int(exc.wait or 1))
        headers["Retry-After"] = str(wait)
        message = f"Too many requests: retry after {wait} seconds."
    elif isinstance(exc, drf.MethodNotAllowed):
        message = f"{exc.detail} Allowed methods are in the Allow header."
    elif isinstance(exc, drf.UnsupportedMediaType):
        message = (
            f"{exc.detail} Send application/json, application/x-www-form-urlencoded "
            "or multipart/form-data."
        )
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        if isinstance(exc, drf.NotAuthenticated):
            message = default_error_message(401)
        else:
            message = str(exc.detail)
    elif isinstance(exc, drf.NotFound):
        message = default_error_message(404)
    elif isinstance(exc, drf.PermissionDenied):
        message = str(exc.detail)
    else:
        message = str(exc.detail) if isinstance(exc.detail, str) else default_error_message(status)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    return Response(error_payload(message, detail, missing), status=status, headers=headers)


def _validation_error(exc: drf.ValidationError) -> tuple[str, Any, list[str], int]:
    """A serializer's errors: missing inputs are a 400 (the first thing to fix); wrong values
    alone are a 422."""
    detail = exc.detail
    codes = exc.get_codes()
    if isinstance(detail, dict) and isinstance(codes, dict):
        missing = [name for name, code in codes.items() if code == ["required"]]
        flat = {name: _strings(errors) for name, errors in detail.items() if name not in missing}
        if missing:
            names = ", ".join(missing)
            return f"Required input is missing: {names}.", flat or None, missing, 400
        if len(flat) == 1:
            name, problems = next(iter(flat.items()))
            message = f"Invalid value for '{name}': {problems[0]}"
        else:
            names = ", ".join(f"'{name}'" for name in flat)
            message = f"Invalid values for {names}; see errorDetail."
        return message, flat, [], 422
    return "; ".join(_strings(detail)), None, [], 422


def _strings(errors: Any) -> list[str]:
    if isinstance(errors, list):
        return [str(item) for item in errors]
    if isinstance(errors, dict):
        return [f"{key}: {'; '.join(_strings(value))}" for key, value in errors.items()]
    return [str(errors)]
