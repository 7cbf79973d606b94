"""Every write of the webhooks app: endpoints (create, update, delete, rotate the secret),
events from record changes (in the writing transaction), test events and retries."""

import base64
import fnmatch
import secrets
from collections import defaultdict
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.bulk_insert import insert_new
from api.exceptions import InvalidInputError
from api.tenancy import for_org
from records.models import Object
from records.object_schema import ObjectSchema
from records.representation import record_payloads, time_text
from records.signals import RECORD_EVENT_TYPES, UPDATED, RecordChange
from webhooks.destinations import check_url
from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, Event, event_public_id
from webhooks.wake_ups import wake_workers

TEST_EVENT = "webhook.test"
EVENT_TYPES = (*RECORD_EVENT_TYPES, TEST_EVENT)
EVENT_PATTERNS = (*EVENT_TYPES, "record.*", "*")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
MAX_DESCRIPTION = 5000


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


# -- endpoints ---------------------------------------------------------------------------------


@transaction.atomic
def create_endpoint(
    *,
    org_id: UUID,
    url: str,
    event_types: Any,
    object_names: Any = None,
    description: str = "",
    active: bool = True,
) -> Endpoint:
    check_url(url)
    endpoint = Endpoint(
        org_id=org_id,
        url=url,
        event_types=_clean_event_types(event_types),
        object_names=_clean_object_names(org_id, object_names),
        description=description,
        active=active,
        secret=new_secret(),
    )
    endpoint.save()
    return endpoint


@transaction.atomic
def update_endpoint(endpoint: Endpoint, *, changes: dict[str, Any]) -> Endpoint:
    """`changes`: any of url, event_types, object_names, description, active. Turning an
    endpoint the platform disabled back on clears the reason."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if "url" in changes:
        check_url(changes["url"])
        endpoint.url = changes["url"]
    if "event_types" in changes:
        endpoint.event_types = _clean_event_types(changes["event_types"])
    if "object_names" in changes:
        endpoint.object_names = _clean_object_names(endpoint.org_id, changes["object_names"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "active" in changes:
        if changes["active"] and not endpoint.active:  # turned back on: a fresh start
            endpoint.disabled_reason, endpoint.disabled_at = "", None
            endpoint.failing_since = None
        endpoint.active = changes["active"]
    endpoint.save()
    return endpoint


def delete_endpoint(endpoint: Endpoint) -> None:
    endpoint.delete()


@transaction.atomic
def rotate_secret(endpoint: Endpoint) -> Endpoint:
    """A new secret; the old one keeps signing beside it for the overlap (24 hours), so a
    receiver can switch without dropping a message."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(
        hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS
    )
    endpoint.secret = new_secret()
    endpoint.save()
    return endpoint


def reencrypt_secrets() -> int:
    """Encrypts every endpoint's secrets again with the first of WEBHOOK_SECRET_KEYS (they
    are read with whichever key decrypts them): the step between adding a key in front and
    removing the old one. Row by row, each locked, so a rotation meanwhile is not undone.
    The number of endpoints."""
    ids = list(Endpoint.objects.values_list("pk", flat=True))
    for endpoint_id in ids:
        with transaction.atomic():
            endpoint = (
                Endpoint.objects.select_for_update()
                .only("secret", "previous_secret")
                .filter(pk=endpoint_id)
                .first()
            )
            if endpoint is not None:  # deleted meanwhile
                Endpoint.objects.filter(pk=endpoint_id).update(
                    secret=endpoint.secret, previous_secret=endpoint.previous_secret
                )
    return len(ids)


def disable_endpoint(endpoint_id: UUID, *, reason: str) -> None:
    """The platform turns an endpoint off (410 Gone, or failing for days); its pending
    deliveries fail. Visible as `disabled_reason` until someone turns it back on. A delivery
    being sent (its claim still held) keeps its own result: one sent at the same moment may
    have been received; if it failed, it fails when it is next claimed."""
    now = timezone.now()
    turned_off = Endpoint.objects.filter(pk=endpoint_id, active=True).update(
        active=False, disabled_reason=reason, disabled_at=now, updated_at=now
    )
    if turned_off:
        not_in_flight = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
        Delivery.objects.filter(
            not_in_flight, endpoint_id=endpoint_id, status=DeliveryStatus.PENDING
        ).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            lease_until=None,
            last_error="The endpoint was disabled: " + reason,
            updated_at=now,
        )


def _clean_event_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(
            "'events' must be a non-empty list of event types.",
            detail={"events": [f"Expected a list of: {', '.join(EVENT_PATTERNS)}."]},
        )
    unknown = [v for v in value if v not in EVENT_PATTERNS]
    if unknown:
        raise InvalidInputError(
            f"Unknown event type: {', '.join(unknown)}.",
            detail={"events": [f"Valid types: {', '.join(EVENT_PATTERNS)}."]},
        )
    return list(dict.fromkeys(value))


