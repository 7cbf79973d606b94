"""Queries on the value index (records.models.IndexedValue): the record ids whose value of a
field matches a lookup, and the join that sorts records by a field.

Every filter and sort on a custom field that an index can serve goes through here, so they
all use the same fixed indexes of one table (docs/storage.md); what no index serves (long
operands, prefixes, long_text) is matched on the record's stored JSON by records.filters.
"""

from typing import Any

from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.lookups import IsNull

from api import plan_estimates
from api.tenancy import for_org
from records.lookups import TrigramIContains, TrigramIExact
from records.models import TEXT_PREFIX, Field, IndexedValue


def column(field: Field) -> str | None:
    """The index column holding the field's values, or None when it is not indexed."""
    return field.kind.indexed_as


def serves(field: Field, operands: list[Any]) -> bool:
    """Whether the index answers a comparison of the field with these operands exactly: it
    keeps the first TEXT_PREFIX characters of text, and comparing that prefix with a shorter
    operand gives the same answer as comparing the whole value."""
    kind = column(field)
    if kind is None:
        return False
    if kind == "number":
        return True
    return all(len(_as_text(operand)) < TEXT_PREFIX for operand in operands)


def _as_text(operand: Any) -> str:
    # Booleans are indexed as the JSON words true/false.
    if isinstance(operand, bool):
        return "true" if operand else "false"
    return str(operand)


def rows_of(field: Field) -> QuerySet[IndexedValue]:
    """The field's index rows. Each has its value in the field's column, and saying so lets
    PostgreSQL read them from that column's index, which is partial (`WHERE <column> IS NOT
    NULL`)."""
    rows = for_org(IndexedValue, org_id=field.org_id).filter(field_id=field.pk)
    kind = column(field)
    return rows if kind is None else rows.filter(**{f"{kind}__isnull": False})


def matching(field: Field, lookup: str, operand: Any) -> Q:
    """Records having a value of `field` for which `<column>__<lookup>=operand` holds (one
    value of a list field is enough)."""
    return matching_all(field, [(lookup, operand)])


def matching_all(
    field: Field, lookups: list[tuple[str, Any]], *, archived: bool | None = None
) -> Q:
    """Records having one value of `field` for which every `<column>__<lookup>=operand`
    holds: one scan of the index."""
    rows = rows_matching(field, lookups, archived=archived)
    return has_row(rows)


def rows_matching(
    field: Field, lookups: list[tuple[str, Any]], *, archived: bool | None = None
) -> QuerySet[IndexedValue]:
    """The index rows of `field` for which every `<column>__<lookup>=operand` holds, of
    records in the `archived` state (either when None)."""
    kind = column(field)
    convert = float if kind == "number" else _as_text
    conditions = {}
    for lookup, operand in lookups:
        value = [convert(item) for item in operand] if lookup == "in" else convert(operand)
        conditions.setdefault(f"{kind}__{lookup}", []).append(value)
    rows = rows_of(field) if archived is None else rows_of(field).filter(archived=archived)
    for name, operands in conditions.items():
        for operand in operands:  # the same lookup twice (gte and gte): both must hold
            rows = rows.filter(**{name: operand})
    return rows


def value_matching_all(field: Field, lookups: list[tuple[str, Any]], *, record: str = "pk") -> Q:
    """Records whose value of the single-valued `field` satisfies every lookup, checked row by
    row: a scalar subquery reading the record's one index row by primary key. Unlike
    `matching_all`'s EXISTS, the planner cannot turn it into a join, so a list walking another
    field's index in order checks each record it passes and stops after one page. That is
    the cheaper plan when many records match (records.selectors.RecordListing decides).
    `record` names the record's id in the outer query: the walked index row's record id
    lets PostgreSQL check it before it reads the record at all."""
    row = rows_matching(field, lookups).filter(record_id=OuterRef(record), position=0)
    return Q(IsNull(Subquery(row.values("record_id")), False))


def estimated_rows(field: Field) -> int | None:
    """PostgreSQL's estimate of the field's index rows of live records (None elsewhere)."""
    return plan_estimates.estimated_rows(
        lambda: rows_of(field).filter(archived=False), key=("field rows", field.pk)
    )


def matching_words(field: Field, lookup: type[Lookup], needle: str) -> Q:
    """Records whose whole text value of `field` matches a substring lookup (trigram-indexed
    on PostgreSQL)."""
    return has_row(rows_of(field).filter(lookup(F("words"), needle)))


def matching_any_folded(field: Field, operands: list[Any]) -> Q:
    """Records whose whole value of `field` equals one of `operands` regardless of case (an
    email): on the `words` column, trigram-indexed on PostgreSQL."""
    either = Q()
    for operand in operands:
        either |= Q(TrigramIExact(F("words"), str(operand)))
    return has_row(rows_of(field).filter(either))


def words_containing(orgs: QuerySet, needle: str) -> Q:
    """Records of the organizations `orgs` with a text value (any text, email, phone or url
    field) containing `needle`, ignoring case: the whole-text column and its trigram index
    (PostgreSQL), whatever the field."""
    rows = IndexedValue.objects.filter(org__in=orgs, words__isnull=False)
    return has_row(rows.filter(TrigramIContains(F("words"), needle)))


def has_row(rows: QuerySet[IndexedValue]) -> Q:
    """Records with a row among `rows`, as EXISTS: negated it is NOT EXISTS, an anti-join,
    where NOT IN over a large subquery is a per-row scan once its hash outgrows work_mem."""
    return Q(Exists(rows.filter(record_id=OuterRef("pk"))))


def with_sort_value(queryset: QuerySet, field: Field, alias: str) -> tuple[QuerySet, F]:
    """The queryset joined to the field's index row (none for records without a value) and
    the expression to order by."""
    joined = queryset.annotate(
        **{
            alias: FilteredRelation(
                "indexed_values",
                condition=Q(indexed_values__field_id=field.pk, indexed_values__position=0),
            )
        }
    )
    return joined, F(f"{alias}__{column(field)}")


# The record id of the index row a ValuesFirst list walks, an alias on having_value's query:
# a subquery's OuterRef("sort_value__record_id") would join the index rows a second time.
SORT_VALUE_RECORD = "sort_value_record_id"


def having_value(
    queryset: QuerySet, field: Field, *, descending: bool, archived: bool | None
) -> QuerySet:
    """The records of `queryset` that have a value of the single-valued `field`, ordered by
    it then by id, through an inner join on the index row whose conditions match the index
    (field, value, archived, record), so that it can be walked in order."""
    kind = column(field)
    on = Q(indexed_values__field_id=field.pk, indexed_values__org_id=field.org_id)
    if archived is not None:
        # Equal to a constant, so the index's (value, archived, record) order is the
        # (value, record) order the page wants.
        on &= Q(indexed_values__archived=archived)
    joined = (
        queryset.annotate(sort_value=FilteredRelation("indexed_values", condition=on))
        .filter(**{f"sort_value__{kind}__isnull": False})
        .alias(**{SORT_VALUE_RECORD: F("sort_value__record_id")})
    )
    value, record = F(f"sort_value__{kind}"), F(SORT_VALUE_RECORD)
    if descending:
        return joined.order_by(value.desc(), record.desc())
    return joined.order_by(value.asc(), record.asc())
