"""Record filters: a django-filter FilterSet built per object from its field definitions.

One filter per (key, operator), named `<key>` or `<key>__<operator>`, keys being id, name,
created_at, updated_at and `fields__<field>` (aliases too). Each filter builds a Q, so the same
filters serve the list's query string, the search body (with `any` OR-groups) and the admin.
"""

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import django_filters
from django import forms
from django.db import connection
from django.db.models import F, FloatField, Q, Value, lookups
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Lower, Right, Substr
from django.utils.dateparse import parse_datetime
from rest_framework.filters import BaseFilterBackend

from api.exceptions import (
    BadRequestError,
    InvalidParameterError,
    LimitExceededError,
    shown,
    some_of,
)
from api.inputs import read_params
from api.query import WINDOW_PARAMS
from records import value_index
from records.field_types import FieldValueError
from records.field_types.base import ALL_OPERATORS, ORDERED
from records.field_types.temporal import utc_text
from records.lookups import CaseSensitiveContains, TrigramIContains
from records.models import Field, Record
from records.ordering import FIELD_PREFIX
from records.values import link_operands

LIST_OPERATORS = ("in",)
BUILT_IN_OPERATORS = {
    "id": ("", "not", "in", *ORDERED),
    "name": ALL_OPERATORS,
    "created_at": ("", "not", *ORDERED),
    "updated_at": ("", "not", *ORDERED),
}


def describe(operators: tuple[str, ...]) -> str:
    return ", ".join(f"'{op}'" if op else "'' (equal)" for op in operators)


@dataclass(frozen=True)
class Target:
    """What a filter key points at: a built-in column or a custom field."""

    key: str
    field: Field | None = None

    @property
    def operators(self) -> tuple[str, ...]:
        if self.field is None:
            return BUILT_IN_OPERATORS[self.key]
        return self.field.kind.operators

    # --- operands ---------------------------------------------------------------------
    def operand(self, raw: Any, parameter: str) -> Any:
        """One operand in stored form; a malformed one is a 400 naming the parameter."""
        try:
            if self.field is not None:
                return self.field.kind.filter_operand(raw, self.field.options)
            if self.key == "id":
                return str(uuid.UUID(str(raw)))
            if self.key in ("created_at", "updated_at"):
                parsed = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 40 else None
                if parsed is None:
                    raise FieldValueError("Expected a date and time in ISO 8601.")
                return dt.datetime.fromisoformat(utc_text(parsed).removesuffix("Z") + "+00:00")
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                raise FieldValueError("Expected a string.")
            return str(raw)
        except (FieldValueError, ValueError) as exc:
            raise InvalidParameterError(parameter, str(exc)) from None

    # --- expressions --------------------------------------------------------------------
    def text(self):
        return F(self.key) if self.field is None else KeyTextTransform(self.field.key, "values")

    def numeric(self) -> bool:
        return self.field is not None and self.field.kind.sort_as == "number"

    def comparable(self):
        return Cast(self.text(), FloatField()) if self.numeric() else self.text()

    def has_value(self) -> Q:
        if self.field is None:
            return Q(**{f"{self.key}__isnull": False}) & ~Q(**{self.key: ""})
        return Q(values__has_key=self.field.key)

    def is_many(self) -> bool:
        return self.field is not None and self.field.kind.list_valued(self.field.options)


class Condition(NamedTuple):
    """One parsed filter: `target operator values`, values in stored form."""

    target: Target
    operator: str
    values: list[Any]


ORDERED_LOOKUPS = {
    "lt": lookups.LessThan,
    "lte": lookups.LessThanOrEqual,
    "gt": lookups.GreaterThan,
    "gte": lookups.GreaterThanOrEqual,
}