def _clean_object_names(org_id: UUID, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(
            "'objects' must be a list of object api_names.",
            detail={"objects": ["Expected a list of strings."]},
        )
    names = list(dict.fromkeys(value))
    known = set(
        for_org(Object, org_id=org_id).filter(api_name__in=names).values_list("api_name", flat=True)
    )
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInputError(
            f"No object called {', '.join(unknown)} exists in this organization.",
            detail={"objects": [f"Unknown object: {name}." for name in unknown]},
        )
    return names


def subscribes(endpoint: Endpoint, *, event_type: str, object_name: str) -> bool:
    if not any(fnmatch.fnmatchcase(event_type, p) for p in endpoint.event_types):
        return False
    return not endpoint.object_names or not object_name or object_name in endpoint.object_names


# -- events ------------------------------------------------------------------------------------


def record_events(sender: Any, *, changes: list[RecordChange], **kwargs: Any) -> None:
    """Listens to records' domain signal: one Event per change and one Delivery per endpoint
    that wants it, written with bulk statements in the transaction of the change itself."""
    now = timezone.now()
    # Made in the order of the changes, so that their time-ordered ids keep that order.
    events = [
        Event(org_id=change.record.org_id, type=change.type, created_at=now) for change in changes
    ]
    by_object: dict[UUID, list[int]] = defaultdict(list)
    for index, change in enumerate(changes):
        by_object[change.record.object_id].append(index)
    for indexes in by_object.values():
        first = changes[indexes[0]]
        schema = first.schema or ObjectSchema.of(first.record.object)
        payloads = record_payloads(
            [changes[i].record for i in indexes], schema, meta=True, fields=True
        )
        for index, data in zip(indexes, payloads, strict=True):
            event, change = events[index], changes[index]
            event.object_name = schema.obj.api_name
            event.record_id = str(change.record.pk)
            event.payload = _payload(event, data, _changes(change, schema))
    _store(events)


@transaction.atomic
def create_test_event(endpoint: Endpoint) -> Delivery:
    """A `webhook.test` event for this endpoint alone, with its delivery claimed by the
    caller, who sends it now; should the caller die mid-send, a worker takes over when the
    claim's lease ends."""
    event = Event(org_id=endpoint.org_id, type=TEST_EVENT, created_at=timezone.now())
    event.payload = _payload(
        event,
        {"endpoint_id": str(endpoint.pk), "message": "A test event from the platform."},
        None,
    )
    event.save()
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    delivery = Delivery.objects.create(
        org_id=endpoint.org_id,
        endpoint=endpoint,
        event=event,
        next_attempt_at=now,
        lease_until=lease_until,
    )
    wake_workers(run_after=lease_until)
    return delivery


def _payload(event: Event, data: dict[str, Any], changes: dict | None) -> dict[str, Any]:
    payload = {
        "id": event_public_id(event.id),
        "type": event.type,
        "created_at": time_text(event.created_at),
        "org_id": str(event.org_id),
        "object": event.object_name or None,
        "data": data,
    }
    if changes is not None:
        payload["changes"] = changes
    return payload


def _changes(change: RecordChange, schema: ObjectSchema) -> dict[str, Any] | None:
    """For an update: {"name" | "fields.<id>": {"from": …, "to": …}} of what changed."""
    if change.type != UPDATED or change.before is None:
        return None
    name_before, values_before = change.before
    record = change.record
    result: dict[str, Any] = {}
    if name_before != record.name:
        result["name"] = {"from": name_before, "to": record.name}
    for field in schema.fields:
        old, new = values_before.get(field.key), record.values.get(field.key)
        if old != new:
            result[f"fields.{field.api_name}"] = {"from": old, "to": new}
    return result


def _store(events: list[Event]) -> None:
    if not events:
        return
    insert_new(events)
    org_id = events[0].org_id
    endpoints = list(for_org(Endpoint, org_id=org_id).filter(active=True))
    first_attempt = timedelta(seconds=settings.WEBHOOK_RETRY_SCHEDULE[0])
    deliveries = [
        Delivery(
            org_id=org_id,
            endpoint=endpoint,
            event=event,
            next_attempt_at=event.created_at + first_attempt,
        )
        for event in events
        for endpoint in endpoints
        if subscribes(endpoint, event_type=event.type, object_name=event.object_name)
    ]
    if deliveries:
        insert_new(deliveries)
        wake_workers(run_after=deliveries[0].next_attempt_at if first_attempt else None)


# -- deliveries --------------------------------------------------------------------------------


@transaction.atomic
def retry_delivery(delivery: Delivery) -> Delivery:
    """Queues a new attempt now, whatever the delivery's state; a failed delivery is pending
    again, with the rest of the schedule ahead of it. A delivery being sent right now keeps
    its worker's claim: that send is the new attempt."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    if delivery.lease_until is not None and delivery.lease_until > now:
        return delivery
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.save()
    wake_workers()
    return delivery


@transaction.atomic
def purge_events(*, older_than_days: int | None = None) -> int:
    """Deletes events past the retention period with their deliveries and attempts: three
    DELETE statements, nothing loaded into memory. The number of events deleted."""
    days = settings.WEBHOOK_EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    old = Event.objects.filter(created_at__lt=cutoff)
    Attempt.objects.filter(delivery__event__in=old.values("id"))._raw_delete("default")
    Delivery.objects.filter(event__in=old.values("id"))._raw_delete("default")
    return old._raw_delete("default")
