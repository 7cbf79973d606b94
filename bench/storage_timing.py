"""Timing and reporting for bench/storage_compare.py: medians of EXPLAIN ANALYZE's planning
and execution times and of the client's wall time, the relations a query locks, and the
Markdown table of results."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import psycopg


@dataclass
class Result:
    plan: float | None = None
    exec: float | None = None
    wall: float | None = None
    rows: int | None = None
    error: str | None = None
    explain: str = ""

    def cell(self) -> str:
        if self.error:
            return f"ERROR: {self.error[:40]}"
        parts = [f"{self.wall:.2f}" if self.wall is not None else "-"]
        if self.plan is not None:
            parts.append(f"({self.plan:.2f}+{self.exec:.2f})")
        return " ".join(parts)


PLAN_RE = re.compile(r"Planning Time: ([\d.]+) ms")
EXEC_RE = re.compile(r"Execution Time: ([\d.]+) ms")


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        walls.append((time.perf_counter() - start) * 1000)
    return walls


def measure(
    conn: psycopg.Connection, query: str, params: Any = None, *, runs: int, write: bool = False
) -> Result:
    """Median planning/execution (EXPLAIN ANALYZE) and client wall time over `runs` runs.
    A write runs in a transaction rolled back afterwards."""
    result = Result()
    plans, execs = [], []
    try:
        for _ in range(runs):
            with conn.transaction(force_rollback=write):
                text = "\n".join(
                    row[0]
                    for row in conn.execute(
                        "EXPLAIN (ANALYZE, BUFFERS) " + query, params
                    ).fetchall()
                )
            plans.append(float(PLAN_RE.search(text).group(1)))  # type: ignore[union-attr]
            execs.append(float(EXEC_RE.search(text).group(1)))  # type: ignore[union-attr]
            result.explain = text

        def run() -> None:
            with conn.transaction(force_rollback=write):
                cur = conn.execute(query, params)
                result.rows = len(cur.fetchall()) if cur.description else cur.rowcount

        walls = timed(run, runs)
    except psycopg.Error as exc:
        result.error = str(exc).splitlines()[0]
        return result
    result.plan, result.exec = statistics.median(plans), statistics.median(execs)
    result.wall = statistics.median(walls)
    return result


def measure_client(conn: psycopg.Connection, fn: Callable[[], Any], runs: int) -> Result:
    result = Result()
    try:

        def run() -> None:
            with conn.transaction(force_rollback=True):
                fn()

        result.wall = statistics.median(timed(run, runs))
    except psycopg.Error as exc:
        result.error = str(exc).splitlines()[0]
    return result


def relation_locks(conn: psycopg.Connection, query: str, params: Any) -> Result:
    result = Result()
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(query, params)
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                "AND locktype = 'relation' AND relation <> 'pg_locks'::regclass"
            ).fetchone()
            result.rows = row[0] if row else None
    except psycopg.Error as exc:
        result.error = str(exc).splitlines()[0]
    return result


# --------------------------------------------------------------------------------------------
# The suite


def table(results: dict[str, dict[str, Result]], columns: Iterable[str]) -> str:
    columns = list(columns)
    names: list[str] = []
    for column in columns:
        for name in results.get(column, {}):
            if name not in names:
                names.append(name)
    lines = [
        "| measurement | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name in names:
        cells = []
        for column in columns:
            r = results.get(column, {}).get(name)
            if r is None:
                cells.append("")
            elif r.wall is None and r.error is None and r.rows is not None:
                cells.append(str(r.rows))
            else:
                cells.append(r.cell())
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