def condition(target: Target, operator: str, values: list[Any]) -> Q:
    """The Q for one filter: `target operator values`, values already in stored form.
    `not` also matches records without a value (they are not equal to it). Custom fields are
    matched through the value index where it answers exactly (records.value_index), else on
    the stored JSON."""
    if operator == "isnull":
        return ~target.has_value() if values[0] else target.has_value()
    field = target.field
    if target.is_many():
        # multi_select: "" and contains mean "has this option"; a many-relationship: ""
        # means "links to this record".
        has = _has_any(target, values)
        return (~has | ~target.has_value()) if operator == "not" else has
    if operator in ("", "in", "not"):
        equal = _equal(target, values)
        return (~equal | ~target.has_value()) if operator == "not" else equal
    if operator in ORDERED_LOOKUPS:
        value = values[0]
        if field is not None and value_index.serves(field, [value]):
            return value_index.matching(field, operator, value)
        if target.numeric():
            value = float(value)
        return Q(ORDERED_LOOKUPS[operator](target.comparable(), value))
    needle = str(values[0])
    text = target.text()
    if operator in ("contains", "icontains"):
        lookup = CaseSensitiveContains if operator == "contains" else TrigramIContains
        if target.key == "name":
            # On the folded name, which the trigram index covers; `contains` then also
            # compares the name itself, case and all.
            folded = Q(CaseSensitiveContains(F("name_folded"), Lower(Value(needle))))
            return (
                folded & Q(CaseSensitiveContains(text, needle))
                if lookup is not TrigramIContains
                else folded
            )
        if field is not None and field.kind.substring_indexed:
            return value_index.matching_words(field, lookup, needle)
        return Q(lookup(text, needle))
    if operator == "startswith":
        return Q(lookups.Exact(Substr(text, 1, len(needle)), Value(needle)))
    if operator == "endswith":
        return Q(lookups.Exact(Right(text, len(needle)), Value(needle)))
    raise BadRequestError(f"Unknown operator '{operator}'.")


def _has_any(target: Target, values: list[Any]) -> Q:
    """A list field holding any of `values`: its index rows, or (for operands too long for
    the index) the stored JSON text of the list, which SQLite keeps as Python wrote it
    (non-ASCII escaped) and PostgreSQL as characters."""
    if value_index.serves(target.field, values):
        return value_index.matching(target.field, "in", values)
    escape = connection.vendor != "postgresql"
    has = Q()
    for value in values:
        has |= Q(CaseSensitiveContains(target.text(), json.dumps(value, ensure_ascii=escape)))
    return has


def _equal(target: Target, values: list[Any]) -> Q:
    """Equal to any of `values`: one IN (not a chain of ORs, which SQLite caps)."""
    if target.field is None:
        return Q(**{f"{target.key}__in": values})
    if target.field.kind.case_insensitive:
        return value_index.matching_any_folded(target.field, values)
    if value_index.serves(target.field, values):
        return value_index.matching(target.field, "in", values)
    if target.numeric():
        return Q(lookups.In(target.comparable(), [float(value) for value in values]))
    if all(isinstance(value, str) for value in values):
        return Q(lookups.In(target.text(), values))
    either = Q()
    for value in values:  # booleans (one value): compared as JSON
        either |= Q(**{f"values__{target.field.key}": value})
    return either


def all_of(conditions: list[Condition], *, archived: bool | None = None) -> Q:
    """Conditions ANDed. Those on one single-valued field that the value index answers are
    one lookup of its rows, so that a range (`gte` and `lte`) is one index scan. `archived`
    is the records' archived state when the caller keeps to one (it narrows the lookups)."""
    combined = Q()
    for target, operator, values in conditions:
        if _index_lookup(target, operator, values) is None:
            combined &= condition(target, operator, values)
    for field, field_lookups in _index_lookups_by_field(conditions).values():
        combined &= value_index.matching_all(field, field_lookups, archived=archived)
    return combined


def checked_per_row(
    conditions: list[Condition],
) -> tuple[list[Condition], Callable[[str], Q] | None]:
    """The conditions other than value-index lookups, and what checks those lookups record by
    record: given the outer reference to a record id, one check of that record's own index
    row per field (value_index.value_matching_all); None when there are none."""
    rest = [found for found in conditions if _index_lookup(*found) is None]
    by_field = list(_index_lookups_by_field(conditions).values())
    if not by_field:
        return rest, None

    def checks(record: str) -> Q:
        combined = Q()
        for field, field_lookups in by_field:
            combined &= value_index.value_matching_all(field, field_lookups, record=record)
        return combined

    return rest, checks


def has_index_lookups(conditions: list[Condition]) -> bool:
    return bool(_index_lookups_by_field(conditions))


