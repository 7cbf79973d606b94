"""The worker's side: claim the deliveries that are due, send each, log the attempt, and
schedule the next one or give up.

Claiming takes `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of workers
claim disjoint deliveries (SQLite runs one writing transaction at a time, which does the
same for its one worker). A claim is a lease, renewed before each send and checked when the
result is written: a worker that dies mid-send holds its deliveries only until the lease
ends, and then another worker (woken by the wake-up queued with the claim, or by the sweep)
takes them over. Delivery is at least once; receivers deduplicate by `webhook-id`."""

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from webhooks.sending import SendResult, post, signature_header
from webhooks.services import create_test_event, disable_endpoint
from webhooks.tasks import wake_workers

logger = logging.getLogger("webhooks.delivery")
GONE = 410


def deliver_due(*, limit: int | None = None) -> int:
    """Claims up to `limit` due deliveries and sends them; the number claimed. One
    delivery's failure, whatever it is, is that delivery's attempt, not the batch's end."""
    limit = limit or settings.WEBHOOK_CLAIM_SIZE
    claimed = claim_due(limit=limit)
    if len(claimed) == limit:
        wake_workers()  # more may be due: another worker can start on them meanwhile
    for delivery in claimed:
        try:
            attempt(delivery)
        except Exception as exc:
            logger.exception("Sending delivery %s failed", delivery.pk)
            _record_crash(delivery, exc)
    return len(claimed)


def claim_due(*, limit: int) -> list[Delivery]:
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    with transaction.atomic():
        due = (
            Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)
        )
        ids = list(due[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(lease_until=lease_until)
        # Should this worker die, the deliveries are due again when the lease ends.
        wake_workers(run_after=lease_until)
    claimed = Delivery.objects.filter(id__in=ids).select_related("endpoint", "event")
    return sorted(claimed, key=lambda delivery: (delivery.next_attempt_at, delivery.id))


def attempt(delivery: Delivery) -> Attempt | None:
    """Sends the claimed delivery once and records what happened. Nothing is sent when the
    claim was lost meanwhile (another worker took it over, a retry, a deletion), and a
    delivery to an endpoint turned off meanwhile fails without an attempt."""
    started_at = timezone.now()
    if not _renew_lease(delivery, now=started_at):
        return None
    endpoint, event = Endpoint.objects.filter(pk=delivery.endpoint_id).first(), delivery.event
    if endpoint is None:
        return None
    if not endpoint.active:
        Delivery.objects.filter(pk=delivery.pk, lease_until=delivery.lease_until).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            lease_until=None,
            last_error="The endpoint is not active.",
            updated_at=started_at,
        )
        return None
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
    result = post(url=endpoint.url, headers=headers, body=body)
    return record_attempt(delivery, result, started_at=started_at)


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


@transaction.atomic
def record_attempt(delivery: Delivery, result: SendResult, *, started_at) -> Attempt | None:
    """Logs the attempt and moves the delivery on, if this worker still holds its claim (a
    late result must not overwrite what a newer attempt wrote)."""
    current = Delivery.objects.select_for_update().filter(pk=delivery.pk).first()
    if current is None:
        return None  # deleted meanwhile (its endpoint, or the event's purge)
    number = current.attempt_count + 1
    logged = Attempt.objects.create(
        org_id=current.org_id,
        delivery=current,
        number=number,
        started_at=started_at,
        duration_ms=result.duration_ms,
        status_code=result.status_code,
        response_body=result.response_body,
        error=result.error,
    )
    current.attempt_count = number
    if current.lease_until != delivery.lease_until:
        current.save(update_fields=["attempt_count", "updated_at"])
        return logged
    now = timezone.now()
    current.last_status_code = result.status_code
    current.last_error = result.error
    current.lease_until = None
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if result.succeeded:
        current.status, current.next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif result.status_code == GONE or number >= len(schedule):
        current.status, current.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        current.next_attempt_at = now + timedelta(seconds=schedule[number])
        wake_workers(run_after=current.next_attempt_at)
    current.save()
    # Then the endpoint's health, which may fail this delivery with the endpoint's others.
    if result.succeeded:
        # Filtered, so that a healthy endpoint's row is not locked by every success.
        Endpoint.objects.filter(pk=current.endpoint_id, failing_since__isnull=False).update(
            failing_since=None
        )
    elif result.status_code == GONE:
        disable_endpoint(current.endpoint_id, reason="The endpoint answered 410 Gone.")
    else:
        _note_failure(current.endpoint_id, now)
    return logged


def _record_crash(delivery: Delivery, exc: Exception) -> None:
    """An unexpected error while sending is a failed attempt like any other."""
    error = f"Internal error while sending: {type(exc).__name__}"
    result = SendResult(status_code=None, response_body="", error=error, duration_ms=0.0)
    try:
        record_attempt(delivery, result, started_at=timezone.now())
    except Exception:
        logger.exception("Recording the failed attempt of delivery %s failed", delivery.pk)


def _note_failure(endpoint_id, now) -> None:
    """An endpoint whose deliveries have all failed for days is disabled."""
    Endpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    stale = Endpoint.objects.filter(
        pk=endpoint_id, active=True, failing_since__lte=now - timedelta(days=days)
    ).exists()
    if stale:
        disable_endpoint(endpoint_id, reason=f"Every delivery failed for {days:g} days.")


def send_test_event(endpoint: Endpoint) -> Delivery:
    """A `webhook.test` event sent to the endpoint now; the delivery, with its attempt."""
    delivery = create_test_event(endpoint)
    claimed = Delivery.objects.select_related("endpoint", "event").get(pk=delivery.pk)
    try:
        attempt(claimed)
    except Exception as exc:
        logger.exception("Sending test delivery %s failed", delivery.pk)
        _record_crash(claimed, exc)
    return Delivery.objects.select_related("event").get(pk=delivery.pk)
