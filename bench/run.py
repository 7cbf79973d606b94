"""`make bench`: the whole benchmark within BENCH_BUDGET seconds (565 by default: with the
hard stop 15 s later and the clean-up, the run ends within ten minutes), on loopback, against
PostgreSQL. Every process it starts is stopped and its databases dropped at the end, on
Ctrl-C and on failure alike. docs/benchmarks.md says what it measures.

    .venv/bin/python -m bench.run
"""

import json
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    databases,
    deliveries,
    load,
    processes,
    report,
    scale,
    servers,
    traffic,
    writes,
)
from bench.client import Api
from bench.config import Deadline, Knobs
from bench.scenarios import SCENARIOS

# What each step takes on a quiet 2-core machine with the default knobs, in seconds. When the
# run falls behind, each later step gets its proportional share of what is left.
NOMINAL = {
    "load": 125,
    "capture": 12,
    "reads": 84,
    "webhooks": 60,
    "scale": 230,
    "writes": 35,
}
FINISH = 15  # stopping servers, dropping the databases, writing the report
MIN_WRITES = 12  # the scratch object, its indexes, a few POSTs and one COPY chunk
HARD_STOP = 15  # seconds past the budget at which the run is stopped whatever it is doing
SCALE_OVERHEAD = 65  # B's clone and VACUUM, two servers started, the lock probe, the writers


class Stop(BaseException):
    """A signal or the hard deadline: unwinds past every `except Exception`."""


def _stop(signum: int, _frame: Any) -> None:
    raise Stop(f"received {signal.Signals(signum).name}")


class Run:
    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.deadline = Deadline(knobs.budget)
        self.out = knobs.out_dir
        self.out.mkdir(parents=True, exist_ok=True)
        for old in self.out.glob("*.log"):
            old.unlink()
        self.results: dict[str, Any] = {"problems": []}

    def say(self, message: str) -> None:
        print(f"[{self.deadline.elapsed():5.0f} s] {message}", flush=True)

    def problem(self, message: str) -> None:
        self.results["problems"].append(message)
        self.say(f"PROBLEM: {message}")

    def _factor(self, step: str) -> float:
        names = list(NOMINAL)
        ahead = sum(NOMINAL[name] for name in names[names.index(step) :])
        return max(0.0, min(1.0, (self.deadline.remaining() - FINISH) / ahead))

    def share(self, step: str) -> float:
        """The seconds `step` may take: its nominal time, shrunk in proportion when the run
        is behind."""
        return NOMINAL[step] * self._factor(step)

    def reserve_after(self, step: str) -> float:
        """The seconds to leave for the steps after `step`, at the same proportion."""
        names = list(NOMINAL)
        later = sum(NOMINAL[name] for name in names[names.index(step) + 1 :])
        return later * self._factor(step) + FINISH

    def step(self, name: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as error:
            self.problem(f"{name} failed: {type(error).__name__}: {str(error)[:400]}")
            (self.out / f"{name}-error.log").write_text(traceback.format_exc())
            return None


def main() -> None:
    knobs = Knobs.from_env()
    postgres = databases.check_server()
    wrk = traffic.ensure_wrk()
    run = Run(knobs)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, _stop)
    # The hard bound: whatever hangs, the run ends (and cleans up) shortly after its budget.
    signal.alarm(int(knobs.budget) + HARD_STOP)
    results = run.results
    results.update(date=report.now(), commit=report.commit(), knobs=_knobs(knobs))
    try:
        results["machine"] = report.machine(postgres)
        run.say(f"budget {knobs.budget:.0f} s; results in {run.out}")
        _benchmark(run, wrk)
    except (KeyboardInterrupt, Stop) as reason:
        results["aborted"] = str(reason) or "interrupted"
        print(f"\nstopping: {results['aborted']}", flush=True)
    finally:
        signal.alarm(0)
        # The clean-up itself is not interrupted: a second Ctrl-C would leave databases
        # behind (the children die with us anyway).
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        processes.stop_all()
        if not knobs.keep:
            for name in databases.OURS:
                try:
                    databases.drop(name)
                except Exception as error:  # report it, never lose the results
                    print(f"could not drop {name}: {error}", file=sys.stderr)
        results["elapsed_seconds"] = round(run.deadline.elapsed(), 1)
        report.write(results, run.out)
        print("\n" + report.markdown(results), flush=True)
        print(f"results: {run.out}/results.json, results.md, chart.svg", flush=True)


