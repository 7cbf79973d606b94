"""Merge: two records that are one thing become one. The survivor keeps its values, takes the
merged record's values for the fields it has none for, and takes over every link to the merged
record, which is then deleted."""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from api.exceptions import InvalidInputError, NotFoundError
from api.tenancy import for_org
from records.models import Record, UniqueValue
from records.object_schema import ObjectSchema
from records.services.records import UNSET, check_version, ensure_not_archived, record_name
from records.services.references import rewrite_references
from records.services.unique_values import claim_unique_values
from records.signals import DELETED, RecordChange, send_changes, updated


@dataclass
class MergeOutcome:
    record: Record
    merged_id: str
    filled: list[str] = field(default_factory=list)  # api_names of the fields filled in
    relinked: list[Record] = field(default_factory=list)  # other records whose links moved


@transaction.atomic
def merge_records(
    *,
    schema: ObjectSchema,
    survivor: Record,
    merged: Record,
    expected_versions: Collection[int] | None = None,
) -> MergeOutcome:
    """Merges `merged` into `survivor` (both records of `schema`'s object). An archived
    survivor is a 409, as for any change; the merged record may be archived.
    `expected_versions` are the survivor's (see records.services.records)."""
    if survivor.pk == merged.pk:
        raise InvalidInputError(
            "A record cannot be merged into itself.",
            detail={"from": ["Give the id of another record."]},
        )
    locked = {
        row.pk: row
        for row in for_org(Record, org_id=schema.obj.org_id)
        .filter(object=schema.obj, pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
        .select_for_update()
    }
    if len(locked) != 2:
        raise NotFoundError("One of the records was deleted meanwhile.")
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    check_version(survivor, expected_versions)
    ensure_not_archived(survivor)
    survivor_id, merged_id = str(survivor.pk), str(merged.pk)
    filled = _values_to_fill(schema, survivor, merged)
    original_name, original_values = survivor.name, dict(survivor.values)
    relinked = rewrite_references(
        org_id=survivor.org_id,
        target=schema.obj,
        replacements={merged_id: survivor_id},
        pending={survivor_id: survivor},
    )
    links_changed = any(record is survivor for record, _ in relinked)
    others = [(record, before) for record, before in relinked if record is not survivor]
    now = timezone.now()
    for record, _ in others:
        record.version += 1
        record.updated_at = now
    Record.objects.bulk_update([r for r, _ in others], ["values", "version", "updated_at"])
    changes = [RecordChange(type=DELETED, record=merged, schema=schema)]
    changes += [updated(record, name=record.name, values=before) for record, before in others]
    # The merged record's unique values are let go first, so that the survivor can take them.
    for_org(UniqueValue, org_id=merged.org_id).filter(record=merged).delete()
    # Through a queryset, so that `merged` keeps its id for the event that reports it.
    for_org(Record, org_id=merged.org_id).filter(pk=merged.pk).delete()
    values = {**survivor.values, **filled}
    name = record_name(schema, UNSET, values, current=survivor.name)
    if filled or links_changed or name != survivor.name:
        survivor.values, survivor.name = values, name
        survivor.version += 1
        survivor.updated_at = now
        survivor.save()
        claim_unique_values(survivor, schema, filled)
        changes.insert(
            0, updated(survivor, name=original_name, values=original_values, schema=schema)
        )
    send_changes(changes)
    by_key = schema.by_key()
    return MergeOutcome(
        record=survivor,
        merged_id=merged_id,
        filled=[by_key[key].api_name for key in filled],
        relinked=[record for record, _ in others],
    )


def _values_to_fill(schema: ObjectSchema, survivor: Record, merged: Record) -> dict[str, Any]:
    """The merged record's values for the fields the survivor has none for; links between
    the two would become links of the survivor to itself and are left out."""
    pair = {str(survivor.pk), str(merged.pk)}
    filled: dict[str, Any] = {}
    for field_ in schema.fields:  # in display order, so the summary reads like the record
        key = field_.key
        if key not in merged.values or key in survivor.values:
            continue
        value = merged.values[key]
        if field_.kind.links_records:
            ids = [i for i in (value if isinstance(value, list) else [value]) if i not in pair]
            if not ids:
                continue
            value = ids if isinstance(value, list) else ids[0]
        filled[key] = value
    return filled


def merge_summary(outcome: MergeOutcome) -> dict[str, Any]:
    """What changed, as the API and the admin say it."""
    return {
        "merged_id": outcome.merged_id,
        "filled_fields": outcome.filled,
        "relinked_records": [
            {"id": str(record.pk), "object": record.object.api_name, "name": record.name}
            for record in outcome.relinked
        ],
    }
