"""What became of sends: each attempt logged, and each delivery moved on (succeeded, retried
later, or failed for good) and its endpoint's health noted, in a few statements for a whole
round of sends (webhooks.delivery sends them)."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from webhooks.sending import SendResult
from webhooks.services import disable_endpoint
from webhooks.wake_ups import wake_workers

logger = logging.getLogger("webhooks.delivery")
GONE = 410
ANY_LEASE = object()


@dataclass
class Outcome:
    """What became of one claimed delivery's send."""

    delivery: Delivery
    result: SendResult
    started_at: datetime


def record_attempts(outcomes: list[Outcome]) -> dict[UUID, Attempt]:
    """Logs the attempts and moves the deliveries on, in a few statements for them all; the
    attempts by delivery id. Should that fail (a deadlock with a disabling, say), each is
    recorded on its own, so that one cannot cost the others their results."""
    if not outcomes:
        return {}
    try:
        with transaction.atomic():
            return record_outcomes(outcomes)
    except Exception:
        if len(outcomes) == 1:
            logger.exception("Recording the attempt of delivery %s failed", outcomes[0].delivery.pk)
            return {}
        logger.exception("Recording %s attempts failed; recording each alone", len(outcomes))
    logged = {}
    for outcome in outcomes:
        logged.update(record_attempts([outcome]))
    return logged