def _knobs(knobs: Knobs) -> dict[str, Any]:
    return {
        key: str(value) if isinstance(value, Path) else value for key, value in vars(knobs).items()
    }


def _benchmark(run: Run, wrk: str) -> None:
    knobs, out, results = run.knobs, run.out, run.results
    env_a = servers.product_env(databases.BASE, out / "var")
    run.say("setting up the base database (migrate, an organization, an admin key)")
    key = servers.prepare(databases.BASE, env_a, out / "setup.log")
    ids_file = out / "ids.txt"
    with servers.gunicorn(
        servers.PRODUCT_APP, env=env_a, workers=knobs.workers, log=out / "product-a.log"
    ) as port:
        api = Api(port, key)
        api.wait_ready()
        loaded = _load(run, api, env_a)
        if loaded is None or not loaded.deals:
            return
        ids_file.write_text("\n".join(loaded.deal_ids) + "\n")
        captured = run.step("capture", lambda: _capture(run, env_a, key, ids_file))
        if captured:
            run.step("reads", lambda: _reads(run, wrk, env_a, port, key, ids_file, captured))
        locks_a = run.step("index locks A", lambda: _locks(env_a, key, out / "locks-a.json"))
    remaining = run.share("webhooks")
    run.say(
        f"webhooks: scripts/bench_webhooks.py ({knobs.webhook_events} events, "
        f"{remaining:.0f} s at most)"
    )
    hooks = run.step(
        "webhooks",
        lambda: deliveries.run(
            events=knobs.webhook_events, timeout=remaining, log=out / "webhooks.log"
        ),
    )
    if hooks:
        results["webhooks"] = hooks
        if hooks.get("error"):
            run.problem(f"webhooks: {hooks['error']}")
    run.step("scale", lambda: _scale(run, wrk, key, ids_file, locks_a))
    # Last, so that the scratch object it adds is in neither A's reads nor B's copy of A.
    with servers.gunicorn(
        servers.PRODUCT_APP, env=env_a, workers=knobs.workers, log=out / "product-a3.log"
    ) as port:
        api = Api(port, key)
        api.wait_ready()
        run.step("writes", lambda: _writes(run, api, env_a, loaded))


def _load(run: Run, api: Api, env: dict[str, str]) -> load.Loaded | None:
    knobs = run.knobs
    run.say("creating companies and deals (objects through the API, then the worker's tasks)")
    if not run.step("objects", lambda: load.create_objects(api) or True):
        return None
    if not servers.drain_tasks(env, run.out / "worker-a.log", timeout=60):
        run.problem("the background tasks after creating the objects did not finish in 60 s")
    limit = run.share("load")
    run.say(
        f"load: {knobs.companies:,} companies and {knobs.deals:,} deals through the batch API "
        f"({limit:.0f} s at most)"
    )
    stop_at = run.deadline.remaining() - limit
    loaded = run.step(
        "load",
        lambda: load.load(
            api,
            companies=knobs.companies,
            deals=knobs.deals,
            batch_size=knobs.batch_size,
            deadline=run.deadline,
            keep=stop_at,
        ),
    )
    if loaded is None:
        return None
    run.results["load"] = {
        "companies": loaded.companies,
        "deals": loaded.deals,
        "batch_size": knobs.batch_size,
        "seconds": round(loaded.company_seconds + loaded.deal_seconds, 1),
        "rows_per_second": round(loaded.rows_per_second, 1),
        "deal_rows_per_second": round(loaded.deal_rows_per_second, 1),
        "cut_short": loaded.cut_short,
    }
    run.say(
        f"loaded {loaded.companies:,} companies, {loaded.deals:,} deals: "
        f"{loaded.rows_per_second:,.0f} rows/s"
    )
    if loaded.cut_short:
        run.problem(f"the load stopped at {loaded.deals:,} of {knobs.deals:,} deals (deadline)")
    seconds = run.step("vacuum", lambda: databases.vacuum_analyze(databases.BASE))
    if seconds is not None:
        run.say(f"VACUUM ANALYZE after the load: {seconds:.1f} s")
    return loaded


