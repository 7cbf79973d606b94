"""An object with its fields, as every read and write of its records sees it."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from records.models import Field, Object


@dataclass(frozen=True)
class ObjectSchema:
    """An object and its fields, looked up by api_name, alias or storage key.

    A schema never changes once built: a change to the object or its fields is a new schema
    (records.schema_cache). So what is derived from it is computed once and kept with it
    (`derived`), and the same instances serve many requests: nothing may change `obj`, the
    fields, or anything derived from them."""

    obj: Object
    fields: tuple[Field, ...]
    _derived: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, obj: Object) -> "ObjectSchema":
        return cls(obj=obj, fields=tuple(obj.fields.all()))

    def derived[T](self, build: Callable[["ObjectSchema"], T]) -> T:
        """`build(self)`, computed on first use and then shared: treat it as read-only."""
        try:
            return self._derived[build]
        except KeyError:
            # Two threads may both build it; either result is the same, so no lock.
            return self._derived.setdefault(build, build(self))

    def field(self, name: str) -> Field | None:
        return self.derived(_fields_by_name).get(name)

    def by_key(self) -> dict[str, Field]:
        return self.derived(_fields_by_key)


def _fields_by_name(schema: ObjectSchema) -> dict[str, Field]:
    """api_names first, then aliases (a former name never hides a current one); among
    aliases, the first field in order wins."""
    found: dict[str, Field] = {}
    for each in schema.fields:
        for alias in each.aliases:
            found.setdefault(alias, each)
    found.update({each.api_name: each for each in schema.fields})
    return found


def _fields_by_key(schema: ObjectSchema) -> dict[str, Field]:
    return {each.key: each for each in schema.fields}
