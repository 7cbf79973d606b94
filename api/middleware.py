"""What every request under /api/ goes through before and after its view.

- a guid, in the body (via the renderer) and in `X-Request-Id`, and in every log line;
- both `/api/x` and `/api/x/` reach the same view, without a redirect;
- production refuses plain HTTP with a 403 (never a redirect: the key would travel twice);
- a body over the limit is a 413 before anything reads it;
- any error Django answers itself (a 500 from a crash outside DRF, say) is put in the envelope;
- RateLimit-* headers; one row in the request log, written once the answer is sent.
"""

import re
import time
import uuid
from collections.abc import Callable
from functools import partial
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.encoding import escape_uri_path, iri_to_uri

from api import statement_timeout
from api.envelope import error_response
from api.log_context import current_request_guid
from api.services import record_request

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


# Query parameters whose value is a credential by their name (split at `_`, `-`, `.`), however
# a client came to send one there: keys go in headers, but a URL pasted from elsewhere may
# hold one. The request log is read back by the organization and support; it must hold none.
CREDENTIAL_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "auth",
        "authorization",
        "bearer",
        "signature",
        "credential",
        "credentials",
        "session",
        "sessionid",
    }
)
# This product's raw API key, wherever it appears in a path or query (accounts.services).
RAW_API_KEY = re.compile(r"rb_[0-9a-f]{12}_[0-9a-f]{48}", re.IGNORECASE)
REDACTED = "REDACTED"


def is_credential_name(name: str) -> bool:
    words = re.split(r"[^a-z0-9]+", unquote_plus(name).lower())
    return any(word in CREDENTIAL_WORDS for word in words) or "".join(words) in CREDENTIAL_WORDS


def logged_path(request: HttpRequest) -> str:
    """The path and query string as the request log keeps them: the value of a parameter
    named like a credential, and anything shaped like a raw API key, replaced by REDACTED.
    The rest is kept as sent (still percent-encoded)."""
    query = request.META.get("QUERY_STRING", "")
    if query:
        pairs = []
        for pair in query.split("&"):
            name, separator, _ = pair.partition("=")
            pairs.append(f"{name}={REDACTED}" if separator and is_credential_name(name) else pair)
        query = "&".join(pairs)
    path = escape_uri_path(request.path) + (f"?{iri_to_uri(query)}" if query else "")
    return RAW_API_KEY.sub(REDACTED, path)


class ApiRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        guid = uuid.uuid4()
        request.guid = guid
        # Not reset on the way out: Django logs 4xx/5xx answers after the middleware returns,
        # and those lines should carry the guid too. The next request sets its own.
        current_request_guid.set(str(guid))
        if is_api_path(request.path_info):
            response = self._handle_api(request)
        else:
            statement_timeout.unlimit()
            response = self.get_response(request)
        # A replayed answer (api.idempotency) keeps the first request's guid.
        response.headers.setdefault("X-Request-Id", str(guid))
        return response

    def _handle_api(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        created_at = timezone.now()
        if request.path_info.endswith("/"):
            # One trailing slash only: "/api/requests//" (or an encoded "%2F") is not a list.
            request.path_info = request.path_info[:-1]
            request.path = request.path[:-1]
        response = self._refuse_early(request)
        if response is None:
            statement_timeout.limit_api_request()
            response = self.get_response(request)
        if response.status_code >= 400 and not getattr(response, "enveloped", False):
            response = self._envelope(request, response)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["RateLimit-Limit"] = str(state.limit)
            response["RateLimit-Remaining"] = str(state.remaining)
            response["RateLimit-Reset"] = str(state.reset)
        if settings.API_REQUEST_LOG_ENABLED:
            key = getattr(request, "auth", None)
            # Written when the server closes the response, after the client has the bytes, so
            # the client does not wait for the INSERT (the test client closes it at once).
            response._resource_closers.append(
                partial(
                    record_request,
                    guid=request.guid,
                    org_id=getattr(key, "org_id", None),
                    api_key_id=getattr(key, "pk", None),
                    api_key_prefix=getattr(key, "prefix", ""),
                    method=request.method or "",
                    path=logged_path(request),
                    status=response.status_code,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    error=getattr(request, "api_error", "") if response.status_code >= 400 else "",
                    created_at=created_at,
                )
            )
        return response

    @staticmethod
    def _refuse_early(request: HttpRequest) -> HttpResponse | None:
        if settings.API_REQUIRE_HTTPS and not request.is_secure():
            return error_response(
                request,
                status=403,
                errors="This API is served over HTTPS only: send the request to https://.",
            )
        if "\x00" in request.path_info:  # no name or id holds one; the database cannot either
            return error_response(request, status=404)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return error_response(
                request, status=400, errors="The Content-Length header is not a valid length."
            )
        if length > settings.API_MAX_BODY_BYTES:
            return error_response(
                request,
                status=413,
                errors=(
                    f"The request body is {length} bytes; the limit is "
                    f"{settings.API_MAX_BODY_BYTES} bytes."
                ),
            )
        return None

    @staticmethod
    def _envelope(request: HttpRequest, original: HttpResponse) -> HttpResponse:
        response = error_response(request, status=original.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if original.has_header(header):
                response[header] = original[header]
        return response