def _capture(run: Run, env: dict[str, str], key: str, ids_file: Path) -> dict[str, Any]:
    run.say("capturing the product's SQL per scenario")
    path = run.out / "capture.json"
    code, output = processes.run(
        processes.python(
            "-m", "bench.capture", "--key", key, "--ids", str(ids_file), "--out", str(path)
        ),
        env=env,
        log=run.out / "capture.log",
        timeout=max(30.0, run.share("capture") * 2),
    )
    if code != 0:
        raise RuntimeError(f"capture exited with {code}: {output[-800:]}")
    captured = json.loads(path.read_text())["scenarios"]
    for name, scenario in captured.items():
        if scenario["status"] != 200:
            run.problem(f"scenario {name}: the product answered {scenario['status']} in process")
    return captured


def _reads(
    run: Run,
    wrk: str,
    env: dict[str, str],
    port: int,
    key: str,
    ids_file: Path,
    captured: dict[str, Any],
) -> None:
    knobs = run.knobs
    share = run.share("reads")
    runs = 2 * len(SCENARIOS)
    per_run = share / runs
    warmup = max(1, int(knobs.warmup)) if per_run >= knobs.warmup + 2 else 1
    seconds = int(max(1, min(knobs.duration, per_run - warmup + 0.25)))
    run.results["read_seconds"] = seconds
    run.say(f"reads: product against ceiling, {seconds} s per run after {warmup} s of warm-up")
    ceiling_env = {**env, "BENCH_CAPTURE": str(run.out / "capture.json")}
    scenarios: dict[str, Any] = {}
    run.results["scenarios"] = scenarios
    with servers.gunicorn(
        servers.CEILING_APP, env=ceiling_env, workers=knobs.workers, log=run.out / "ceiling.log"
    ) as ceiling_port:
        # No readiness probe: requests wait in the listen queue until a worker is up, and
        # the warm-up run absorbs that.
        for scenario in SCENARIOS:
            found: dict[str, Any] = {
                "title": scenario.title,
                "path": scenario.path,
                "queries": captured[scenario.name]["product_statements"],
            }
            for side, side_port in (("product", port), ("ceiling", ceiling_port)):
                common = {
                    "port": side_port,
                    "path": scenario.path,
                    "key": key,
                    "connections": knobs.connections,
                    "log": run.out / "wrk.log",
                    "ids_file": ids_file,
                }
                traffic.run(wrk, seconds=warmup, **common)
                measured = traffic.run(wrk, seconds=seconds, **common)
                found[side] = measured.as_dict()
                if measured.failed:
                    run.problem(
                        f"scenario {scenario.name} on the {side}: {measured.non_2xx} non-2xx, "
                        f"{measured.socket_errors} socket errors {measured.error}".strip()
                    )
            p, c = found["product"], found["ceiling"]
            found["rps_ratio"] = round(p["rps"] / c["rps"], 3) if c["rps"] else None
            found["p50_ratio"] = round(p["p50_ms"] / c["p50_ms"], 3) if c["p50_ms"] else None
            scenarios[scenario.name] = found
            run.say(
                f"  {scenario.name}. {scenario.title}: product {p['rps']:,.1f} rps "
                f"p50 {p['p50_ms']:.1f} ms p99 {p['p99_ms']:.1f} ms | ceiling {c['rps']:,.1f} rps "
                f"p50 {c['p50_ms']:.1f} ms p99 {c['p99_ms']:.1f} ms | rps ratio "
                f"{found['rps_ratio']}, p50 ratio {found['p50_ratio']}"
            )


