"""Sorting records: built-in keys and `fields__<field>` with the type's cast (numbers as
numbers, dates and datetimes as their fixed-width ISO text), empty values last either way,
ties broken by id in the direction of the first key."""

from django.db.models import F, FloatField, OrderBy
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from api.exceptions import InvalidParameterError
from api.query import SortKey
from records.field_types import FIELD_TYPES

BUILT_IN_SORT_KEYS = ("id", "name", "created_at", "updated_at")
FIELD_PREFIX = "fields__"


def sort_keys(schema) -> set[str]:
    """Every key `sort` accepts for this object (aliases included)."""
    names = {FIELD_PREFIX + f.api_name for f in schema.fields if _sortable(f)}
    names |= {FIELD_PREFIX + alias for f in schema.fields if _sortable(f) for alias in f.aliases}
    return {*BUILT_IN_SORT_KEYS, *names}


def _sortable(field) -> bool:
    return field.type not in ("json", "multi_select", "relationship")


# Columns that are never NULL: ordered plainly, so that the btree indexes on them serve the
# order (`id DESC NULLS LAST` is a different order to the planner and no index serves it).
NOT_NULL_SORT_KEYS = ("id", "created_at", "updated_at", "name")


def ordering(schema, sort: list[SortKey]) -> list[OrderBy]:
    order: list[OrderBy] = []
    for key in sort:
        expression = _expression(schema, key.key)
        # Empty custom values sort last either way.
        nulls_last = True if key.key not in NOT_NULL_SORT_KEYS else None
        order.append(
            expression.desc(nulls_last=nulls_last)
            if key.descending
            else expression.asc(nulls_last=nulls_last)
        )
    if not any(key.key == "id" for key in sort):
        first_descending = sort[0].descending if sort else True
        order.append(F("id").desc() if first_descending else F("id").asc())
    return order


def _expression(schema, key: str):
    if key in BUILT_IN_SORT_KEYS:
        return F(key)
    field = schema.field(key.removeprefix(FIELD_PREFIX)) if key.startswith(FIELD_PREFIX) else None
    if field is None or not _sortable(field):
        raise InvalidParameterError("sort", f"cannot sort by '{key}'.")
    text = KeyTextTransform(field.key, "values")
    if FIELD_TYPES[field.type].sort_as == "number":
        return Cast(text, FloatField())
    return text
