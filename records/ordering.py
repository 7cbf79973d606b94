"""Sorting records: built-in keys and `fields__<field>` with the type's cast (numbers as
numbers, dates and datetimes as their fixed-width ISO text), empty values last either way,
ties broken by id in the direction of the first key."""

from collections.abc import Callable
from functools import cached_property

from django.db.models import F, OrderBy, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from api.exceptions import InvalidParameterError, shown
from api.query import SortKey
from records import value_index

BUILT_IN_SORT_KEYS = ("id", "name", "created_at", "updated_at")
FIELD_PREFIX = "fields__"


def sort_keys(schema) -> set[str]:
    """Every key `sort` accepts for this object (aliases included)."""
    names = {FIELD_PREFIX + f.api_name for f in schema.fields if _sortable(f)}
    names |= {FIELD_PREFIX + alias for f in schema.fields if _sortable(f) for alias in f.aliases}
    return {*BUILT_IN_SORT_KEYS, *names}


def _sortable(field) -> bool:
    return field.kind.sortable


def in_object(obj) -> Q:
    """The records of one object, for lists that `ordered` sorts. Written as a range rather
    than `object_id = X`, and sorted by object first, so that only the indexes that lead with
    (org, object) serve the order: to PostgreSQL's planner an equality makes `object_id` a
    constant, and then the primary key serves `ORDER BY id` too. It walks that from the
    newest record of the whole table, passing over every newer record of other objects and
    organizations (the planner assumes the object's records are spread evenly)."""
    return Q(object_id__gte=obj.pk, object_id__lte=obj.pk)


def ordered(
    queryset: QuerySet, schema, sort: list[SortKey], *, unindexed: bool = False
) -> QuerySet:
    """The queryset (of one object, `in_object`) in the `sort` order: custom fields by their
    value index row (numbers as numbers, text by its indexed prefix, empty values last either
    way), ties by id in the direction of the first key. `unindexed`: the same order through
    expressions no index serves (`matches_sorted`)."""
    first_descending = sort[0].descending if sort else True
    plain = _unindexed if unindexed else F
    order: list[OrderBy] = []
    if not unindexed:
        order.append(F("object_id").desc() if first_descending else F("object_id").asc())
    for position, key in enumerate(sort):
        if key.key in BUILT_IN_SORT_KEYS:
            # Never NULL: ordered plainly, so that their btree indexes serve the order (no
            # index serves `id DESC NULLS LAST`, a different order to the planner).
            expression, nulls_last = plain(key.key), None
        else:
            field = _sortable_field(schema, key.key)
            nulls_last = True
            if value_index.column(field) is None:  # long_text: its stored text
                expression = KeyTextTransform(field.key, "values")
            else:
                queryset, expression = value_index.with_sort_value(
                    queryset, field, alias=f"sort_{position}"
                )
        order.append(
            expression.desc(nulls_last=nulls_last)
            if key.descending
            else expression.asc(nulls_last=nulls_last)
        )
    if not any(key.key == "id" for key in sort):
        order.append(plain("id").desc() if first_descending else plain("id").asc())
    return queryset.order_by(*order)


def matches_sorted(queryset: QuerySet, schema, sort: list[SortKey]) -> QuerySet:
    """The queryset in the `sort` order, read by finding its records first and sorting them:
    no index serves this ORDER BY, so the planner cannot choose to walk one (which is slow
    when few records match; records.selectors.RecordListing decides)."""
    return ordered(queryset, schema, sort, unindexed=True)


def _unindexed(column: str) -> Coalesce:
    # COALESCE(x, x) is x, and orders as x does, but matches no index.
    return Coalesce(F(column), F(column))


def _sortable_field(schema, key: str):
    field = schema.field(key.removeprefix(FIELD_PREFIX)) if key.startswith(FIELD_PREFIX) else None
    if field is None or not _sortable(field):
        raise InvalidParameterError("sort", f"cannot sort by '{shown(key)}'.")
    return field


