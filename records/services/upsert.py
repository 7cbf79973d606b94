"""Upsert: match on a key, then update the one record found or create it."""

from typing import Any
from uuid import UUID

from django.db import transaction

from api.exceptions import ConflictError
from records.matching import MatchKey, lock_keys, match_key, matching_records
from records.models import Record
from records.object_schema import ObjectSchema
from records.services.records import UNSET, create_record, update_record


@transaction.atomic
def upsert_record(
    *, schema: ObjectSchema, name: Any = UNSET, fields: Any = None, match_on: str | None = None
) -> tuple[Record, bool]:
    """(record, created). Several matches, or an archived one, are a 409 that names them;
    concurrent upserts of one key run one after another, so only the first creates."""
    key = match_key(
        schema, match_on=match_on, name=None if name is UNSET else name, values=fields or {}
    )
    lock_keys(schema, [key])
    found = matching_records(schema, key)
    if len(found) > 1:
        raise ambiguous_match_error(key, [record.pk for record in found])
    if not found:
        try:
            with transaction.atomic():
                return create_record(schema=schema, name=name, fields=fields), True
        except ConflictError:
            # A plain create (not an upsert, so not behind the lock) took the key meanwhile.
            found = matching_records(schema, key)
            if len(found) != 1:
                raise
    record = found[0]
    if record.archived_at is not None:  # reported, not silently revived
        raise archived_match_error(record)
    updated = update_record(
        schema=schema, record=record, name=name, fields=fields, matched=key.field
    )
    return updated, False


def ambiguous_match_error(key: MatchKey, ids: list[UUID]) -> ConflictError:
    return ConflictError(
        f"{len(ids)} records match {key.label} = {key.value}; update one by id, or match on a "
        "unique field.",
        detail={"candidates": [str(i) for i in ids]},
    )


def archived_match_error(record: Record) -> ConflictError:
    return ConflictError(
        f"The matching record {record.pk} is archived; unarchive it to update it.",
        detail={"existing_id": str(record.pk), "archived": True},
    )