def _index_lookups_by_field(
    conditions: list[Condition],
) -> dict[Any, tuple[Field, list[tuple[str, Any]]]]:
    by_field: dict[Any, tuple[Field, list[tuple[str, Any]]]] = {}
    for target, operator, values in conditions:
        lookup = _index_lookup(target, operator, values)
        if lookup is not None:
            by_field.setdefault(target.field.pk, (target.field, []))[1].append(lookup)
    return by_field


def counted_in_index(conditions: list[Condition], *, archived: bool | None):
    """When every condition is an index lookup on one single-valued field, the index rows
    whose number is the number of matching records (one row per record), so that the total
    is counted without reading the records; otherwise None."""
    by_field = _index_lookups_by_field(conditions)
    if len(by_field) != 1 or any(_index_lookup(*found) is None for found in conditions):
        return None
    ((field, field_lookups),) = by_field.values()
    return value_index.rows_matching(field, field_lookups, archived=archived)


def _index_lookup(target: Target, operator: str, values: list[Any]) -> tuple[str, Any] | None:
    if target.field is None or target.is_many() or not value_index.serves(target.field, values):
        return None
    if operator in ("", "in") and target.field.kind.case_insensitive:
        return None  # compared folded, on the words column (_equal)
    if operator in ("", "in"):
        return "in", values
    if operator in ORDERED_LOOKUPS:
        return operator, values[0]
    return None


