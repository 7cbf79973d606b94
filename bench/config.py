"""The knobs of `make bench` (environment variables, documented in docs/benchmarks.md) and
the run's deadline, which every step consults so the whole run stays within its budget."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _count(name: str, default: int) -> int:
    return int(_number(name, default))


@dataclass(frozen=True)
class Knobs:
    budget: float  # seconds for the whole run, set-up and clean-up included
    duration: float  # one measured wrk run, product against ceiling
    warmup: float  # an unmeasured wrk run before each measured one
    ab_duration: float  # one measured wrk run of the tenant-scale comparison
    ab_rounds: int
    connections: int
    workers: int  # gunicorn sync workers, for the product and the ceiling alike
    companies: int
    deals: int
    batch_size: int
    singles: int
    webhook_events: int
    tenants: int
    tenant_objects: int
    tenant_fields: int
    tenant_records: int
    tenant_processes: int
    tenant_budget: float  # seconds for creating the tenants and their background work
    keep: bool  # keep the databases after the run, to look into them
    out_dir: Path

    @classmethod
    def from_env(cls) -> "Knobs":
        workers = _count("BENCH_WORKERS", 2)
        return cls(
            budget=_number("BENCH_BUDGET", 565),
            duration=_number("BENCH_DURATION", 5),
            warmup=_number("BENCH_WARMUP", 2),
            ab_duration=_number("BENCH_AB_DURATION", 2),
            ab_rounds=_count("BENCH_AB_ROUNDS", 5),
            # One connection per worker: each worker always has a request, and a request's
            # latency is its own, not the wait behind the one before it (4 connections on 2
            # workers doubled every p50, the ceiling's too).
            connections=_count("BENCH_CONNECTIONS", workers),
            workers=workers,
            companies=_count("BENCH_COMPANIES", 10_000),
            deals=_count("BENCH_DEALS", 100_000),
            batch_size=_count("BENCH_BATCH_SIZE", 1000),
            singles=_count("BENCH_SINGLES", 500),
            webhook_events=_count("BENCH_WEBHOOK_EVENTS", 100),
            tenants=_count("BENCH_TENANTS", 200),
            tenant_objects=_count("BENCH_TENANT_OBJECTS", 10),
            tenant_fields=_count("BENCH_TENANT_FIELDS", 20),
            tenant_records=_count("BENCH_TENANT_RECORDS", 20),
            tenant_processes=_count("BENCH_TENANT_PROCESSES", 3),
            tenant_budget=_number("BENCH_TENANT_BUDGET", 150),
            keep=os.environ.get("BENCH_KEEP", "") not in ("", "0", "false"),
            out_dir=Path(os.environ.get("BENCH_OUT", ROOT / "var" / "bench")),
        )


class Deadline:
    """The run's end. Steps ask how long they may take; a step that would overrun shrinks
    (shorter wrk runs, fewer tenants) rather than pushing the run past its bound."""

    def __init__(self, budget: float) -> None:
        self.started = time.monotonic()
        self.end = self.started + budget

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def allow(self, wanted: float, *, keep: float) -> float:
        """Up to `wanted` seconds, leaving `keep` seconds for the steps after this one."""
        return max(0.0, min(wanted, self.remaining() - keep))
