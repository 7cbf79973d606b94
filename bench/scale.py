"""Step 5, tenant scale: the base database (A) against a copy of it with many more tenants
(B). Makes the tenants (bench/tenants.py, several processes, the product's background worker
beside them as `make run` has it), then compares the read scenarios on A and B in alternating
runs, times adding a field in B, runs concurrent writers in B's tenants and counts the indexes
a read and a write touch in each."""

import json
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import databases, processes, traffic
from bench.client import Api
from bench.scenarios import SCENARIOS

WRITERS = 16  # concurrent writers, each in its own tenant


@dataclass
class Tenants:
    planned: int
    made: int = 0
    fields: int = 0
    records: int = 0
    seconds: float = 0.0
    finished: bool = False  # every planned tenant was made within the budget
    tasks_left: dict[str, int] = field(default_factory=dict)
    keys: list[tuple[str, str]] = field(default_factory=list)  # (write key, object) per tenant
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "made": self.made,
            "fields": self.fields,
            "records": self.records,
            "seconds": round(self.seconds, 1),
            "finished": self.finished,
            "background_tasks_left": self.tasks_left,
            "errors": self.errors,
        }


def make_tenants(
    *,
    env: dict[str, str],
    out: Path,
    tenants: int,
    objects: int,
    fields: int,
    records: int,
    process_count: int,
    budget: float,
) -> Tenants:
    """Up to `tenants` tenants in B within `budget` seconds."""
    made = Tenants(planned=tenants)
    per_process = -(-tenants // process_count)
    creators = []
    started = time.perf_counter()
    for number in range(process_count):
        first = number * per_process
        count = min(per_process, tenants - first)
        if count <= 0:
            break
        log = out / f"tenants-{number}.log"
        log.unlink(missing_ok=True)
        command = processes.python(
            "-m",
            "bench.tenants",
            "--first",
            str(first),
            "--count",
            str(count),
            "--objects",
            str(objects),
            "--fields",
            str(fields),
            "--records",
            str(records),
            "--keys",
            str(-(-WRITERS // process_count)),
        )
        creators.append((processes.start(command, env=env, log=log), log))
    worker_log = out / "tenants-worker.log"
    worker = processes.start(
        processes.python("manage.py", "db_worker", "--no-startup-delay", "--no-reload"),
        env=env,
        log=worker_log,
    )
    end = time.monotonic() + budget
    while time.monotonic() < end and any(p.poll() is None for p, _ in creators):
        time.sleep(0.5)
    made.seconds = time.perf_counter() - started
    for process, log in creators:
        if process.poll() not in (None, 0):
            made.errors.append(f"{log.name}: exit {process.returncode}: {log.read_text()[-800:]}")
        processes.stop(process)
        for line in log.read_text().splitlines():
            if line.startswith("TENANT "):
                done = json.loads(line.removeprefix("TENANT "))
                made.made += 1
                if "key" in done:
                    made.keys.append((done["key"], done["object"]))
    processes.stop(worker)
    made.finished = made.made == tenants
    made.fields = made.made * objects * fields
    made.records = made.made * objects * records
    made.tasks_left = {
        status: count
        for status, count in databases.pending_tasks(databases.SCALED).items()
        if status != "SUCCESSFUL"
    }
    return made


def alternate(
    wrk: str,
    *,
    ports: dict[str, int],
    key: str,
    ids_file: Path,
    rounds: int,
    seconds: int,
    warmup: int,
    connections: int,
    log: Path,
) -> dict[str, Any]:
    """Each scenario on A and B in turn, A B then B A, `rounds` times, after a warm-up of
    each: drift of the machine during the run weighs on both sides alike."""
    results: dict[str, Any] = {}
    for scenario in SCENARIOS:
        runs: dict[str, list[traffic.Run]] = {"A": [], "B": []}

        common = {"path": scenario.path, "key": key, "connections": connections, "log": log}
        common["ids_file"] = ids_file
        for side in ("A", "B"):
            if warmup:
                traffic.run(wrk, port=ports[side], seconds=warmup, **common)
        for number in range(rounds):
            for side in ("A", "B") if number % 2 == 0 else ("B", "A"):
                runs[side].append(traffic.run(wrk, port=ports[side], seconds=seconds, **common))
        results[scenario.name] = _medians(runs)
    return results


def _medians(runs: dict[str, list[traffic.Run]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for side, side_runs in runs.items():
        good = [run for run in side_runs if run.requests]
        found[side] = {
            "rps": statistics.median(run.rps for run in good) if good else 0.0,
            "p50_ms": statistics.median(run.p50_ms for run in good) if good else 0.0,
            "p99_ms": statistics.median(run.p99_ms for run in good) if good else 0.0,
            "non_2xx": sum(run.non_2xx for run in side_runs),
            "socket_errors": sum(run.socket_errors for run in side_runs),
            "errors": [run.error for run in side_runs if run.error],
            "runs": len(side_runs),
        }
    a, b = found["A"]["p50_ms"], found["B"]["p50_ms"]
    found["b_over_a_p50"] = round(b / a, 3) if a else None
    a, b = found["A"]["rps"], found["B"]["rps"]
    found["b_over_a_rps"] = round(b / a, 3) if a else None
    return found


def time_field_add(api: Api) -> dict[str, Any]:
    """Adding one field to deals through the API in B: it must answer within a second."""
    started = time.perf_counter()
    status, _ = api.post(
        "/api/objects/deals/fields", {"api_name": "added_by_bench", "type": "number"}
    )
    seconds = time.perf_counter() - started
    under = status == 201 and seconds < 1
    return {"status": status, "seconds": round(seconds, 3), "under_1s": under}


def concurrent_writers(port: int, keys: list[tuple[str, str]], *, each: int) -> dict[str, Any]:
    """One thread per tenant, all at once, each creating `each` records through the API."""
    statuses: Counter = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(keys)) if keys else None

    def write(key: str, object_name: str, number: int) -> None:
        api = Api(port, key, timeout=60)
        start.wait()
        for index in range(each):
            body = {"name": f"Concurrent {number}-{index}", "fields": {"f00_text": "x"}}
            try:
                status, answer = api.post(f"/api/records/{object_name}", body)
            except OSError as error:
                status, answer = 0, str(error)
            with lock:
                statuses[status] += 1
                if status != 201 and len(failures) < 5:
                    failures.append(f"HTTP {status}: {str(answer)[:200]}")

    threads = [
        threading.Thread(target=write, args=(key, object_name, number))
        for number, (key, object_name) in enumerate(keys)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "writers": len(keys),
        "records_each": each,
        "seconds": round(time.perf_counter() - started, 2),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "errors": sum(count for status, count in statuses.items() if status != 201),
        "examples": failures,
    }
