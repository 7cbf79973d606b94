"""Distinct values of one field with their counts, most frequent first, ties by value; records
without a value count as one `null` entry. Filterable and paginated like the list."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from api.query import Window
from records.field_types import FIELD_TYPES
from records.models import Field, Record
from records.values import ObjectSchema, linked_records


def _is_list(field: Field) -> bool:
    return field.type == "multi_select" or (
        field.type == "relationship" and bool(field.options.get("many"))
    )


def _sort_key(item: tuple[Any, int]) -> tuple:
    value, count = item
    # Most frequent first; ties by value, with the empty entry after the values.
    return (-count, value is None, str(value) if value is not None else "")


def value_counts(
    records: QuerySet[Record], field: Field, window: Window
) -> tuple[list[tuple[Any, int]], int]:
    """(page of (value, count), number of distinct values)."""
    if _is_list(field):
        # Each option (or link) of a list counts once per record: counted here, in one pass.
        counts: Counter = Counter()
        for values in records.values_list("values", flat=True).iterator():
            items = values.get(field.key) or []
            counts.update(items if items else [None])
        ordered = sorted(counts.items(), key=_sort_key)
        return ordered[window.offset : window.offset + window.limit], len(ordered)
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
    links = linked_records([Record(values={field.key: ids})], schema) if ids else {}
    return [
        {"value": links.get(value) if value is not None else None, "count": count}
        for value, count in pairs
    ]
