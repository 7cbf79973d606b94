"""Finding the record an integrator means by a key instead of an id: upsert and lookup match on
email for contacts, on `name` for other objects, or on any unique field named by `match_on`."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection

from api.exceptions import (
    NAMES_SHOWN,
    BadRequestError,
    ConflictError,
    InvalidInputError,
    InvalidParameterError,
    NotFoundError,
    shown,
)
from api.tenancy import for_org
from records.field_types import FieldValueError
from records.models import Field, Record, UniqueValue
from records.object_schema import ObjectSchema
from records.registry import policy_for
from records.services.unique_values import unique_token

MAX_CANDIDATES = 10


@dataclass(frozen=True)
class MatchKey:
    """What to match on: a unique field (with the value in stored form) or the name."""

    label: str  # "name" or the field's api_name, as the client names it
    field: Field | None
    value: Any

    def token(self) -> str:
        return self.value if self.field is None else unique_token(self.field, self.value)

    def identity(self) -> tuple:
        """Equal for keys that match the same records."""
        return (None if self.field is None else self.field.pk, self.token())


def default_match_field(schema: ObjectSchema) -> Field | None:
    """contacts match on email; other objects on name (None)."""
    if policy_for(schema.obj).derives_name():
        return next((f for f in schema.fields if f.api_name == "email" and f.is_system), None)
    return None


def match_key(schema: ObjectSchema, *, match_on: str | None, name: Any, values: dict) -> MatchKey:
    """The key from an upsert body: `values` are as sent (keyed by field id)."""
    if match_on is None:
        field = default_match_field(schema)
        if field is None:
            if not isinstance(name, str) or not name.strip():
                raise BadRequestError(
                    "Upsert matches on 'name' here: send it, or name a unique field in match_on.",
                    missing=["name"],
                )
            return MatchKey(label="name", field=None, value=name.strip())
        match_on = field.api_name
    if match_on == "name" and not policy_for(schema.obj).derives_name():
        return match_key(schema, match_on=None, name=name, values=values)
    field = schema.field(str(match_on))
    if field is None or not field.unique:
        choices = ", ".join(["name", *(f.api_name for f in schema.fields if f.unique)])
        raise InvalidParameterError("match_on", f"expected a unique field: {choices}.")
    if not isinstance(values, dict):
        raise InvalidInputError(
            "'fields' must be an object keyed by field id.",
            detail={"fields": ["Expected an object."]},
        )
    names = [name for name in (field.api_name, *field.aliases) if name in values]
    sent = values[names[0]] if len(names) == 1 else None
    if len(names) > 1:
        raise InvalidInputError(
            f"'{field.api_name}' is given twice (as {' and '.join(names)}).",
            detail={f"fields.{names[1]}": ["Given twice."]},
        )
    if sent in (None, ""):
        raise BadRequestError(
            f"Upsert matches on '{field.api_name}': send its value in fields.",
            missing=[f"fields.{field.api_name}"],
        )
    try:
        value = field.kind.normalize(sent, field.options)
    except FieldValueError as exc:
        raise InvalidInputError(
            f"Invalid value for 'fields.{field.api_name}': {exc}",
            detail={f"fields.{field.api_name}": [str(exc)]},
        ) from None
    return MatchKey(label=field.api_name, field=field, value=value)


def matching_ids(schema: ObjectSchema, keys: Iterable[MatchKey]) -> dict[tuple, list[UUID]]:
    """{key.identity(): ids of up to MAX_CANDIDATES records with that key}, archived ones
    included: one query for the names and one for the unique fields, however many keys."""
    keys = list(keys)
    found: dict[tuple, list[UUID]] = defaultdict(list)
    org_id = schema.obj.org_id
    names = {key.value for key in keys if key.field is None}
    if names:
        rows = (
            for_org(Record, org_id=org_id)
            .filter(object=schema.obj, name__in=names)
            .order_by("id")
            .values_list("name", "id")
        )
        for name, record_id in rows:
            found[(None, name)].append(record_id)
    tokens = {(key.field.pk, key.token()) for key in keys if key.field is not None}
    if tokens:
        claims = for_org(UniqueValue, org_id=org_id).filter(
            field_id__in={field_id for field_id, _ in tokens},
            value__in={token for _, token in tokens},
        )
        for field_id, token, record_id in claims.values_list("field_id", "value", "record_id"):
            found[(field_id, token)].append(record_id)
    return {identity: ids[:MAX_CANDIDATES] for identity, ids in found.items()}


def matching_records(schema: ObjectSchema, key: MatchKey) -> list[Record]:
    """Up to MAX_CANDIDATES records with the key, archived ones included: one query."""
    records = for_org(Record, org_id=schema.obj.org_id).filter(object=schema.obj)
    if key.field is None:
        return list(records.filter(name=key.value).order_by("id")[:MAX_CANDIDATES])
    claims = for_org(UniqueValue, org_id=schema.obj.org_id).filter(
        field=key.field, value=key.token()
    )
    return list(records.filter(pk__in=claims.values("record_id"))[:MAX_CANDIDATES])


def lock_keys(schema: ObjectSchema, keys: Iterable[MatchKey]) -> None:
    """Serializes upserts of the same keys until the transaction ends (PostgreSQL advisory
    locks, taken in one order so two batches cannot deadlock; SQLite already runs one writing
    transaction at a time)."""
    if connection.vendor != "postgresql":
        return
    lock_ids = sorted({_lock_id(schema, key) for key in keys})
    if not lock_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(lock_id) FROM unnest(%s::bigint[]) AS lock_id",
            [lock_ids],
        )


def _lock_id(schema: ObjectSchema, key: MatchKey) -> int:
    digest = hashlib.blake2b(
        f"{schema.obj.pk}:{key.label}:{key.token()}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def lookup_keys(schema: ObjectSchema) -> set[str]:
    """What one record can be looked up by: name (unless the object derives it) and every
    unique field, by api_name or a former one."""
    keys = {
        name for field in schema.fields if field.unique for name in (field.api_name, *field.aliases)
    }
    if not policy_for(schema.obj).derives_name():
        keys.add("name")
    return keys


def looked_up_record(schema: ObjectSchema, params: Mapping[str, Any]) -> Record:
    """The one record matching the lookup's one key (besides `select`): a 400 unless exactly
    one of `lookup_keys` is given, a 404 when none matches, a 409 naming them when several."""
    keys = {k: v for k, v in params.items() if k != "select"}
    valid = schema.derived(lookup_keys)
    if len(keys) != 1 or next(iter(keys)) not in valid:
        raise BadRequestError(
            f"Look up by exactly one of: {', '.join(sorted(valid))}.",
            detail={"keys": [shown(key) for key in sorted(keys)[:NAMES_SHOWN]] or ["none given"]},
        )
    ((label, value),) = keys.items()
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(label, "give one non-empty value.")
    name = value if label == "name" else None
    key = match_key(schema, match_on=label, name=name, values={label: value})
    found = matching_records(schema, key)
    if not found:
        raise NotFoundError(f"No {schema.obj.api_name} record has {key.label} = {shown(value)}.")
    if len(found) > 1:
        raise ConflictError(
            f"{len(found)} records have {key.label} = {shown(value)}.",
            detail={"candidates": [str(record.pk) for record in found]},
        )
    return found[0]
