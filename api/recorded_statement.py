"""A count whose SQL is recorded the first time it runs and sent as it is after that.

A queryset's count() clones its query, wraps it in an aggregation and compiles it, every time:
more Python than PostgreSQL takes to count a page's worth of matches. When a built queryset is
kept for later requests (records.listing_cache), its count statement does not change either;
RecordedCount records the one statement the first count ran, per database, and from then on
runs that statement directly.
"""

from collections.abc import Callable
from typing import Any

from django.db import connection


class RecordedCount:
    def __init__(self) -> None:
        # (alias, vendor) -> (sql, params); two threads recording at once record the same.
        self._statements: dict[tuple[str, str], tuple[str, tuple[Any, ...]]] = {}

    def count(self, run: Callable[[], int]) -> int:
        """`run()` (a queryset's count) the first time; its recorded statement afterwards.
        Nothing is recorded when `run` sent other than exactly one statement."""
        key = (connection.alias, connection.vendor)
        statement = self._statements.get(key)
        if statement is not None:
            with connection.cursor() as cursor:
                cursor.execute(*statement)
                return int(cursor.fetchone()[0])
        sent: list[tuple[str, tuple[Any, ...]]] = []

        def record(execute, sql, params, many, context):
            sent.append((sql, tuple(params or ())))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            total = run()
        if len(sent) == 1:
            self._statements[key] = sent[0]
        return total