def _writes(run: Run, api: Api, env: dict[str, str], loaded: load.Loaded) -> None:
    knobs = run.knobs
    share = run.share("writes")
    started = time.monotonic()
    run.say(f"writes: batch (the load) against COPY and single POSTs ({share:.0f} s at most)")
    found: dict[str, Any] = {
        "batch": {
            "label": f"batch API, {knobs.batch_size:,} per request",
            "rows": loaded.deals,
            "seconds": round(loaded.deal_seconds, 2),
            "rows_per_second": round(loaded.deal_rows_per_second, 1),
        }
    }
    run.results["writes"] = found
    if share < MIN_WRITES:
        run.problem(f"writes skipped: {share:.0f} s left of the budget, {MIN_WRITES} s needed")
        return
    writes.create_scratch(api)
    if not servers.drain_tasks(env, run.out / "worker-a.log", timeout=max(5.0, share * 0.3)):
        found["error"] = "the scratch object's background tasks did not finish"
        run.problem("writes: the scratch object's background tasks (indexes) did not finish")
    # The rates need no full count: single POSTs get what is left of 55 % of the share, COPY
    # half the rest, the batch's statements alone the other half.
    budget = max(3.0, share * 0.55 - (time.monotonic() - started))
    rows, seconds = writes.singles_within(api, loaded.company_ids, knobs.singles, budget)
    found["single"] = writes.rate("single POSTs, one after another", rows, seconds)
    url = databases.url_for(databases.BASE)
    budget = max(3.0, (share - (time.monotonic() - started) - 3) / 2)
    rows, seconds = writes.copy(url, "bench", loaded.deals, seconds=budget)
    found["copy"] = writes.rate("COPY into the records table", rows, seconds)
    budget = max(3.0, share - (time.monotonic() - started) - 3)
    rows, seconds = writes.statements(
        url, "bench", loaded.deals, batch_size=knobs.batch_size, seconds=budget
    )
    found["statements"] = writes.rate(
        f"the batch's statements alone: COPY of {knobs.batch_size:,} records and their "
        "events, then a commit",
        rows,
        seconds,
    )
    batch = found["batch"]["rows_per_second"]
    found["batch_over_copy"] = round(batch / found["copy"]["rows_per_second"], 4)
    found["batch_over_statements"] = round(batch / found["statements"]["rows_per_second"], 4)
    if found["single"]["rows_per_second"]:
        found["batch_over_single"] = round(batch / found["single"]["rows_per_second"], 2)
        found["statements_over_single"] = round(
            found["statements"]["rows_per_second"] / found["single"]["rows_per_second"], 2
        )
    run.say(
        f"  batch {batch:,.0f} rows/s, COPY {found['copy']['rows_per_second']:,.0f} rows/s, "
        f"its statements alone {found['statements']['rows_per_second']:,.0f} rows/s, "
        f"single {found['single']['rows_per_second']:,.1f} rows/s"
    )


def _locks(env: dict[str, str], key: str, path: Path) -> dict[str, Any]:
    code, output = processes.run(
        processes.python("-m", "bench.locks", "--key", key, "--out", str(path)),
        env=env,
        log=path.with_suffix(".log"),
        timeout=120,
    )
    if code != 0:
        raise RuntimeError(f"the lock probe exited with {code}: {output[-600:]}")
    return json.loads(path.read_text())


