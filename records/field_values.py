"""Distinct values of one field with their counts, most frequent first, ties by value; records
without a value count as one `null` entry. Filterable and paginated like the list."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, FloatField, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from api.query import Window
from api.tenancy import for_org
from records import value_index
from records.field_types.numeric import MAX_SAFE_INTEGER
from records.models import Field, Record
from records.object_schema import ObjectSchema
from records.values import linked_records


def value_counts(
    records: QuerySet[Record],
    field: Field,
    window: Window,
    *,
    unfiltered: bool = False,
    archived: bool | None = None,
) -> tuple[list[tuple[Any, int]], int]:
    """(page of (value, count), number of distinct values, the empty entry included).
    `unfiltered` says that `records` are all the object's records in the `archived` state
    (None: either), filtered by nothing else: then the index rows alone, which carry their
    record's archived state, are counted, without joining them to the records."""
    if value_index.column(field) is None:
        return _stored_value_counts(records, field, window)
    kind = "words" if field.kind.substring_indexed else value_index.column(field)
    rows = value_index.rows_of(field)
    if not unfiltered:
        rows = rows.filter(record_id__in=records.order_by().values("id"))
    elif archived is not None:
        rows = rows.filter(archived=archived)
    # Each option of a list counts once per record, as each record's one value does; the
    # records without any value are one more row, whose value is NULL (none when there are
    # no such records: HAVING).
    counted = rows.order_by().values(value=F(kind)).annotate(count=Count("record_id"))
    output = FloatField() if kind == "number" else TextField()
    if unfiltered:
        entries = _with_empty_count(
            counted, field, _count_without_value(records, field, rows), output
        )
    else:
        entries = counted.union(_empty_entry(records, rows, output), all=True)
    # Most frequent first; ties by value, the empty entry after the values.
    page = [
        (_typed(field, row["value"]), row["count"])
        for row in entries.order_by("-count", F("value").asc(nulls_last=True))[
            window.offset : window.offset + window.limit
        ]
    ]
    if window.offset == 0 and len(page) < window.limit:
        return page, len(page)  # the whole list is on the page: no second pass to count it
    return page, entries.count()


def _empty_entry(records: QuerySet[Record], rows: QuerySet, output) -> QuerySet[Record]:
    """The records without a value, as one (NULL, count) row when there are any."""
    return (
        records.order_by()
        .exclude(value_index.has_row(rows))
        .values(value=Value(None, output_field=output))
        .annotate(count=Count("id"))
        .filter(count__gt=0)
    )


def _count_without_value(records: QuerySet[Record], field: Field, rows: QuerySet) -> int:
    """All the records less those with a value, both counted in an index."""
    many = field.kind.list_valued(field.options)
    with_value = rows.values("record_id").distinct().count() if many else rows.count()
    return records.count() - with_value


def _with_empty_count(counted: QuerySet, field: Field, empty: int, output) -> QuerySet:
    """The value counts and, when some records have no value, their (NULL, count) row."""
    if not empty:
        return counted
    empty_row = (
        for_org(Field, org_id=field.org_id)
        .filter(pk=field.pk)  # one row, to carry the constants
        .order_by()
        .values(value=Value(None, output_field=output), count=Value(empty))
    )
    return counted.union(empty_row, all=True)


def _typed(field: Field, value: Any) -> Any:
    """An index value as the API shows the field's values: integral numbers as integers,
    booleans as booleans."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    if value is not None and field.kind.sort_as == "boolean":
        return value == "true"
    return value


def _stored_value_counts(
    records: QuerySet[Record], field: Field, window: Window
) -> tuple[list[tuple[Any, int]], int]:
    """For fields the value index leaves out (long_text): grouped on the stored JSON."""
    # Text as stored (SQLite would decode JSON-looking strings); numbers and booleans typed.
    typed = field.kind.sort_as in ("number", "boolean")
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
    if not field.kind.links_records:
        return [{"value": value, "count": count} for value, count in pairs]
    ids = [value for value, _ in pairs if value is not None]
    links = linked_records([{field.key: ids}], schema) if ids else {}
    return [
        {"value": links.get(value) if value is not None else None, "count": count}
        for value, count in pairs
    ]
