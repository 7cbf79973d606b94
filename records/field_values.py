"""Distinct values of one field with their counts, most frequent first, ties by value; records
without a value count as one `null` entry. Filterable and paginated like the list."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, FloatField, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from api.query import Window
from records import value_index
from records.field_types import FIELD_TYPES
from records.field_types.numeric import MAX_SAFE_INTEGER
from records.models import Field, Record
from records.values import ObjectSchema, linked_records


def value_counts(
    records: QuerySet[Record], field: Field, window: Window
) -> tuple[list[tuple[Any, int]], int]:
    """(page of (value, count), number of distinct values, the empty entry included)."""
    if value_index.column(field) is None:
        return _stored_value_counts(records, field, window)
    rows = value_index.rows_of(field).filter(record_id__in=records.order_by().values("id"))
    kind = "words" if FIELD_TYPES[field.type].substring_indexed else value_index.column(field)
    # Each option of a list counts once per record, as each record's one value does; the
    # records without any value are one more row, whose value is NULL (none when there are
    # no such records: HAVING).
    counted = rows.order_by().values(value=F(kind)).annotate(count=Count("record_id"))
    output = FloatField() if kind == "number" else TextField()
    empty = (
        records.order_by()
        .exclude(value_index.has_row(value_index.rows_of(field)))
        .values(value=Value(None, output_field=output))
        .annotate(count=Count("id"))
        .filter(count__gt=0)
    )
    entries = counted.union(empty, all=True)
    total = entries.count()
    # Most frequent first; ties by value, the empty entry after the values.
    page = entries.order_by("-count", F("value").asc(nulls_last=True))[
        window.offset : window.offset + window.limit
    ]
    return [(_typed(field, row["value"]), row["count"]) for row in page], total


def _typed(field: Field, value: Any) -> Any:
    """An index value as the API shows the field's values: integral numbers as integers,
    booleans as booleans."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    if value is not None and FIELD_TYPES[field.type].sort_as == "boolean":
        return value == "true"
    return value


def _stored_value_counts(
    records: QuerySet[Record], field: Field, window: Window
) -> tuple[list[tuple[Any, int]], int]:
    """For fields the value index leaves out (long_text): grouped on the stored JSON."""
    # Text as stored (SQLite would decode JSON-looking strings); numbers and booleans typed.
    typed = FIELD_TYPES[field.type].sort_as in ("number", "boolean")
    expression = KeyTransform if typed else KeyTextTransform
    grouped = (
        records.order_by()
        .annotate(value=expression(field.key, "values"))
        .values("value")
        .annotate(count=Count("id"))
    )
    total = grouped.count()
    ordered = grouped.order_by("-count", F("value").asc(nulls_last=True))[
        window.offset : window.offset + window.limit
    ]
    return [(row["value"], row["count"]) for row in ordered], total


def value_payloads(
    pairs: Sequence[tuple[Any, int]], field: Field, schema: ObjectSchema
) -> list[dict[str, Any]]:
    """Relationship values as {id, object, name}: one query for the page."""
    if field.type != "relationship":
        return [{"value": value, "count": count} for value, count in pairs]
    ids = [value for value, _ in pairs if value is not None]
    links = linked_records([{field.key: ids}], schema) if ids else {}
    return [
        {"value": links.get(value) if value is not None else None, "count": count}
        for value, count in pairs
    ]
