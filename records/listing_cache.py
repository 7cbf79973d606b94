"""Built list queries kept per object schema, for the lists that integrators poll.

Building a list's querysets (its filters as lookups on the value index, its order, the
columns its payloads show) costs more Python than PostgreSQL takes to answer them, and an
integrator polls the same list, with the same filters, all day. A list's built querysets are
kept on the object's schema (records.values.ObjectSchema.derived) under what the list asked
for, and each request clones them, compiles and runs them: the rows and the total are read
fresh every time, only the building is saved.

Kept on the schema, so a schema change (a new version, a new ObjectSchema) leaves them
behind; at most LISTINGS_PER_OBJECT per object, the least recently used going first, so one
organization's many different lists never push out another's.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

LISTINGS_PER_OBJECT = 64


class ListingCache:
    """Built listings of one object schema, by what they were built for."""

    def __init__(self, size: int = LISTINGS_PER_OBJECT) -> None:
        self.size = size
        self._built: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable | None, build: Callable[[], Any]) -> Any:
        """What `build()` returns for `key`, built once; a None key is never kept."""
        if key is None:
            return build()
        with self._lock:
            built = self._built.get(key)
            if built is not None:
                self._built.move_to_end(key)
                return built
        built = build()  # outside the lock: two threads may both build, either result serves
        with self._lock:
            self._built[key] = built
            while len(self._built) > self.size:
                self._built.popitem(last=False)
        return built


def listing_cache(schema: Any) -> ListingCache:
    """The cache of one schema (for ObjectSchema.derived)."""
    return ListingCache()


def listing_key(conditions: Any, any_of: Any, *parts: Hashable) -> Hashable | None:
    """A key for a list: its conditions and `any` groups ((target, operator, values) each),
    the values with their types (1, 1.0 and True build different queries), and the other
    `parts` it was built for; None when a value cannot be a key."""
    groups = (conditions, *any_of)
    key = (
        tuple(
            tuple(
                (target.key, operator, tuple((type(value), value) for value in values))
                for target, operator, values in group
            )
            for group in groups
        ),
        parts,
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key