class RecordFilter(django_filters.Filter):
    """One `<key>[__<operator>]` filter. Its value is parsed here, not by a form field, so the
    query string (text, `in` as a comma list) and the search body (a list) share the parsing."""

    field_class = forms.Field

    def __init__(self, *, target: Target, operator: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.operator = operator

    def values(self, raw: Any) -> list[Any]:
        parameter = self.field_name
        if self.operator == "isnull":
            flag = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
            if isinstance(flag, str) and flag.lower() in ("true", "false", "1", "0"):
                flag = flag.lower() in ("true", "1")
            if not isinstance(flag, bool):
                raise InvalidParameterError(parameter, "expected true or false.")
            return [flag]
        if isinstance(raw, str) and self.operator in LIST_OPERATORS:
            raw = [part for part in raw.split(",") if part != ""]
        items = raw if isinstance(raw, list) else [raw]
        if not items or any(item in ("", None) for item in items):
            raise InvalidParameterError(
                parameter, "expected a value (use __isnull=true to find empty ones)."
            )
        if self.target.is_many() and len(items) > 100:
            raise InvalidParameterError(parameter, "at most 100 values for a list field.")
        if len(items) > 1 and self.operator not in LIST_OPERATORS:
            raise InvalidParameterError(parameter, "expected one value.")
        LimitExceededError.check(
            len(items),
            setting="API_MAX_IN_VALUES",
            message=f"'{shown(parameter)}' has {len(items):,} values, more than an 'in' list "
            "may have",
            where=parameter,
        )
        operands = [self.target.operand(item, parameter) for item in items]
        field = self.target.field
        return link_operands(field, operands) if field and field.kind.links_records else operands

    def q(self, raw: Any) -> Q:
        return condition(self.target, self.operator, self.values(raw))

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(self.q(value))


class RecordFilterSet(django_filters.FilterSet):
    """Built per object by `filterset_for`; its filters are also used one by one."""

    class Meta:
        model = Record
        fields: list[str] = []

    def conditions(self) -> list[Condition]:
        self.form.is_valid()  # plain form fields: the filters parse their values themselves
        found = []
        for name, raw in self.form.cleaned_data.items():
            if raw is not None:
                record_filter = self.filters[name]
                target, operator = record_filter.target, record_filter.operator
                found.append(Condition(target, operator, record_filter.values(raw)))
        return found

    def filter_queryset(self, queryset):
        # All filters at once rather than one after another, so that all_of can join the
        # conditions on one field into one lookup of the value index.
        conditions = self.conditions()
        return queryset.filter(all_of(conditions)) if conditions else queryset


def targets(schema) -> dict[str, Target]:
    """Every filter key of the object; built once per schema and shared (read-only)."""
    return schema.derived(_targets)


def _targets(schema) -> dict[str, Target]:
    found = {key: Target(key=key) for key in BUILT_IN_OPERATORS}
    for field in schema.fields:
        for name in (field.api_name, *field.aliases):
            found[FIELD_PREFIX + name] = Target(key=FIELD_PREFIX + name, field=field)
    return found


def filterset_for(schema) -> type[RecordFilterSet]:
    """The object's FilterSet class; built once per schema and shared (read-only)."""
    return schema.derived(_filterset)


def _filterset(schema) -> type[RecordFilterSet]:
    filters: dict[str, RecordFilter] = {}
    for key, target in targets(schema).items():
        for operator in target.operators:
            name = f"{key}__{operator}" if operator else key
            filters[name] = RecordFilter(target=target, operator=operator, field_name=name)
    # Declared filters: django-filter's metaclass collects them into base_filters.
    return type(f"{schema.obj.api_name.title()}FilterSet", (RecordFilterSet,), filters)


def split_filter_key(schema, name: str) -> tuple[Target, str] | None:
    """(target, operator) for a filter name, or None when its key is unknown. An unknown
    operator on a known key is a 400 naming the valid ones."""
    known = targets(schema)
    key, operator = (name, "") if name in known else name.rpartition("__")[::2]
    if key not in known:
        return None
    target = known[key]
    if operator not in target.operators:
        raise InvalidParameterError(
            name,
            f"'{shown(operator)}' is not an operator for {key}; valid operators: "
            f"{describe(target.operators)}.",
        )
    return target, operator


# An object may have hundreds of fields: an error names this many of its keys at most.
FILTER_KEYS_SHOWN = 40


def filter_keys(schema) -> list[str]:
    """The object's filter keys as an integrator writes them: the built-in ones, then one per
    field by its api_name (a field's former names work too, unnamed)."""
    return [*BUILT_IN_OPERATORS, *(FIELD_PREFIX + field.api_name for field in schema.fields)]


def unknown_filter_key(schema, name: str) -> str:
    """What is wrong with a filter name whose key is not one of the object's: its keys, and
    the one meant when a field's name was written without `fields__`."""
    problem = (
        f"unknown filter key; the filter keys of {schema.obj.api_name} are "
        f"{some_of(filter_keys(schema), limit=FILTER_KEYS_SHOWN)}, with __<operator> where "
        "needed."
    )
    known = targets(schema)
    for key in (name, name.rpartition("__")[0]):
        if key and FIELD_PREFIX + key in known:
            return f"{problem} Did you mean {FIELD_PREFIX}{shown(name)}?"
    return problem


def check_filter_names(schema, names) -> None:
    """Every name is a filter; otherwise a 400 that says why (unknown key or operator)."""
    for name in names:
        if split_filter_key(schema, name) is None:
            raise InvalidParameterError(name, unknown_filter_key(schema, name))


def query_conditions(schema, params: Mapping[str, Any]) -> list[Condition]:
    """The list's query-string filters, parsed by the object's FilterSet's filters. Straight
    from the class: an instance would deep-copy every filter and build and clean a form field
    for each on every request, while a RecordFilter parses its own value."""
    if not params:
        return []
    check_filter_names(schema, params)
    filters = filterset_for(schema).base_filters
    found = []
    for name, value in params.items():
        target, operator = split_filter_key(schema, name)
        record_filter = filters[f"{target.key}__{operator}" if operator else target.key]
        found.append(Condition(target, operator, record_filter.values(value)))
    return found


# A list's parameters that are not filters: its window, sort, select and archived state.
CONTROLS = frozenset({*WINDOW_PARAMS, "sort", "select", "archived"})


def apply_query_filters(schema, queryset, params: Mapping[str, Any]):
    """The queryset narrowed by the list's query-string filters."""
    return queryset.filter(all_of(query_conditions(schema, params)))


class RecordFilterBackend(BaseFilterBackend):
    """django-filter through DRF's filter backend: the query string's filters, read by the
    object's FilterSet (`filterset_for`). A list asks for the conditions themselves, so that
    its cached listing (records.listing_cache) is keyed by them."""

    def conditions(self, request, schema) -> list[Condition]:
        params = read_params(request)
        return query_conditions(schema, {k: v for k, v in params.items() if k not in CONTROLS})

    def filter_queryset(self, request, queryset, view):
        conditions = self.conditions(request, view.object_schema())
        return queryset.filter(all_of(conditions)) if conditions else queryset
