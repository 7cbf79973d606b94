"""The session settings of every PostgreSQL connection the product opens, read from the
environment. Shared by config/settings.py and the benchmark's bare ceiling app, so that the
same SQL gets the same plans on both.

DATABASE_PARALLEL_WORKERS  parallel workers per query, default 0: a request's queries are
    short, starting workers costs more than it saves, and one tenant's query must not take
    every core.
DATABASE_RANDOM_PAGE_COST  the planner's cost of a random page read, default 1.1: the working
    set is in memory or on SSD, where a random read costs about what a sequential one does.
    PostgreSQL's default (4, for spinning disks) makes it scan a whole table rather than read
    a narrow index and visit the few rows it names.
"""

from collections.abc import Mapping


def session_options(environ: Mapping[str, str]) -> str:
    """libpq's `options`: `-c name=value` for each setting."""
    settings = {
        "max_parallel_workers_per_gather": environ.get("DATABASE_PARALLEL_WORKERS", "0"),
        "random_page_cost": environ.get("DATABASE_RANDOM_PAGE_COST", "1.1"),
    }
    return " ".join(f"-c {name}={value}" for name, value in settings.items())
