"""Planner settings for one read on PostgreSQL, where the planner's estimates are known to
mislead it and the right plan is known: set for the transaction (`SET LOCAL`), so that they
end with it, whatever happens, and never reach another request on the same connection."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

INCREMENTAL_SORTS_OFF = "SET LOCAL enable_incremental_sort = off"


@contextmanager
def incremental_sorts_off(using: str) -> Iterator[None]:
    """Reads inside are planned with no incremental sort; elsewhere than on PostgreSQL,
    nothing changes. Outside a transaction they get one of their own. Inside one (no
    savepoint: the setting would outlive it anyway), the setting holds until that ends: it
    only ever costs a later read some speed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.execute(INCREMENTAL_SORTS_OFF)
        yield
