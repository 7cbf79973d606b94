"""A queryset compiled to SQL once per process and database, then run with new values.

The reads every request makes (its API key, one record) always have the same shape; only the
values change. Building and compiling their querysets each time costs more Python than the
database takes to answer them. A CompiledQuery builds its queryset once with placeholder
values, keeps the SQL and where each placeholder landed among the parameters, and from then on
executes that SQL with the values of the call, turning rows into model instances the way the
ORM's ModelIterable does (converters, select_related and annotations included).

Only for querysets whose SQL does not depend on the values (plain lookups, no `__in` lists):
a value that changed the SQL would be caught at compile time as a placeholder not found.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, models
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position among the params, value name)
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]
    model: type[models.Model]
    init_list: tuple[str, ...]
    model_fields: slice
    related_populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    fetch_mode: Any


def _placeholder(field: models.Field) -> Any:
    """A value of the field's type that no real query sends, to be found among the params."""
    target = getattr(field, "target_field", None) or field  # a foreign key: its target's type
    if isinstance(target, models.UUIDField):
        return uuid.uuid4()
    if isinstance(target, models.CharField | models.TextField):
        return f"placeholder-{uuid.uuid4().hex}"
    raise TypeError(f"CompiledQuery has no placeholder for a {type(target).__name__}.")


class CompiledQuery[M: models.Model]:
    """`build(**values)` returns the queryset; `fields` names the model field each value is
    sent as (it prepares the value for the database, as the lookup would)."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], **fields: models.Field) -> None:
        self.build = build
        self.fields = fields
        # Per database alias and vendor; two threads compiling at once store the same thing.
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def all(self, *, using: str = "default", **values: Any) -> list[M]:
        connection = connections[using]
        compiled = self._compiled.get((using, connection.vendor)) or self._compile(using)
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = self.fields[name].get_db_prep_value(
                values[name], connection, prepared=False
            )
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return [self._instance(compiled, row, connection) for row in rows]

    def one(self, *, using: str = "default", **values: Any) -> M | None:
        """The one matching instance, or None: for lookups by a unique key (no ORDER BY, no
        LIMIT; a second row would be a broken constraint, and is an error here)."""
        found = self.all(using=using, **values)
        if len(found) > 1:
            raise RuntimeError(f"{len(found)} rows for a lookup by a unique key.")
        return found[0] if found else None

    @staticmethod
    def _instance(compiled: _Compiled, row: Any, connection: Any) -> M:
        if compiled.converters:
            row = list(row)
            for position, converters, expression in compiled.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        instance = compiled.model.from_db(
            connection.alias,
            compiled.init_list,
            row[compiled.model_fields],
            fetch_mode=compiled.fetch_mode,
        )
        for populator in compiled.related_populators:
            populator.populate(row, instance)
        for name, position in compiled.annotations:
            setattr(instance, name, row[position])
        return instance

    def _compile(self, using: str) -> _Compiled:
        connection = connections[using]
        placeholders = {name: _placeholder(field) for name, field in self.fields.items()}
        queryset = self.build(**placeholders).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        prepared = {
            name: self.fields[name].get_db_prep_value(value, connection, prepared=False)
            for name, value in placeholders.items()
        }
        slots = [
            (position, name)
            for position, param in enumerate(params)
            for name, value in prepared.items()
            if type(param) is type(value) and param == value
        ]
        if {name for _, name in slots} != set(self.fields):
            raise ValueError("A value of the compiled query is not a parameter of its SQL.")
        select, klass_info = compiler.select, compiler.klass_info
        fields = select[klass_info["select_fields"][0] : klass_info["select_fields"][-1] + 1]
        start = klass_info["select_fields"][0]
        converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        compiled = _Compiled(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            converters=tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in converters.items()
            ),
            model=klass_info["model"],
            init_list=tuple(column[0].target.attname for column in fields),
            model_fields=slice(start, start + len(fields)),
            related_populators=tuple(
                get_related_populators(klass_info, select, using, queryset._fetch_mode)
            ),
            annotations=tuple(compiler.annotation_col_map.items()),
            fetch_mode=queryset._fetch_mode,
        )
        self._compiled[(using, connection.vendor)] = compiled
        return compiled
