"""Reads of the records app."""

import copy
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from api import plan_estimates
from api.compiled_query import CompiledQuery
from api.exceptions import InvalidParameterError, NotFoundError, shown
from api.planner_settings import incremental_sorts_off
from api.query import SortKey
from api.recorded_statement import RecordedCount
from api.tenancy import for_org
from records import value_index
from records.filters import (
    Condition,
    all_of,
    checked_per_row,
    counted_in_index,
    has_index_lookups,
)
from records.links import LinkedRecords, read_links
from records.models import Field, Object, Record
from records.object_schema import ObjectSchema
from records.ordering import (
    ValuesFirst,
    in_object,
    listing,
    matches_sorted,
    ordered,
    replayed,
)
from records.registry import policy_for
from records.values import linked_records


def objects(*, org_id: UUID) -> QuerySet[Object]:
    fields = Prefetch("fields", queryset=Field.objects.order_by("position", "created_at"))
    return for_org(Object, org_id=org_id).prefetch_related(fields).order_by("api_name")


def object_by_api_name(*, org_id: UUID, api_name: str) -> Object:
    found = objects(org_id=org_id).filter(api_name=api_name).first()
    if found is None:
        raise NotFoundError(f"No object called '{shown(api_name)}' exists in this organization.")
    return found


def field_by_name(*, obj: Object, name: str) -> Field:
    """A field by its api_name or one of its former names (aliases)."""
    field = ObjectSchema.of(obj).field(name)
    if field is not None:
        return field
    raise NotFoundError(f"The object '{obj.api_name}' has no field called '{shown(name)}'.")


def _by_id(org_id: UUID, object_id: UUID, pk: UUID) -> QuerySet[Record]:
    # No ORDER BY (Meta.ordering): the primary key finds one record at most.
    return for_org(Record, org_id=org_id).filter(object_id=object_id, pk=pk).order_by()


_ID_VALUES = {
    "org_id": Record._meta.get_field("org"),
    "object_id": Record._meta.get_field("object"),
    "pk": Record._meta.pk,
}
RECORD_BY_ID = CompiledQuery(_by_id, **_ID_VALUES)


def _record_with_links_query(schema: ObjectSchema) -> CompiledQuery[Record] | None:
    """The record by id with `linked_json` (records.links), for an object that has
    relationship fields; compiled once per schema."""
    keys = [field.key for field in schema.fields if field.kind.links_records]
    if not keys:
        return None
    return CompiledQuery(
        lambda **values: _by_id(**values).annotate(linked_json=LinkedRecords(keys)), **_ID_VALUES
    )


def _as_uuid(record_id: str) -> UUID | None:
    try:
        return UUID(str(record_id))
    except ValueError:
        return None


def record(*, obj: Object, record_id: str) -> Record:
    """A record of the object by id, archived or not; anything else is a 404."""
    key = _as_uuid(record_id)
    if key is not None:
        found = RECORD_BY_ID.one(org_id=obj.org_id, object_id=obj.pk, pk=key)
    else:  # a contact's email, say
        found = policy_for(obj).find(obj=obj, identifier=str(record_id))
    if found is None:
        raise _no_record(obj, record_id)
    return found


def _no_record(obj: Object, record_id: str) -> NotFoundError:
    return NotFoundError(f"No {obj.api_name} record with id '{shown(record_id)}'.")


def record_with_links(
    *, schema: ObjectSchema, record_id: str
) -> tuple[Record, dict[str, dict[str, str]]]:
    """`record` and what its relationship values link to ({id: {id, object, name}}), read in
    the same statement when the id is a record id."""
    key = _as_uuid(record_id)
    query = schema.derived(_record_with_links_query)
    if key is None or query is None:
        found = record(obj=schema.obj, record_id=record_id)
        return found, linked_records([found.values], schema)
    obj = schema.obj
    found = query.one(org_id=obj.org_id, object_id=obj.pk, pk=key)
    if found is None:
        raise _no_record(obj, record_id)
    return found, read_links(found.linked_json)


ARCHIVED_CHOICES = ("false", "true", "all")


def parse_archived(params: Mapping[str, Any]) -> str:
    """`archived=false` (default) | `true` | `all`; anything else is a 400."""
    archived = params.get("archived", "false")
    if archived not in ARCHIVED_CHOICES:
        raise InvalidParameterError("archived", "expected false, true or all.")
    return archived


ARCHIVED_STATES = {"false": False, "true": True, "all": None}


def records(
    *,
    schema: ObjectSchema,
    archived: str,
    sort: list[SortKey],
    conditions: list[Condition] = (),
) -> QuerySet[Record]:
    """The one query builder of lists, searches, field values and the admin: archived state,
    filters (read by the object's FilterSet), and sort."""
    return ordered(_filtered(schema, archived, list(conditions), None), schema, sort)