class ValuesFirst:
    """A list sorted by one indexed custom field, read the way its index serves it: first the
    records having a value, walking the field's index in order (an inner join the planner can
    stop after one page), then, only when that page is not full, the records without one by
    id. The same rows in the same order as `ordered`, whose LEFT JOIN makes PostgreSQL join
    and sort every matching record before it can return the first page.

    Quacks like the queryset api.pagination.page_of reads: count() and a slice."""

    def __init__(
        self,
        queryset: QuerySet,
        field,
        *,
        descending: bool,
        archived: bool | None,
        checks: Callable[[str], Q] | None = None,
    ) -> None:
        self.queryset = queryset.order_by()
        self.field = field
        self.descending = descending
        self.archived = archived
        # Conditions checked record by record, given the outer reference to the record's id
        # (records.filters.checked_per_row): on the walked index row's record id, PostgreSQL
        # checks them before reading the record.
        self.checks = checks
        # QuerySet methods to apply to both queries, in order (annotate, values_list).
        self.steps: tuple[tuple[str, tuple, dict], ...] = ()

    def annotate(self, **expressions) -> "ValuesFirst":
        """The same pages, with these expressions on each record (QuerySet.annotate)."""
        return self._then("annotate", (), expressions)

    def values_list(self, *columns: str, **options) -> "ValuesFirst":
        """The same pages, as rows of these columns (QuerySet.values_list)."""
        return self._then("values_list", columns, options)

    def _then(self, method: str, args: tuple, kwargs: dict) -> "ValuesFirst":
        rows = ValuesFirst(
            self.queryset,
            self.field,
            descending=self.descending,
            archived=self.archived,
            checks=self.checks,
        )
        rows.steps = (*self.steps, (method, args, kwargs))
        return rows

    # Built when first read: a query the page never needs costs nothing (building a queryset
    # costs more Python than running a short query).
    @cached_property
    def with_value(self) -> QuerySet:
        having = value_index.having_value(
            self.queryset, self.field, descending=self.descending, archived=self.archived
        )
        if self.checks is not None:
            having = having.filter(self.checks(value_index.SORT_VALUE_RECORD))
        return self._as_rows(having)

    @cached_property
    def without_value(self) -> QuerySet:
        rows = value_index.rows_of(self.field)
        queryset = self.queryset if self.checks is None else self.queryset.filter(self.checks("pk"))
        lacking = queryset.exclude(value_index.has_row(rows)).order_by(
            *(("-object_id", "-id") if self.descending else ("object_id", "id"))
        )
        return self._as_rows(lacking)

    def _as_rows(self, queryset: QuerySet) -> QuerySet:
        return replayed(queryset, self.steps)

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        page = list(self.with_value[start:stop])
        if len(page) == stop - start:
            return page
        # The page ends in the records without a value: how many have one decides where.
        with_value = start + len(page) if page else self.with_value.count()
        skip = max(start - with_value, 0)
        return page + list(self.without_value[skip : skip + (stop - start) - len(page)])


def replayed(source, steps: tuple[tuple[str, tuple, dict], ...]):
    """`source` with QuerySet methods applied in order, each step (method name, args,
    kwargs): what a list asked of a query that was built later."""
    for method, args, kwargs in steps:
        source = getattr(source, method)(*args, **kwargs)
    return source


def listing(
    queryset: QuerySet,
    schema,
    sort: list[SortKey],
    *,
    archived: bool | None,
    checks: Callable[[str], Q] | None = None,
) -> "QuerySet | ValuesFirst":
    """What a list pages through: ValuesFirst when its one sort key is an indexed custom
    field, else the ordered queryset. `archived` is the records' state when the list keeps
    to one; `checks`, conditions checked record by record (ValuesFirst)."""
    if len(sort) == 1 and sort[0].key not in BUILT_IN_SORT_KEYS:
        field = _sortable_field(schema, sort[0].key)
        if value_index.column(field) is not None:
            return ValuesFirst(
                queryset, field, descending=sort[0].descending, archived=archived, checks=checks
            )
    if checks is not None:
        queryset = queryset.filter(checks("pk"))
    return ordered(queryset, schema, sort)
