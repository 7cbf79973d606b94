"""Reads of the records app."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from api.exceptions import InvalidParameterError, NotFoundError
from api.query import SortKey
from api.tenancy import for_org
from records.filters import apply_query_filters
from records.models import Field, Object, Record
from records.ordering import ordering
from records.registry import policy_for
from records.values import ObjectSchema


def objects(*, org_id: UUID) -> QuerySet[Object]:
    fields = Prefetch("fields", queryset=Field.objects.order_by("position", "created_at"))
    return for_org(Object, org_id=org_id).prefetch_related(fields).order_by("api_name")


def object_by_api_name(*, org_id: UUID, api_name: str) -> Object:
    found = objects(org_id=org_id).filter(api_name=api_name).first()
    if found is None:
        raise NotFoundError(f"No object called '{api_name}' exists in this organization.")
    return found


def field_by_name(*, obj: Object, name: str) -> Field:
    """A field by its api_name or one of its former names (aliases)."""
    field = ObjectSchema.of(obj).field(name)
    if field is not None:
        return field
    raise NotFoundError(f"The object '{obj.api_name}' has no field called '{name}'.")


def record(*, obj: Object, record_id: str) -> Record:
    """A record of the object by id, archived or not; anything else is a 404."""
    try:
        key = UUID(str(record_id))
    except ValueError:
        key = None
    if key is not None:
        found = for_org(Record, org_id=obj.org_id).filter(object=obj, pk=key).first()
    else:  # a contact's email, say
        found = policy_for(obj).find(obj=obj, identifier=str(record_id))
    if found is None:
        raise NotFoundError(f"No {obj.api_name} record with id '{record_id}'.")
    return found


ARCHIVED_CHOICES = ("false", "true", "all")


def parse_archived(params: Mapping[str, Any]) -> str:
    """`archived=false` (default) | `true` | `all`; anything else is a 400."""
    archived = params.get("archived", "false")
    if archived not in ARCHIVED_CHOICES:
        raise InvalidParameterError("archived", "expected false, true or all.")
    return archived


def records(
    *,
    schema: ObjectSchema,
    archived: str,
    sort: list[SortKey],
    query_filters: Mapping[str, Any] | None = None,
    condition: Q | None = None,
) -> QuerySet[Record]:
    """The one query builder of lists, searches and the admin: archived state, filters from a
    query string (through the object's FilterSet) or a search body (a Q), and sort."""
    queryset = for_org(Record, org_id=schema.obj.org_id).filter(object=schema.obj)
    if archived == "false":
        queryset = queryset.filter(archived_at__isnull=True)
    elif archived == "true":
        queryset = queryset.filter(archived_at__isnull=False)
    if query_filters:
        queryset = apply_query_filters(schema, queryset, query_filters)
    if condition is not None:
        queryset = queryset.filter(condition)
    return queryset.order_by(*ordering(schema, sort))
