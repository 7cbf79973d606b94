"""Where a view's inputs come from: the query string and, for any method, a body in one of the
three accepted encodings (GET and DELETE may carry one too)."""

from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest, QueryDict
from rest_framework.exceptions import ParseError
from rest_framework.request import Request

from api.exceptions import BadRequestError
from api.parsers import NUL, check_form_text, reject_nul


def check_query_string(request: HttpRequest) -> None:
    """The raw query string is UTF-8 through and through: invalid bytes are a 400 (never
    U+FFFD), an encoded lone surrogate a 422 naming the parameter, a NUL a 400."""
    raw = request.META.get("QUERY_STRING", "")
    if not raw:
        return
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise BadRequestError("The query string is not valid UTF-8.") from None
    try:
        check_form_text(text, "utf-8", "query string")
    except ParseError as exc:
        raise BadRequestError(str(exc.detail)) from None
    # Checked here for every route, not only where a view reads its parameters: a route that
    # takes none must refuse one it cannot store as well as one it does not know.
    if any(NUL in name or NUL in value for name, value in parse_qsl(text, True)):
        raise BadRequestError(
            "The query string contains a NUL character (%00), which is not allowed."
        )


def _plain(data: QueryDict) -> dict[str, Any]:
    return {key: values[0] if len(values) == 1 else values for key, values in data.lists()}


def read_params(request: Request) -> dict[str, Any]:
    """The query string merged with the body's top-level keys (the body wins on a clash)."""
    reject_nul(request.query_params, "query string")
    params = _plain(request.query_params)
    body = request.data
    if isinstance(body, QueryDict):
        params.update(_plain(body))
    elif isinstance(body, dict):
        params.update(body)
    else:  # JSON null, a number, a string, a list
        raise BadRequestError("The request body must be a JSON object.")
    return params
