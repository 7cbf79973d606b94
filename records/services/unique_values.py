"""Unique values: each (unique field, value) in use is a UniqueValue row, so that the database's
unique constraint, not a read before the write, keeps two records from sharing one."""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from api.exceptions import ConflictError
from api.tenancy import for_org
from records.models import Field, Record, UniqueValue
from records.object_schema import ObjectSchema


def unique_token(field: Field, value: Any) -> str:
    """The form a unique value is compared in: emails case-insensitively, long values hashed."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if field.kind.case_insensitive:
        text = text.lower()
    if len(text) > 255:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def same_unique_value(field: Field, value: Any, stored: dict[str, Any]) -> bool:
    """Whether `value` is the one `stored` holds for the unique `field`, as uniqueness compares
    them (an email regardless of case)."""
    current = stored.get(field.key)
    if value is None or current is None:
        return False
    return unique_token(field, value) == unique_token(field, current)


def rewrite_unique_values(
    *, org_id: Any, records: Sequence[Record], fields: Sequence[Field], replace: bool = True
) -> None:
    """The claims of `records` on the unique ones of `fields` replaced by claims on their
    current values: one DELETE (none for new records: `replace=False`) and one INSERT, its
    rows in one fixed order so that two writers cannot deadlock on them. A value another
    record holds raises IntegrityError, and the savepoint rolls back."""
    fields = [f for f in fields if f.unique]
    if not records or not fields:
        return
    if replace:
        for_org(UniqueValue, org_id=org_id).filter(
            record__in=[record.pk for record in records], field__in=fields
        ).delete()
    rows = sorted(
        (
            UniqueValue(
                org_id=org_id, field=f, record=record, value=unique_token(f, record.values[f.key])
            )
            for record in records
            for f in fields
            if record.values.get(f.key) is not None
        ),
        key=lambda row: (str(row.field_id), row.value),
    )
    with transaction.atomic():
        UniqueValue.objects.bulk_create(rows)


def claim_unique_values(
    record: Record, schema: ObjectSchema, values: dict[str, Any], *, new: bool = False
) -> None:
    """Claims the unique values among `values` (just written to the record); the database's
    unique constraint makes a concurrent duplicate fail here, as a 409. A `new` record holds
    no claims yet, so there is nothing to release first."""
    fields = [f for f in schema.fields if f.unique and f.key in values]
    try:
        rewrite_unique_values(
            org_id=record.org_id, records=[record], fields=fields, replace=not new
        )
    except IntegrityError:
        raise _duplicate_error(record, fields) from None


def _duplicate_error(record: Record, fields: list[Field]) -> ConflictError:
    for field in fields:
        if record.values.get(field.key) is None:
            continue
        existing = (
            for_org(UniqueValue, org_id=record.org_id)
            .filter(field=field, value=unique_token(field, record.values[field.key]))
            .exclude(record=record)
            .values_list("record_id", flat=True)
            .first()
        )
        if existing is not None:
            return duplicate_value_error(field, existing)
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
