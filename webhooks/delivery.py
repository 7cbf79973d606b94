"""The worker's side: claim the deliveries that are due, send them, log the attempts, and
schedule the next ones or give up.

A worker keeps up to WEBHOOK_SEND_CONCURRENCY sends in flight, on a pool of threads that only
do HTTP; this thread does every database write, in batches. It claims only as many
deliveries as it has free senders, so each claimed delivery goes out at once.

Claiming is one `UPDATE … RETURNING` around `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL,
so any number of workers claim disjoint deliveries (SQLite runs one writing transaction at a
time, which does the same for its one worker). A claim is a lease, taken just before the send
and checked when the result is written: a worker that dies mid-send holds its deliveries only
until the lease ends, and then another worker (woken by the wake-up queued with the claim, or
by the sweep) takes them over; a result whose lease was lost meanwhile (a retry, a takeover)
is logged as an attempt but changes nothing else. Delivery is at least once; receivers
deduplicate by `webhook-id`. No order is promised (docs/webhooks.md), and sends to one
endpoint run concurrently like any others, up to WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT at once
across all workers: a claim passes over the deliveries of an endpoint that has that many in
flight, so a slow, hanging or failing endpoint with a backlog holds a few senders, never all
of them, and the other endpoints' deliveries go out meanwhile."""

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from webhooks.attempts import Outcome, record_attempts, record_outcomes
from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from webhooks.sending import SendResult, post, signature_header
from webhooks.services import create_test_event
from webhooks.wake_ups import wake_workers

logger = logging.getLogger("webhooks.delivery")
# One call stops claiming after this long (and queues a wake-up to go on): the worker runs
# other tasks too, and stops gracefully only between tasks.
CLAIM_FOR_SECONDS = 10.0


