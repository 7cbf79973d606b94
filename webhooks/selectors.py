"""Reads of the webhooks app."""

from uuid import UUID

from django.db.models import Prefetch, QuerySet

from api.exceptions import NotFoundError
from api.tenancy import for_org
from webhooks.filters import EventFilters
from webhooks.models import Attempt, Delivery, Endpoint, Event


def endpoints(*, org_id: UUID) -> QuerySet[Endpoint]:
    return for_org(Endpoint, org_id=org_id).order_by("created_at", "id")


def endpoint(*, org_id: UUID, endpoint_id: str) -> Endpoint:
    found = _by_uuid(endpoints(org_id=org_id), endpoint_id)
    if found is None:
        raise NotFoundError(f"No webhook endpoint '{endpoint_id}' exists in this organization.")
    return found


def deliveries(*, endpoint: Endpoint, status: str | None = None) -> QuerySet[Delivery]:
    """Newest first, with their event and attempts (two queries per page, not one per row)."""
    queryset = (
        for_org(Delivery, org_id=endpoint.org_id)
        .filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("number")))
        .order_by("-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def delivery(*, endpoint: Endpoint, delivery_id: str) -> Delivery:
    found = _by_uuid(deliveries(endpoint=endpoint), delivery_id)
    if found is None:
        raise NotFoundError(f"No delivery '{delivery_id}' exists for this endpoint.")
    return found


def events(*, org_id: UUID, filters: EventFilters | None = None) -> QuerySet[Event]:
    """Newest first (ids are time-ordered); after a cursor, the events that came after it,
    oldest first, so that a poller reads on from the last id it saw."""
    queryset = for_org(Event, org_id=org_id)
    filters = filters or EventFilters()
    if filters.event_type:
        queryset = queryset.filter(type=filters.event_type)
    if filters.object_name:
        queryset = queryset.filter(object_name=filters.object_name)
    for lookup, bound in filters.created_at.items():
        queryset = queryset.filter(**{f"created_at__{lookup}": bound})
    if filters.after is not None:
        return queryset.filter(id__gt=filters.after).order_by("id")
    return queryset.order_by("-id")


def _by_uuid(queryset, value: str):
    try:
        key = UUID(str(value))
    except ValueError:
        return None
    return queryset.filter(pk=key).first()
