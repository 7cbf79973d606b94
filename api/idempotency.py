"""Safe retries: `Idempotency-Key` on POST, PUT, PATCH and DELETE.

The first request with a key reserves it (an `IdempotentRequest` row, committed on its own
before the view runs), runs, and stores its response on the row. A retry with the same key
and the same request finds the row: while the first still runs that is a 409; afterwards the
stored response is replayed as it was sent (same bytes, same `X-Request-Id`) with
`Idempotent-Replayed: true`. The same key with another method, path or body is a 422. The
unique constraint on (API key, key) is what lets only one of many concurrent requests run.

A response that says the server failed (5xx), or that a write collided and nothing was
written, is not kept: its reservation is deleted so that a retry runs again. A reservation
older than `API_IDEMPOTENCY_RETENTION_HOURS` is ignored (and purged by `api.tasks`).

A reservation still without an answer after `API_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS` (above
the longest a request may run: gunicorn kills a worker whose request passes its timeout) lost
its request with its process: the next retry takes it over, one retry only (a conditional
UPDATE), and runs. The first request, should it still finish, then stores nothing: its answer
goes only to its own client.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone

from api.exceptions import ConflictError, InvalidInputError, InvalidParameterError
from api.models import IdempotentRequest
from api.parsers import reject_header_surrogates

logger = logging.getLogger("api.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255
# Added to every answer by api.middleware, each time for the request at hand.
NOT_STORED_HEADERS = frozenset(
    {"x-request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}
)


class Replay(Exception):
    """Raised before the view runs: answer with the stored response instead."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True)
class Reservation:
    pk: int
    request_guid: object  # the request holding the row; a takeover changes it


def requested_key(request: HttpRequest) -> str | None:
    """The header's value on a method it applies to, or None; a value that cannot be a key
    is a 400. Keys are opaque, compared exactly: 1 to 255 visible ASCII characters or
    spaces (a UUID is the usual choice)."""
    if request.method not in METHODS:
        return None
    value = request.headers.get(HEADER)
    if value is None:
        return None
    reject_header_surrogates(value, HEADER)
    if not value.strip():
        raise InvalidParameterError(HEADER, "it is empty; send up to 255 visible characters.")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidParameterError(
            HEADER, f"it is {len(value)} characters long; the limit is {MAX_KEY_LENGTH}."
        )
    if not all(" " <= char <= "~" for char in value):
        raise InvalidParameterError(
            HEADER, "use visible ASCII characters only (a UUID, for instance)."
        )
    return value


def fingerprint(request: HttpRequest) -> str:
    """What must be the same for a retry: the method, the path with its query string, and the
    body's bytes. The body must have been read through `request.body`."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode("utf-8", "backslashreplace"))
        digest.update(b"\x00")
    digest.update(request.body)
    return digest.hexdigest()


def cutoff():
    return timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_RETENTION_HOURS)


def in_flight_cutoff():
    """Reserved before this and still unanswered: the request died with its process."""
    return timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS)


def reserve(
    request: HttpRequest, *, key: str, org_id, api_key_id, request_fingerprint: str
) -> Reservation:
    """Reserves `key` for this request, committed at once; or raises Replay (done before),
    ConflictError (still running) or InvalidInputError (the key was used for another
    request)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    org_id=org_id,
                    api_key_id=api_key_id,
                    key=key,
                    fingerprint=request_fingerprint,
                    request_guid=request.guid,
                    created_at=timezone.now(),
                )
            return Reservation(pk=row.pk, request_guid=request.guid)
        except IntegrityError:
            pass
        existing = IdempotentRequest.objects.filter(api_key_id=api_key_id, key=key).first()
        if existing is None:
            continue  # the first request failed and let the key go meanwhile: take it
        expired = cutoff()
        if existing.created_at < expired:
            IdempotentRequest.objects.filter(pk=existing.pk, created_at__lt=expired).delete()
            continue
        if existing.fingerprint != request_fingerprint:
            raise InvalidInputError(
                f"This {HEADER} was already used for another request (a different method, "
                "path or body); send a new key for a new request.",
                detail={HEADER: ["Already used for a different request."]},
            )
        if existing.status is None:
            if existing.created_at >= in_flight_cutoff():
                raise in_flight_error()
            taken = IdempotentRequest.objects.filter(
                pk=existing.pk, status__isnull=True, created_at=existing.created_at
            ).update(request_guid=request.guid, created_at=timezone.now())
            if taken:
                logger.warning(
                    "%s %s: took over a reservation left unanswered since %s",
                    HEADER,
                    existing.pk,
                    existing.created_at.isoformat(),
                )
                return Reservation(pk=existing.pk, request_guid=request.guid)
            continue  # another retry took it, or the first request answered meanwhile
        raise Replay(replayed_response(existing))
    raise in_flight_error()


def in_flight_error() -> ConflictError:
    return ConflictError(
        f"A request with this {HEADER} is still being processed; retry after it finished.",
        detail={HEADER: ["A request with this key is still running."]},
    )


def replayed_response(stored: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(bytes(stored.response_body), status=stored.status)
    for name, value in stored.response_headers:
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    response.enveloped = True  # api.middleware leaves it as it is
    return response


def finish(reservation: Reservation, request: HttpRequest, response: HttpResponseBase) -> None:
    """Stores the response for retries, or lets the key go when the request failed in a way
    that a retry may fix (a 5xx, or a write that collided and wrote nothing). Nothing, when a
    retry took the reservation over meanwhile: the row is the retry's now."""
    rows = IdempotentRequest.objects.filter(
        pk=reservation.pk, request_guid=reservation.request_guid
    )
    try:
        if response.status_code >= 500 or getattr(response, "retryable", False):
            rows.delete()
            return
        render = getattr(response, "render", None)
        if callable(render):
            render()
        headers = [
            [name, value]
            for name, value in response.items()
            if name.lower() not in NOT_STORED_HEADERS
        ]
        headers.append(["X-Request-Id", str(request.guid)])
        rows.update(
            status=response.status_code, response_headers=headers, response_body=response.content
        )
    except DatabaseError:
        # The key stays reserved (a retry is a 409 until the in-flight timeout passes) rather
        # than risk a second write at once; the response itself still reaches the client.
        logger.exception("Could not store the response for %s %s", HEADER, reservation.pk)


def purge_expired() -> int:
    """Deletes the keys past the retention period; returns how many went."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff()).delete()
    return deleted