def deliver_due(*, limit: int | None = None) -> int:
    """Claims the due deliveries, up to `limit` at a time, and sends them, several at once,
    until none is due; the number claimed. Each round is one transaction that writes the
    results that came in and claims as many deliveries as there are free senders. One
    delivery's failure, whatever it is, is that delivery's attempt, not the batch's end."""
    batch = limit or settings.WEBHOOK_CLAIM_SIZE
    concurrency = max(1, settings.WEBHOOK_SEND_CONCURRENCY)
    senders = _senders(concurrency)
    # A claim for one or two free senders would cost a round of its own: wait for a handful
    # (the results that come in meanwhile are written together, too).
    top_up = max(1, min(batch, concurrency) // 2)
    stop_claiming = time.monotonic() + CLAIM_FOR_SECONDS
    in_flight: dict[Future, tuple[Delivery, datetime]] = {}
    finished: list[Outcome] = []
    claimed_total, more_due, woke_another = 0, True, False
    while True:
        room = concurrency - len(in_flight)
        wanted = min(batch, room) if more_due and (room >= top_up or not in_flight) else 0
        if wanted and time.monotonic() > stop_claiming:
            wake_workers()  # the rest in another task, maybe on another worker
            more_due, wanted = False, 0
        try:
            claimed, held_back = _round(finished, wanted=wanted, wake_another=not woke_another)
        except Exception:
            if not in_flight:
                raise
            # Claiming failed (the results are written): finish the sends in flight, whose
            # results can still be written, rather than leave them to their leases' end.
            logger.exception("Claiming webhook deliveries failed")
            claimed, held_back, wanted, more_due = [], False, 0, False
        if wanted:
            claimed_total += len(claimed)
            # Deliveries held back for their endpoint's limit are due all the same: claim
            # again as sends finish (the next claim is made when one does, not in a spin).
            more_due = len(claimed) == wanted or (held_back and bool(in_flight or claimed))
            woke_another = woke_another or more_due
        for delivery, prepared in _prepare(claimed):
            in_flight[senders.submit(_send, prepared)] = (delivery, prepared.started_at)
        if not in_flight:
            return claimed_total
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        finished = [_outcome(future, *in_flight.pop(future)) for future in done]


def _round(
    outcomes: list[Outcome], *, wanted: int, wake_another: bool
) -> tuple[list[Delivery], bool]:
    """Writes `outcomes` and claims up to `wanted` deliveries in one transaction (one commit,
    the costly part of a write, for both); the claimed deliveries, and whether due ones were
    held back for their endpoint's limit. When the claim is full and `wake_another`, another
    worker is woken to share the work."""
    if not outcomes and not wanted:
        return [], False
    try:
        with transaction.atomic():
            record_outcomes(outcomes)
            ids, held_back = _claim(limit=wanted) if wanted else ([], False)
            if ids and len(ids) == wanted and wake_another:
                wake_workers()
    except Exception:
        if not outcomes:
            raise
        logger.exception("Writing %s results failed; writing each alone", len(outcomes))
        record_attempts(outcomes)
        if not wanted:
            return [], False
        with transaction.atomic():
            ids, held_back = _claim(limit=wanted)
    return _load(ids), held_back


def claim_due(*, limit: int) -> list[Delivery]:
    """Leases up to `limit` due deliveries to this worker; they come with their endpoint and
    event, oldest due first."""
    with transaction.atomic():
        ids, _ = _claim(limit=limit)
    return _load(ids)


def _claim(*, limit: int) -> tuple[list[UUID], bool]:
    """The ids leased, and whether due deliveries were held back for their endpoint's limit."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    ids, held_back = _lease(now=now, lease_until=lease_until, limit=limit)
    if ids:
        _wake_when_lease_ends(lease_until)
    return ids, held_back


def _load(ids: list[UUID]) -> list[Delivery]:
    """The claimed deliveries with their events, oldest due first, and their endpoints, each
    loaded once however many of its deliveries there are (a batch is often one endpoint's)."""
    if not ids:
        return []
    claimed = list(Delivery.objects.filter(id__in=ids).select_related("event"))
    endpoints = Endpoint.objects.in_bulk({delivery.endpoint_id for delivery in claimed})
    # An endpoint deleted in between took its deliveries with it: nothing to send.
    claimed = [delivery for delivery in claimed if delivery.endpoint_id in endpoints]
    for delivery in claimed:
        delivery.endpoint = endpoints[delivery.endpoint_id]
    return sorted(claimed, key=lambda delivery: (delivery.next_attempt_at, delivery.id))


# Passes of one claim over the due deliveries; each one after the first skips at least one
# more endpoint at its limit, so a claim costs a few queries however long the backlogs are.
CLAIM_PASSES = 4


def _lease(*, now: datetime, lease_until: datetime, limit: int) -> tuple[list[UUID], bool]:
    """Sets `lease_until` on up to `limit` due deliveries no one holds, oldest due first,
    but no more per endpoint than it has room for under WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT
    (counting every worker's sends in flight); their ids, and whether due deliveries were
    passed over for that limit. Rows another worker is claiming right now are skipped
    (PostgreSQL); those passed over stay locked only until this transaction ends."""
    max_in_flight = max(1, settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT)
    in_flight = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, lease_until__gte=now)
        .values_list("endpoint_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    room = {endpoint_id: max_in_flight - count for endpoint_id, count in in_flight}
    full = {endpoint_id for endpoint_id, left in room.items() if left <= 0}
    due = Delivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    chosen: list[UUID] = []
    held_back = False
    for _ in range(CLAIM_PASSES):
        wanted = limit - len(chosen)
        candidates = due.exclude(endpoint_id__in=full).exclude(id__in=chosen)
        rows = list(candidates.values_list("id", "endpoint_id")[:wanted])
        for delivery_id, endpoint_id in rows:
            left = room.get(endpoint_id, max_in_flight)
            if left <= 0:
                held_back = True
                continue
            chosen.append(delivery_id)
            room[endpoint_id] = left - 1
            if left == 1:
                full.add(endpoint_id)
        if len(rows) < wanted or len(chosen) == limit:
            break
    if chosen:
        Delivery.objects.filter(id__in=chosen).update(lease_until=lease_until)
    return chosen, held_back or (len(chosen) < limit and bool(full))


# The end of the lease covered by the last lease-end wake-up this process queued (see below).
_lease_wake = {"covers_until": None}
_lease_wake_lock = threading.Lock()


def _wake_when_lease_ends(lease_until: datetime) -> None:
    """Should this worker die, its deliveries are due again when their lease ends: a wake-up
    then lets another worker take them over. One wake-up covers the leases that end within a
    twelfth of the lease time (5 s of 60) after the first: a busy worker claims many times a
    second, and a wake-up per claim would leave thousands of task rows that each run a
    query for nothing. A takeover comes at most that much later."""
    with _lease_wake_lock:
        covered = _lease_wake["covers_until"]
        if covered is not None and lease_until <= covered:
            return
    wake_at = lease_until + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS / 12)
    wake_workers(run_after=wake_at)

    def covered_from_now_on() -> None:
        with _lease_wake_lock:
            _lease_wake["covers_until"] = wake_at

    transaction.on_commit(covered_from_now_on)


@dataclass
class _Prepared:
    url: str
    headers: dict[str, str]
    body: str
    started_at: datetime


def _prepare(claimed: list[Delivery]) -> Iterator[tuple[Delivery, _Prepared]]:
    """The signed request of each claimed delivery. A delivery to an endpoint turned off
    meanwhile fails without an attempt; one that cannot be prepared is a failed attempt."""
    inactive = []
    for delivery in claimed:
        started_at = timezone.now()
        if not delivery.endpoint.active:
            inactive.append(delivery)
            continue
        try:
            prepared = _request(delivery, delivery.endpoint, started_at)
        except Exception as exc:
            logger.exception("Preparing delivery %s failed", delivery.pk)
            record_attempts([Outcome(delivery, _crash(exc), started_at)])
            continue
        yield delivery, prepared
    _fail_inactive(inactive)


def _request(delivery: Delivery, endpoint: Endpoint, started_at: datetime) -> _Prepared:
    event = delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
    msg_id = event.public_id
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(started_at.timestamp())),
        "webhook-signature": signature_header(
            signing_secrets(endpoint, at=started_at),
            msg_id=msg_id,
            timestamp=started_at,
            body=body,
        ),
    }
    return _Prepared(url=endpoint.url, headers=headers, body=body, started_at=started_at)