class RecordListing:
    """What a list or search pages through (api.pagination.page_of reads count() and then a
    slice): the records in the order the indexes serve (records.ordering.listing), and a
    total counted from the value index alone when the filters allow it.

    A filtered list can be read two ways: walking an index in the list's order and checking
    each record it passes until the page is full (cost: the page's end times the records in
    that index over the matches), or finding the matches first and sorting them (cost: the
    matches). The total, counted first, says which is cheaper; the planner's own guess of the
    matches (for custom fields from statistics shared by every field on the platform, for
    names from trigram statistics) can be wrong by orders of magnitude, and then it walks
    14,000 records for a page of 100 or hashes and sorts 27,000. `walking` and `matching`
    build the two queries when one is chosen (building costs Python time); where one is None,
    `source` is read that way (otherwise the planner may read it either way); `walked_rows`
    estimates the index's records."""

    def __init__(
        self,
        source,
        counted: QuerySet,
        *,
        walking: Callable[[], Any] | None = None,
        matching: Callable[[], Any] | None = None,
        walked_rows: Callable[[], int | None] | None = None,
        walk_advantage: float = 1.0,
        exact_order: bool = False,
    ) -> None:
        self.source = source
        self.counted = counted
        self.walking = walking
        self.matching = matching
        self.walked_rows = walked_rows
        self.walk_advantage = walk_advantage  # how many walked rows cost one match found
        self.exact_order = exact_order  # `source`'s order is one index's order, whole
        self.steps: tuple[tuple[str, tuple, dict], ...] = ()  # applied to a chosen reader
        self.total: int | None = None
        self._readers: dict[str, Any] = {}  # built readers, kept for the next page
        self._counted = RecordedCount()  # for the next count of a kept listing

    def fresh(self) -> "RecordListing":
        """This listing for one more page, before its total is counted: a listing kept for
        later requests (records.listing_cache) is shared and never counted itself."""
        rows = copy.copy(self)
        rows.total = None
        return rows

    def count(self) -> int:
        self.total = self._counted.count(self.counted.count)
        return self.total

    def annotate(self, **expressions: Any) -> "RecordListing":
        return self._then("annotate", (), expressions)

    def values_list(self, *columns: str, **options: Any) -> "RecordListing":
        return self._then("values_list", columns, options)

    def _then(self, method: str, args: tuple, kwargs: dict) -> "RecordListing":
        rows = copy.copy(self)
        rows.source = getattr(self.source, method)(*args, **kwargs)
        rows.steps = (*self.steps, (method, args, kwargs))
        rows._readers = {}
        return rows

    def __getitem__(self, window: slice):
        reader = self._reader(window.stop)
        if self.exact_order and reader is self.source:
            # The walk, planned with no incremental sort. Its ORDER BY (object, id) is the
            # object's own index order, but to the planner any index that starts with the
            # object (its name's, its times') serves it too, if the records it reads are
            # sorted by id within each object: with many objects on the platform it counts
            # the matches in thousands of small groups, where there is one, and that plan
            # reads and sorts every match of the object (106 ms instead of 0.7 for a page of
            # 100,000 deals named "…99…"). Which one wins turned on the other organizations'
            # objects and on each ANALYZE's sample.
            with incremental_sorts_off(reader.db):
                return list(reader[window])
        return reader[window]

    def _reader(self, stop: int | None):
        if self.walked_rows is None or self.total is None or stop is None:
            return self.source
        if not (self.walking or self.matching):
            return self.source
        rows = self.walked_rows()
        if rows is None:
            return self.source
        walked = stop * rows / max(self.total, 1)  # rows passed for `stop` matches
        way = "walking" if walked <= self.walk_advantage * self.total else "matching"
        build = getattr(self, way)
        if build is None:
            return self.source
        if way not in self._readers:  # two threads may both build it; either serves
            self._readers[way] = replayed(build(), self.steps)
        return self._readers[way]


def record_listing(
    *,
    schema: ObjectSchema,
    archived: str,
    sort: list[SortKey],
    conditions: list[Condition] = (),
    any_of: list[list[Condition]] = (),
) -> RecordListing:
    """The records of a list or search page: `conditions` ANDed, and at least one group of
    `any_of` (each ANDed) when there are groups."""
    either = None
    state = ARCHIVED_STATES[archived]
    if any_of:
        either = Q()
        for group in any_of:
            either |= all_of(group, archived=state)
    conditions = list(conditions)
    queryset = _filtered(schema, archived, conditions, either)
    counted = None if either is not None else counted_in_index(conditions, archived=state)
    source = listing(queryset, schema, sort, archived=state)
    readers: dict[str, Any] = {}
    if isinstance(source, ValuesFirst):
        if either is None and has_index_lookups(conditions):
            # Walking the sort field's index, each record's own value rows checked.
            def walking() -> ValuesFirst:
                rest, checks = checked_per_row(conditions)
                return listing(
                    _filtered(schema, archived, rest, None),
                    schema,
                    sort,
                    archived=state,
                    checks=checks,
                )

            readers = {
                "walking": walking,
                "walked_rows": lambda: value_index.estimated_rows(source.field),
            }
    elif conditions or either is not None:
        # In id (or other built-in) order: the object's index walked (`source`), or the
        # matches sorted.
        # Walking a row (an index step and a look at the record) costs far less than finding
        # one among the matches and sorting it, which may also mean reading every record when
        # no index finds the matches (a two-letter substring): the walk is preferred.
        readers = {
            "matching": lambda: matches_sorted(queryset, schema, sort),
            "walked_rows": lambda: estimated_records(schema, archived),
            "walk_advantage": 10.0,
            "exact_order": all(key.key == "id" for key in sort),
        }
    return RecordListing(source, queryset if counted is None else counted, **readers)


def estimated_records(schema: ObjectSchema, archived: str) -> int | None:
    """PostgreSQL's estimate of the object's records in the `archived` state (None
    elsewhere)."""
    key = ("records", schema.obj.pk, archived)
    return plan_estimates.estimated_rows(lambda: _filtered(schema, archived, [], None), key=key)


def _filtered(
    schema: ObjectSchema,
    archived: str,
    conditions: list[Condition],
    extra: Q | None,
) -> QuerySet[Record]:
    # One Q, one filter(): each filter() call copies the query, a cost every list pays.
    wanted = in_object(schema.obj)
    if archived == "false":
        wanted &= Q(archived_at__isnull=True)
    elif archived == "true":
        wanted &= Q(archived_at__isnull=False)
    if conditions:
        wanted &= all_of(conditions, archived=ARCHIVED_STATES[archived])
    if extra is not None:
        wanted &= extra
    return for_org(Record, org_id=schema.obj.org_id).filter(wanted)
