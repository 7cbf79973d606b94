"""PostgreSQL's estimate of how many rows a query returns, from its statistics: a plan, not a
count, for choosing between two ways of reading the same rows (records.selectors). Kept a
minute per process: statistics change slowly, and a stale estimate only costs speed."""

import json
import time
from collections.abc import Callable, Hashable

from django.db import connection
from django.db.models import QuerySet

KEEP_SECONDS = 60.0
MAX_KEPT = 10_000
_kept: dict[Hashable, tuple[float, int]] = {}  # key -> (when, rows)


def estimated_rows(query: Callable[[], QuerySet], *, key: Hashable) -> int | None:
    """The planner's row estimate for the queryset `query()` builds (None on databases other
    than PostgreSQL). `key` names what is estimated, for the per-process memory (a field's
    rows, say); the queryset is only built when the memory has no estimate for it."""
    if connection.vendor != "postgresql":
        return None
    now = time.monotonic()
    kept = _kept.get(key)
    if kept is not None and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    plan = json.loads(query().order_by().explain(format="json"))
    rows = int(plan[0]["Plan"]["Plan Rows"])
    if len(_kept) >= MAX_KEPT:
        _kept.clear()
    _kept[key] = (now, rows)
    return rows
