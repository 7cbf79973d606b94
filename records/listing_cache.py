"""Built list queries kept per process, for the lists that integrators poll.

Building a list's querysets (its filters as lookups on the value index, its order, the
columns its payloads show) costs more Python than PostgreSQL takes to answer them, and an
integrator polls the same list, with the same filters, all day. A list's built querysets are
kept under the object schema they were built for and what the list asked for; each request
clones them, compiles and runs them: the rows and the total are read fresh every time, only
the building is saved.

Keyed on the identity of the schema object (records.schema_cache makes a new one for every
schema version, equal to the old one when only options or names changed), so a schema change
leaves them behind, to age out. Bounded twice, the least
recently used going first: LISTINGS_PER_ORG for one organization, whose many different lists
push out only its own, and LISTINGS_PER_PROCESS in all (a kept list holds about 70 KB).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

LISTINGS_PER_ORG = 32
LISTINGS_PER_PROCESS = 512


class ListingCache:
    """Built listings by (schema, what they were built for), bounded per organization and in
    all."""

    def __init__(
        self, *, per_org: int = LISTINGS_PER_ORG, in_all: int = LISTINGS_PER_PROCESS
    ) -> None:
        self.per_org = per_org
        self.in_all = in_all
        # (id of the schema, key) -> (schema, built), least recently used first
        self._built: OrderedDict[tuple[int, Hashable], tuple[Any, Any]] = OrderedDict()
        self._by_org: dict[Any, OrderedDict[tuple[int, Hashable], None]] = {}
        self._lock = threading.Lock()

    def get(self, schema: Any, key: Hashable | None, build: Callable[[], Any]) -> Any:
        """What `build()` returns for `key` under `schema`, built once; a None key is never
        kept."""
        if key is None:
            return build()
        # The schema is kept with what was built for it, so its id is not reused meanwhile.
        entry = (id(schema), key)
        org_id = schema.obj.org_id
        with self._lock:
            found = self._built.get(entry)
            if found is not None:
                self._built.move_to_end(entry)
                self._by_org[org_id].move_to_end(entry)
                return found[1]
        built = build()  # outside the lock: two threads may both build, either result serves
        with self._lock:
            self._built[entry] = (schema, built)
            own = self._by_org.setdefault(org_id, OrderedDict())
            own[entry] = None
            if len(own) > self.per_org:
                self._forget(next(iter(own)))
            while len(self._built) > self.in_all:
                self._forget(next(iter(self._built)))
        return built

    def kept(self, org_id: Any) -> int:
        """How many listings of the organization are kept."""
        with self._lock:
            return len(self._by_org.get(org_id, ()))

    def _forget(self, entry: tuple[int, Hashable]) -> None:
        schema, _ = self._built.pop(entry)
        org_id = schema.obj.org_id
        own = self._by_org[org_id]
        own.pop(entry, None)
        if not own:
            del self._by_org[org_id]


LISTINGS = ListingCache()


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
