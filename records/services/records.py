"""Every write of a record: create, update, archive, unarchive, delete. Each runs in one
transaction, bumps `version` and `updated_at`, and writes nothing when anything is wrong.

A write to an existing record may be conditional: `expected_versions` (None: any) names the
versions it applies to, checked on the row locked for the write, so that of concurrent writes
expecting one version exactly one applies and the others change nothing (a 412)."""

from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.utils import timezone

from api.exceptions import (
    BadRequestError,
    ConflictError,
    MissingInputError,
    NotFoundError,
    PreconditionFailedError,
)
from records.models import Field, Record
from records.object_schema import ObjectSchema
from records.registry import policy_for
from records.services.references import rewrite_references
from records.services.unique_values import claim_unique_values, same_unique_value
from records.signals import (
    ARCHIVED,
    CREATED,
    DELETED,
    UNARCHIVED,
    RecordChange,
    send_changes,
    updated,
)
from records.values import MAX_NAME, check_relationship_targets, clean_values

UNSET: Any = object()


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
    claim_unique_values(record, schema, values, new=True)
    send_changes([RecordChange(type=CREATED, record=record, schema=schema)])
    return record


def lock_record(record: Record, expected_versions: Collection[int] | None = None) -> Record:
    """The record re-read under a row lock, so concurrent updates apply one after another;
    then checked against the versions the write expects."""
    locked = Record.objects.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise NotFoundError(f"The record {record.pk} was deleted meanwhile.")
    check_version(locked, expected_versions)
    return locked


def check_version(record: Record, expected_versions: Collection[int] | None) -> None:
    """Call on a locked row. None expects nothing; an empty collection matches no version."""
    if expected_versions is not None and record.version not in expected_versions:
        raise PreconditionFailedError(
            f"The record {record.pk} has changed: it is at version {record.version}, not the "
            "one this write expected. Read it again and retry; nothing was changed.",
            detail={"current_version": record.version},
        )


@transaction.atomic
def update_record(
    *,
    schema: ObjectSchema,
    record: Record,
    name: str = UNSET,
    fields: Any = None,
    expected_versions: Collection[int] | None = None,
    matched: Field | None = None,
) -> Record:
    """A sparse update: only the fields sent change; None clears a field. An archived record
    is not changed (409): unarchive it first."""
    changes = clean_values(schema, fields, creating=False)
    check_relationship_targets(org_id=record.org_id, schema=schema, values=changes)
    record = lock_record(record, expected_versions)
    ensure_not_archived(record)
    before_name, before_values = record.name, record.values
    changed = apply_update(
        schema=schema, record=record, name=name, changes=changes, matched=matched
    )
    if changed is None:
        return record  # nothing changes, so no new version (a repeated sync is a no-op)
    record.save()
    claim_unique_values(record, schema, changed)
    send_changes([updated(record, name=before_name, values=before_values, schema=schema)])
    return record


def ensure_not_archived(record: Record) -> None:
    if record.archived_at is not None:
        raise ConflictError(
            f"The record {record.pk} is archived; unarchive it before changing it.",
            detail={"archived_at": record.archived_at.isoformat()},
        )


def apply_update(
    *,
    schema: ObjectSchema,
    record: Record,
    name: Any,
    changes: dict[str, Any],
    matched: Field | None = None,
) -> dict[str, Any] | None:
    """Applies cleaned sparse `changes` (None clears) and `name` to the record in memory and
    bumps its version. Returns {key: new value} of the fields that changed, or None (the
    record untouched) when nothing changes at all. `matched` is the unique field an upsert
    matched the record on: a value equal to the stored one as the match compares them (an
    email in another case) is that value, not a change."""
    values = dict(record.values)
    if matched is not None and same_unique_value(matched, changes.get(matched.key), values):
        changes = {**changes, matched.key: values[matched.key]}
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
def archive_record(*, record: Record, expected_versions: Collection[int] | None = None) -> Record:
    """Idempotent: archiving an archived record changes nothing."""
    record = lock_record(record, expected_versions)
    if record.archived_at is None:
        record.archived_at = timezone.now()
        record.version += 1
        record.save()
        send_changes([RecordChange(type=ARCHIVED, record=record)])
    return record


@transaction.atomic
def unarchive_record(*, record: Record, expected_versions: Collection[int] | None = None) -> Record:
    record = lock_record(record, expected_versions)
    if record.archived_at is not None:
        record.archived_at = None
        record.version += 1
        record.save()
        send_changes([RecordChange(type=UNARCHIVED, record=record)])
    return record


@transaction.atomic
def delete_record(*, record: Record, expected_versions: Collection[int] | None = None) -> None:
    """Deletes the record and clears every relationship value that pointed at it. Locked
    first, so that of two concurrent deletes one deletes and the other finds nothing."""
    record = lock_record(record, expected_versions)
    unlinked = rewrite_references(
        org_id=record.org_id, target=record.object, replacements={str(record.pk): None}
    )
    now = timezone.now()
    for linked, _ in unlinked:
        linked.version += 1
        linked.updated_at = now
    Record.objects.bulk_update(
        [linked for linked, _ in unlinked], ["values", "version", "updated_at"]
    )
    send_changes(
        [
            RecordChange(type=DELETED, record=record),
            *(updated(linked, name=linked.name, values=before) for linked, before in unlinked),
        ]
    )
    record.delete()
