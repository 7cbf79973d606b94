"""Rewriting the relationship values that point at records being deleted (links removed) or
merged (links moved to the survivor): one query per relationship field that targets their
object, however many records there are."""

from uuid import UUID

from django.db import connection

from api.tenancy import for_org
from records.models import Field, Object, Record


def rewrite_references(
    *,
    org_id: UUID,
    target: Object,
    replacements: dict[str, str | None],
    pending: dict[str, Record] | None = None,
) -> list[Record]:
    """Every record whose links point at a key of `replacements` (ids of `target`'s records),
    with those links pointing at the replacement instead, or removed where it is None (or
    where it would be the record itself). The rows are locked, changed in memory, not saved,
    their versions not bumped. A record the caller already holds (in `pending`, by id) is
    changed in place, so that each record is saved once."""
    pending = pending or {}
    if not replacements:
        return []
    old_ids = sorted(replacements)
    links = for_org(Field, org_id=org_id).filter(
        type="relationship", options__target=target.api_name
    )
    changed: dict[str, Record] = {}
    for field in links:
        many = field.options.get("many", False)
        candidates = for_org(Record, org_id=org_id).filter(object_id=field.object_id)
        if not many:
            candidates = candidates.filter(**{f"values__{field.key}__in": old_ids})
        elif connection.vendor == "postgresql":  # `?|`: the array holds any of the ids
            candidates = candidates.filter(**{f"values__{field.key}__has_any_keys": old_ids})
        else:  # SQLite has no JSON containment: narrow by key, then look
            candidates = candidates.filter(values__has_key=field.key)
        candidates = candidates.exclude(pk__in=old_ids).select_related("object")
        for found in candidates.order_by("pk").select_for_update(of=("self",)):
            key = str(found.pk)
            linked = changed.get(key) or pending.get(key) or found
            if _rewrite(linked, field, replacements, many=many):
                changed[key] = linked
    return list(changed.values())


def _rewrite(
    record: Record, field: Field, replacements: dict[str, str | None], *, many: bool
) -> bool:
    own_id = str(record.pk)
    value = record.values.get(field.key)
    if many and isinstance(value, list):
        if not any(i in replacements for i in value):
            return False
        rewritten: list[str] = []
        for linked_id in value:
            new_id = replacements.get(linked_id, linked_id)
            if new_id is not None and new_id != own_id and new_id not in rewritten:
                rewritten.append(new_id)
        if rewritten:
            record.values[field.key] = rewritten
        else:
            record.values.pop(field.key)
        return True
    if not many and isinstance(value, str) and value in replacements:
        new_id = replacements[value]
        if new_id is None or new_id == own_id:
            record.values.pop(field.key)
        else:
            record.values[field.key] = new_id
        return True
    return False
