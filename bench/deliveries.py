"""Step 4: webhook delivery throughput, from the project's own benchmark script
(scripts/bench_webhooks.py), run as it is with two workers in its own scratch database. Its
final JSON line is read when it prints one; otherwise its "2 worker(s)" line."""

import json
import os
import re
from pathlib import Path
from typing import Any

from bench import databases, processes
from bench.config import ROOT

SCRIPT = ROOT / "scripts" / "bench_webhooks.py"
TWO_WORKERS = re.compile(r"2 worker\(s\):\s*([\d.]+) s \(\s*([\d.]+) events/s\)")


def run(*, events: int, timeout: float, log: Path) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    # Its scratch database is made from this connection: the maintenance database, never `test`.
    env["DATABASE_URL"] = databases.url_for("postgres")
    command = processes.python(str(SCRIPT))
    source = SCRIPT.read_text()
    # Options passed only where the script takes them, so another version still runs.
    if '"--events"' in source:
        command += ["--events", str(events)]
    if '"--workers"' in source:
        command += ["--workers", "2"]
    # A generous grace: stopped early, the script still drops its scratch database.
    code, output = processes.run(command, env=env, log=log, timeout=timeout, grace=15)
    found: dict[str, Any] = {"events": events, "exit": code}
    if code is None:
        found["error"] = f"stopped after {timeout:.0f} s"
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{") and "deliveries_per_second" in line:
            try:
                found.update(json.loads(line))
                return found
            except ValueError:
                pass
    match = TWO_WORKERS.search(output)
    if match:
        found["workers"] = 2
        found["deliveries_per_second"] = float(match.group(2))
    elif code != 0:
        found.setdefault("error", f"exit {code}: {output.strip()[-500:]}")
    found["output"] = output.strip()[-600:]
    return found