def record_outcomes(outcomes: list[Outcome]) -> dict[UUID, Attempt]:
    """Logs the attempts and moves each delivery on if this worker still holds its claim (a
    late result must not overwrite what a newer attempt wrote); the attempt is logged either
    way. Runs in the caller's transaction."""
    if not outcomes:
        return {}
    now = timezone.now()
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    # Deliveries whose rows get the same new values share one UPDATE (a batch is mostly one
    # group: all succeeded, under one claim's lease); it answers with each row's count.
    groups: dict[tuple, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        result = outcome.result
        if result.succeeded:
            status, next_attempt_at = DeliveryStatus.SUCCEEDED, None
        else:
            number = outcome.delivery.attempt_count + 1  # as claimed; checked below
            if result.status_code == GONE or number >= len(schedule):
                status, next_attempt_at = DeliveryStatus.FAILED, None
            else:
                status = DeliveryStatus.PENDING
                next_attempt_at = now + timedelta(seconds=schedule[number])
        key = (outcome.delivery.lease_until, status, next_attempt_at, result.status_code)
        groups[(*key, result.error)].append(outcome)
    counts: dict[UUID, int] = {}
    moved: list[Outcome] = []
    for (held, status, next_attempt_at, status_code, error), group in groups.items():
        updated = _update(
            [outcome.delivery.pk for outcome in group],
            held=held,
            status=status,
            next_attempt_at=next_attempt_at,
            lease_until=None,
            last_status_code=status_code,
            last_error=error,
            updated_at=now,
        )
        counts.update(updated)
        moved.extend(outcome for outcome in group if outcome.delivery.pk in updated)
        if next_attempt_at is not None and updated:
            wake_workers(run_after=next_attempt_at)
    for outcome in moved:
        if not outcome.result.succeeded and counts[outcome.delivery.pk] != (
            outcome.delivery.attempt_count + 1
        ):
            _reschedule(outcome, number=counts[outcome.delivery.pk], now=now)
    # The rest lost their claim (or were deleted): their attempt is counted, nothing else.
    lost = [o.delivery.pk for o in outcomes if o.delivery.pk not in counts]
    if lost:
        counts.update(_update(lost, held=ANY_LEASE, updated_at=now))
    logged = {
        outcome.delivery.pk: Attempt(
            org_id=outcome.delivery.org_id,
            delivery_id=outcome.delivery.pk,
            number=counts[outcome.delivery.pk],
            started_at=outcome.started_at,
            duration_ms=outcome.result.duration_ms,
            status_code=outcome.result.status_code,
            response_body=outcome.result.response_body,
            error=outcome.result.error,
        )
        for outcome in outcomes
        if outcome.delivery.pk in counts  # not deleted meanwhile (its endpoint, a purge)
    }
    Attempt.objects.bulk_create(logged.values())
    _endpoint_health(moved, now=now)
    return logged


def _reschedule(outcome: Outcome, *, number: int, now: datetime) -> None:
    """The next attempt of a failed delivery by its true count: a late result of a lost
    claim was counted since this worker claimed it (rare, and the row is locked now)."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if outcome.result.status_code == GONE or number >= len(schedule):
        status, next_attempt_at = DeliveryStatus.FAILED, None
    else:
        status = DeliveryStatus.PENDING
        next_attempt_at = now + timedelta(seconds=schedule[number])
        wake_workers(run_after=next_attempt_at)
    Delivery.objects.filter(pk=outcome.delivery.pk).update(
        status=status, next_attempt_at=next_attempt_at
    )


def _update(ids: list[UUID], *, held: datetime | object | None, **values) -> dict[UUID, int]:
    """`UPDATE … SET attempt_count = attempt_count + 1, <values> WHERE id IN (ids) AND
    lease_until = held RETURNING id, attempt_count`: the rows updated, with their new count.
    With `held=ANY_LEASE`, every row of `ids` is counted, whoever holds it."""
    meta = Delivery._meta
    assignments = ["attempt_count = attempt_count + 1"]
    params: list = []
    for name, value in values.items():
        field = meta.get_field(name)
        assignments.append(f"{field.column} = %s")
        params.append(field.get_db_prep_save(value, connection))
    params.extend(meta.pk.get_db_prep_value(pk, connection) for pk in ids)
    condition = ""
    if held is None:
        condition = " AND lease_until IS NULL"
    elif held is not ANY_LEASE:
        condition = " AND lease_until = %s"
        params.append(connection.ops.adapt_datetimefield_value(held))
    # Only the model's own table and column names are interpolated; values are parameters.
    sql = (
        f"UPDATE {meta.db_table} SET {', '.join(assignments)}"  # noqa: S608
        f" WHERE id IN ({', '.join(['%s'] * len(ids))}){condition}"
        " RETURNING id, attempt_count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {meta.pk.to_python(pk): count for pk, count in cursor.fetchall()}


def _endpoint_health(moved: list[Outcome], *, now: datetime) -> None:
    """A success means the endpoint works (its failing clock stops); 410 disables it, and so
    do failures alone for days (which may fail its other deliveries with it). The endpoints
    as claimed say which of these writes can change anything, so that the usual case, a
    healthy endpoint answering 2xx, costs no statement."""
    endpoints = {outcome.delivery.endpoint_id: outcome.delivery.endpoint for outcome in moved}
    succeeded = {o.delivery.endpoint_id for o in moved if o.result.succeeded}
    gone = {o.delivery.endpoint_id for o in moved if o.result.status_code == GONE}
    failed = {o.delivery.endpoint_id for o in moved if not o.result.succeeded} - gone - succeeded
    clear = [pk for pk in succeeded if endpoints[pk].failing_since is not None]
    if clear:
        # Filtered, so that a healthy endpoint's row is not locked by every success.
        Endpoint.objects.filter(pk__in=clear, failing_since__isnull=False).update(
            failing_since=None
        )
    for endpoint_id in sorted(gone):
        disable_endpoint(endpoint_id, reason="The endpoint answered 410 Gone.")
    for endpoint_id in sorted(failed):
        _note_failure(endpoint_id, now, failing_since=endpoints[endpoint_id].failing_since)


def _note_failure(endpoint_id: UUID, now: datetime, *, failing_since: datetime | None) -> None:
    """An endpoint whose deliveries have all failed for days is disabled. `failing_since`:
    as claimed, to skip the statements that could not change anything."""
    if failing_since is None:
        Endpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
            failing_since=now
        )
        return
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    if failing_since > now - timedelta(days=days):
        return
    stale = Endpoint.objects.filter(  # checked again: a success may have come meanwhile
        pk=endpoint_id, active=True, failing_since__lte=now - timedelta(days=days)
    ).exists()
    if stale:
        disable_endpoint(endpoint_id, reason=f"Every delivery failed for {days:g} days.")
