"""Finding the record an integrator means by a key instead of an id: upsert and lookup match on
email for contacts, on `name` for other objects, or on any unique field named by `match_on`."""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import connection

from api.exceptions import BadRequestError, InvalidInputError, InvalidParameterError
from api.tenancy import for_org
from records.field_types import FIELD_TYPES, FieldValueError
from records.models import Field, Record, UniqueValue
from records.registry import policy_for
from records.services.records import unique_token
from records.values import ObjectSchema

MAX_CANDIDATES = 10


@dataclass(frozen=True)
class MatchKey:
    """What to match on: a unique field (with the value in stored form) or the name."""

    label: str  # "name" or the field's api_name, as the client names it
    field: Field | None
    value: Any

    def token(self) -> str:
        return self.value if self.field is None else unique_token(self.field, self.value)


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
        value = FIELD_TYPES[field.type].normalize(sent, field.options)
    except FieldValueError as exc:
        raise InvalidInputError(
            f"Invalid value for 'fields.{field.api_name}': {exc}",
            detail={f"fields.{field.api_name}": [str(exc)]},
        ) from None
    return MatchKey(label=field.api_name, field=field, value=value)


def matching_records(schema: ObjectSchema, key: MatchKey) -> list[Record]:
    """Up to MAX_CANDIDATES records with the key, archived ones included."""
    records = for_org(Record, org_id=schema.obj.org_id).filter(object=schema.obj)
    if key.field is None:
        return list(records.filter(name=key.value).order_by("id")[:MAX_CANDIDATES])
    claims = for_org(UniqueValue, org_id=schema.obj.org_id).filter(
        field=key.field, value=key.token()
    )
    return list(records.filter(pk__in=claims.values("record_id"))[:MAX_CANDIDATES])


def lock_key(schema: ObjectSchema, key: MatchKey) -> None:
    """Serializes upserts of one key until the transaction ends (PostgreSQL advisory lock;
    SQLite already runs one writing transaction at a time)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(
        f"{schema.obj.pk}:{key.label}:{key.token()}".encode(), digest_size=8
    ).digest()
    with connection.cursor() as cursor:
        lock_id = int.from_bytes(digest, "big", signed=True)
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