def _scale(run: Run, wrk: str, key: str, ids_file: Path, locks_a: dict | None) -> None:
    knobs, out = run.knobs, run.out
    found: dict[str, Any] = {}
    run.results["scale"] = found
    run.say("tenant scale: B is a copy of A")
    databases.clone(databases.BASE, databases.SCALED)
    env_a = servers.product_env(databases.BASE, out / "var")
    env_b = servers.product_env(databases.SCALED, out / "var-b")
    rounds, seconds = _ab_plan(run)
    found.update(rounds=rounds, seconds=seconds)
    ab_time = len(SCENARIOS) * (2 * 1 + 2 * rounds * seconds) * 1.1
    budget = min(
        knobs.tenant_budget,
        run.deadline.remaining() - run.reserve_after("scale") - SCALE_OVERHEAD - ab_time,
    )
    run.say(
        f"making {knobs.tenants} tenants x {knobs.tenant_objects} objects x "
        f"{knobs.tenant_fields} fields in B ({knobs.tenant_processes} processes, "
        f"{budget:.0f} s at most)"
    )
    tenants = scale.make_tenants(
        env=env_b,
        out=out,
        tenants=knobs.tenants,
        objects=knobs.tenant_objects,
        fields=knobs.tenant_fields,
        records=knobs.tenant_records,
        process_count=knobs.tenant_processes,
        budget=max(10.0, budget),
    )
    found["tenants"] = tenants.summary()
    # What autovacuum does in time after so many inserts (as after A's load): statistics that
    # know the other tenants, and the visibility map that index-only scans need.
    run.step("vacuum B", lambda: databases.vacuum_analyze(databases.SCALED))
    run.say(
        f"  {tenants.made} tenants ({tenants.fields:,} fields) in {tenants.seconds:.0f} s; "
        f"background tasks left: {tenants.tasks_left or 'none'}"
    )
    if not tenants.finished:
        run.problem(f"tenant scale: {tenants.made} of {tenants.planned} tenants made in time")
    for error in tenants.errors:
        run.problem(f"tenant scale: {error[:300]}")
    with (
        servers.gunicorn(
            servers.PRODUCT_APP, env=env_a, workers=knobs.workers, log=out / "product-a2.log"
        ) as port_a,
        servers.gunicorn(
            servers.PRODUCT_APP, env=env_b, workers=knobs.workers, log=out / "product-b.log"
        ) as port_b,
    ):
        Api(port_a, key).wait_ready()
        Api(port_b, key).wait_ready()
        run.say(f"A against B: {rounds} alternating rounds of {seconds} s per scenario")
        found["scenarios"] = scale.alternate(
            wrk,
            ports={"A": port_a, "B": port_b},
            key=key,
            ids_file=ids_file,
            rounds=rounds,
            seconds=seconds,
            warmup=1,
            connections=knobs.connections,
            log=out / "wrk-ab.log",
        )
        for name, s in found["scenarios"].items():
            run.say(
                f"  {name}: A {s['A']['rps']:,.1f} rps p50 {s['A']['p50_ms']:.1f} ms | "
                f"B {s['B']['rps']:,.1f} rps p50 {s['B']['p50_ms']:.1f} ms | B/A p50 "
                f"{s['b_over_a_p50']}"
            )
            for side in "AB":
                if s[side]["non_2xx"] or s[side]["socket_errors"] or s[side]["errors"]:
                    run.problem(
                        f"tenant scale, scenario {name} on {side}: {s[side]['non_2xx']} "
                        f"non-2xx, {s[side]['socket_errors']} socket errors"
                    )
        locks_b = run.step("index locks B", lambda: _locks(env_b, key, out / "locks-b.json"))
        found["index_locks"] = {"A": locks_a or {}, "B": locks_b or {}}
        found["field_add"] = scale.time_field_add(Api(port_b, key))
        if not found["field_add"]["under_1s"]:
            run.problem(f"adding a field in B: {found['field_add']}")
        if tenants.keys:
            writers = tenants.keys[: scale.WRITERS]
            found["writers"] = scale.concurrent_writers(port_b, writers, each=10)
            if found["writers"]["errors"]:
                run.problem(f"concurrent writers in B: {found['writers']['examples']}")
        else:
            run.problem("concurrent writers: no tenant with a key was made in time")
    for kind in ("read", "write"):
        a = (locks_a or {}).get(kind, {}).get("indexes")
        b = (locks_b or {}).get(kind, {}).get("indexes")
        run.say(f"  indexes a {kind} touches: A {a}, B {b}")


def _ab_plan(run: Run) -> tuple[int, int]:
    """Rounds and seconds per run for the A/B comparison, shrunk to what the deadline leaves
    (keeping at least a minute for the tenants themselves)."""
    knobs = run.knobs
    rounds, seconds = max(1, knobs.ab_rounds), max(1, int(knobs.ab_duration))
    available = run.deadline.remaining() - run.reserve_after("scale") - SCALE_OVERHEAD - 60

    def cost(r: int, s: int) -> float:
        return len(SCENARIOS) * (2 + 2 * r * s) * 1.1

    while cost(rounds, seconds) > available and (rounds > 2 or seconds > 1):
        if seconds > 1:
            seconds -= 1
        else:
            rounds -= 1
    return rounds, seconds


if __name__ == "__main__":
    main()
