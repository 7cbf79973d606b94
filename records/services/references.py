"""Rewriting the relationship values that point at records being deleted (links removed) or
merged (links moved to the survivor): one query per relationship field that targets their
object, however many records there are."""

from uuid import UUID

from django.db import IntegrityError

from api.exceptions import ConflictError
from api.tenancy import for_org
from records import value_index
from records.models import Field, Object, Record
from records.services.unique_values import rewrite_unique_values


def rewrite_references(
    *,
    org_id: UUID,
    target: Object,
    replacements: dict[str, str | None],
    pending: dict[str, Record] | None = None,
) -> list[tuple[Record, dict]]:
    """Every record whose links point at a key of `replacements` (ids of `target`'s records),
    with those links pointing at the replacement instead, or removed where it is None (or
    where it would be the record itself). The rows are locked, changed in memory, not saved,
    their versions not bumped; each comes with its values from before the rewrite. Their
    claims on unique relationship fields are rewritten (a clash is a 409). A record the caller
    already holds (in `pending`, by id) is changed in place, so that each record is saved
    once."""
    pending = pending or {}
    if not replacements:
        return []
    old_ids = sorted(replacements)
    links = list(
        for_org(Field, org_id=org_id).filter(type="relationship", options__target=target.api_name)
    )
    # Which records link where, unlocked; then all of them locked in one query, in id order,
    # so that two writers rewriting overlapping records cannot deadlock.
    fields_by_record: dict[str, list[Field]] = {}
    for field in links:
        # The value index has a row per link: an index lookup, whatever the object's size.
        linking = (
            value_index.rows_of(field).filter(text__in=old_ids).values_list("record_id", flat=True)
        )
        for record_id in set(linking) - {UUID(old) for old in old_ids}:
            fields_by_record.setdefault(str(record_id), []).append(field)
    changed: dict[str, tuple[Record, dict]] = {}
    if fields_by_record:
        rows = (
            for_org(Record, org_id=org_id)
            .filter(pk__in=list(fields_by_record))
            .select_related("object")
            .order_by("pk")
            .select_for_update(of=("self",))
        )
        for found in rows:
            key = str(found.pk)
            linked = pending.get(key) or found
            before = dict(linked.values)
            rewritten = False
            for field in fields_by_record[key]:
                many = field.options.get("many", False)
                rewritten |= _rewrite(linked, field, replacements, many=many)
            if rewritten:
                changed[key] = (linked, before)
    unique_links = [field for field in links if field.unique]
    if unique_links and changed:
        records = [record for record, _ in changed.values()]
        try:
            rewrite_unique_values(org_id=org_id, records=records, fields=unique_links)
        except IntegrityError:
            names = ", ".join(field.api_name for field in unique_links)
            raise ConflictError(
                f"Moving the links would leave two records with the same unique {names}.",
                detail={"fields": [field.api_name for field in unique_links]},
            ) from None
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
