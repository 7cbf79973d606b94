"""Every write of a record: create, update, archive, unarchive, delete. Each runs in one
transaction, bumps `version` and `updated_at`, and writes nothing when anything is wrong."""

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.exceptions import BadRequestError, ConflictError, MissingInputError
from api.tenancy import for_org
from records.models import Field, Record, UniqueValue
from records.registry import policy_for
from records.services.references import rewrite_references
from records.values import MAX_NAME, ObjectSchema, check_relationship_targets, clean_values

UNSET: Any = object()


def unique_token(field: Field, value: Any) -> str:
    """The form a unique value is compared in: emails case-insensitively, long values hashed."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if field.type == "email":
        text = text.lower()
    if len(text) > 255:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def claim_unique_values(record: Record, schema: ObjectSchema, values: dict[str, Any]) -> None:
    """Inserts one UniqueValue row per unique field written; the database's unique constraint
    makes a concurrent duplicate fail here, and the transaction then rolls back whole."""
    fields = [f for f in schema.fields if f.unique and f.key in values]
    if not fields:
        return
    for_org(UniqueValue, org_id=record.org_id).filter(record=record, field__in=fields).delete()
    rows = [
        UniqueValue(
            org_id=record.org_id, field=f, record=record, value=unique_token(f, values[f.key])
        )
        for f in fields
        if values[f.key] is not None
    ]
    try:
        with transaction.atomic():
            UniqueValue.objects.bulk_create(rows)
    except IntegrityError:
        raise _duplicate_error(record, rows) from None


def _duplicate_error(record: Record, rows: list[UniqueValue]) -> ConflictError:
    for row in rows:
        existing = (
            for_org(UniqueValue, org_id=record.org_id)
            .filter(field=row.field, value=row.value)
            .exclude(record=record)
            .values_list("record_id", flat=True)
            .first()
        )
        if existing is not None:
            return duplicate_value_error(row.field, existing)
    # The other writer has not committed yet (or rolled back): still a conflict.
    return ConflictError("Another record is being written with the same unique value.")


def duplicate_value_error(field: Field, holder_id: Any) -> ConflictError:
    return ConflictError(
        f"Another record already has this {field.api_name}: {holder_id}.",
        detail={
            f"fields.{field.api_name}": [f"Already used by record {holder_id}."],
            "existing_id": str(holder_id),
        },
    )


def record_name(schema: ObjectSchema, name: Any, values: dict[str, Any], current: str = "") -> str:
    """The record's name: derived from its values for objects whose policy says so (a name
    sent for those is a 400), otherwise as sent; required either way."""
    policy = policy_for(schema.obj)
    if policy.derives_name():
        if name is not UNSET:
            raise BadRequestError(
                f"The name of a {schema.obj.api_name} record is derived from its fields; "
                "set those instead.",
                detail={"name": ["Derived; cannot be set."]},
            )
        return policy.derive_name(fields=schema.fields, values=values)[:MAX_NAME]
    if name is UNSET:
        name = current
    if not name:
        raise MissingInputError(["name"])
    return name


@transaction.atomic
def create_record(*, schema: ObjectSchema, name: Any = UNSET, fields: Any = None) -> Record:
    """`name` is required unless the object derives it (contacts)."""
    obj = schema.obj
    values = clean_values(schema, fields, creating=True)
    name = record_name(schema, name, values)
    check_relationship_targets(org_id=obj.org_id, schema=schema, values=values)
    record = Record(org_id=obj.org_id, object=obj, name=name, values=values)
    record.save(force_insert=True)
    claim_unique_values(record, schema, values)
    return record


def lock_record(record: Record) -> Record:
    """The record re-read under a row lock, so concurrent updates apply one after another."""
    return Record.objects.select_for_update().get(pk=record.pk)


@transaction.atomic
def update_record(
    *, schema: ObjectSchema, record: Record, name: str = UNSET, fields: Any = None
) -> Record:
    """A sparse update: only the fields sent change; None clears a field. An archived record
    is not changed (409): unarchive it first."""
    changes = clean_values(schema, fields, creating=False)
    check_relationship_targets(org_id=record.org_id, schema=schema, values=changes)
    record = lock_record(record)
    ensure_not_archived(record)
    changed = apply_update(schema=schema, record=record, name=name, changes=changes)
    if changed is None:
        return record  # nothing changes, so no new version (a repeated sync is a no-op)
    record.save()
    claim_unique_values(record, schema, changed)
    return record


def ensure_not_archived(record: Record) -> None:
    if record.archived_at is not None:
        raise ConflictError(
            f"The record {record.pk} is archived; unarchive it before changing it.",
            detail={"archived_at": record.archived_at.isoformat()},
        )


def apply_update(
    *, schema: ObjectSchema, record: Record, name: Any, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Applies cleaned sparse `changes` (None clears) and `name` to the record in memory and
    bumps its version. Returns {key: new value} of the fields that changed, or None (the
    record untouched) when nothing changes at all."""
    values = dict(record.values)
    changed = {key: value for key, value in changes.items() if values.get(key) != value}
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    new_name = record_name(schema, name, values, current=record.name)
    if values == record.values and new_name == record.name:
        return None
    record.name = new_name
    record.values = values
    record.version += 1
    record.updated_at = timezone.now()
    return changed


@transaction.atomic
def archive_record(*, record: Record) -> Record:
    """Idempotent: archiving an archived record changes nothing."""
    record = lock_record(record)
    if record.archived_at is None:
        record.archived_at = timezone.now()
        record.version += 1
        record.save()
    return record


@transaction.atomic
def unarchive_record(*, record: Record) -> Record:
    record = lock_record(record)
    if record.archived_at is not None:
        record.archived_at = None
        record.version += 1
        record.save()
    return record


@transaction.atomic
def delete_record(*, record: Record) -> None:
    """Deletes the record and clears every relationship value that pointed at it."""
    unlinked = rewrite_references(
        org_id=record.org_id, target=record.object, replacements={str(record.pk): None}
    )
    now = timezone.now()
    for linked in unlinked:
        linked.version += 1
        linked.updated_at = now
    Record.objects.bulk_update(unlinked, ["values", "version", "updated_at"])
    record.delete()