def _fail_inactive(deliveries: list[Delivery]) -> None:
    for lease_until in {delivery.lease_until for delivery in deliveries}:
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries if d.lease_until == lease_until],
            lease_until=lease_until,
        ).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            lease_until=None,
            last_error="The endpoint is not active.",
            updated_at=timezone.now(),
        )


def _send(prepared: _Prepared) -> SendResult:
    """On a sender thread: HTTP only, never the database."""
    return post(url=prepared.url, headers=prepared.headers, body=prepared.body)


def _outcome(future: Future, delivery: Delivery, started_at: datetime) -> Outcome:
    try:
        result = future.result()
    except Exception as exc:  # an unexpected error while sending is a failed attempt
        logger.error("Sending delivery %s failed", delivery.pk, exc_info=exc)
        result = _crash(exc)
    return Outcome(delivery, result, started_at)


def _crash(exc: Exception) -> SendResult:
    error = f"Internal error while sending: {type(exc).__name__}"
    return SendResult(status_code=None, response_body="", error=error, duration_ms=0.0)


_sender_pool: ThreadPoolExecutor | None = None
_sender_pool_size = 0
_sender_pool_lock = threading.Lock()


def _senders(size: int) -> ThreadPoolExecutor:
    """This process's sender threads (made once; again only if the setting changes)."""
    global _sender_pool, _sender_pool_size
    with _sender_pool_lock:
        if _sender_pool is None or _sender_pool_size != size:
            if _sender_pool is not None:
                _sender_pool.shutdown(wait=False)
            _sender_pool = ThreadPoolExecutor(size, thread_name_prefix="webhook-send")
            _sender_pool_size = size
        return _sender_pool


def attempt(delivery: Delivery) -> Attempt | None:
    """Sends one claimed delivery now, in this thread, and records what happened. Nothing is
    sent when the claim was lost meanwhile (another worker took it over, a retry, a
    deletion), and a delivery to an endpoint turned off meanwhile fails without an attempt."""
    started_at = timezone.now()
    if not _renew_lease(delivery, now=started_at):
        return None
    endpoint = Endpoint.objects.filter(pk=delivery.endpoint_id).first()
    if endpoint is None:
        return None
    if not endpoint.active:
        _fail_inactive([delivery])
        return None
    delivery.endpoint = endpoint
    try:
        prepared = _request(delivery, endpoint, started_at)
        result = post(url=prepared.url, headers=prepared.headers, body=prepared.body)
    except Exception as exc:
        logger.exception("Sending delivery %s failed", delivery.pk)
        result = _crash(exc)
    return record_attempts([Outcome(delivery, result, started_at)]).get(delivery.pk)


def _renew_lease(delivery: Delivery, *, now: datetime) -> bool:
    """Extends this worker's claim for one send; False when it no longer holds it."""
    renewed = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    held = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, lease_until=delivery.lease_until
    ).update(lease_until=renewed)
    if held:
        delivery.lease_until = renewed
    return bool(held)


def signing_secrets(endpoint: Endpoint, *, at: datetime) -> list[str]:
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and at < expires:
        secrets.append(endpoint.previous_secret)
    return secrets


def send_test_event(endpoint: Endpoint) -> Delivery:
    """A `webhook.test` event sent to the endpoint now; the delivery, with its attempt."""
    delivery = create_test_event(endpoint)
    claimed = Delivery.objects.select_related("endpoint", "event").get(pk=delivery.pk)
    attempt(claimed)
    return Delivery.objects.select_related("event").get(pk=delivery.pk)
