"""Clearing the relationship values that point at records about to be deleted: one query per
relationship field that targets their object, however many records go."""

from collections.abc import Collection
from uuid import UUID

from django.db import connection

from api.tenancy import for_org
from records.models import Field, Object, Record


def unlink_references(
    *,
    org_id: UUID,
    target: Object,
    deleted_ids: Collection[str],
    pending: dict[str, Record] | None = None,
) -> list[Record]:
    """Every record whose links point at `deleted_ids` (records of `target`), with those
    links removed in memory: the rows are locked, not saved, their versions not bumped. A
    record the caller already holds (in `pending`, by id) is changed in place, so that each
    record is saved once."""
    pending = pending or {}
    gone = set(deleted_ids)
    if not gone:
        return []
    links = for_org(Field, org_id=org_id).filter(
        type="relationship", options__target=target.api_name
    )
    changed: dict[str, Record] = {}
    for field in links:
        many = field.options.get("many", False)
        candidates = for_org(Record, org_id=org_id).filter(object_id=field.object_id)
        if not many:
            candidates = candidates.filter(**{f"values__{field.key}__in": sorted(gone)})
        elif connection.vendor == "postgresql":  # `?|`: the array holds any of the ids
            candidates = candidates.filter(**{f"values__{field.key}__has_any_keys": sorted(gone)})
        else:  # SQLite has no JSON containment: narrow by key, then look
            candidates = candidates.filter(values__has_key=field.key)
        for found in candidates.exclude(pk__in=gone).order_by("pk").select_for_update():
            key = str(found.pk)
            linked = changed.get(key) or pending.get(key) or found
            if _unlink(linked, field, gone, many=many):
                changed[key] = linked
    return list(changed.values())


def _unlink(record: Record, field: Field, gone: set[str], *, many: bool) -> bool:
    value = record.values.get(field.key)
    if many and isinstance(value, list):
        remaining = [i for i in value if i not in gone]
        if len(remaining) == len(value):
            return False
        if remaining:
            record.values[field.key] = remaining
        else:
            record.values.pop(field.key)
        return True
    if not many and value in gone:
        record.values.pop(field.key)
        return True
    return False
