"""The run's results: a JSON file (everything), a markdown summary (the tables pasted into
docs/benchmarks.md) and the chart, in the output folder; the summary is printed too."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import chart
from bench.config import ROOT


def machine(postgres: str) -> dict[str, Any]:
    memory = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(memory, 1),
        "postgres": postgres,
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
        "load_average_at_start": load,
    }


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    head = git("rev-parse", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _n(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ratio(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    lines = [
        f"Run of {results.get('date')}, commit `{results.get('commit', '')[:12]}`, "
        f"{m.get('cores')} cores, {m.get('ram_gb')} GB RAM, PostgreSQL {m.get('postgres')}, "
        f"Python {m.get('python')}; load average at start {_n(m.get('load_average_at_start'), 2)}; "
        f"took {_n(results.get('elapsed_seconds'), 0)} s.",
        "",
    ]
    if results.get("aborted"):
        lines += [f"**The run stopped early: {results['aborted']}**", ""]
    load = results.get("load")
    if load:
        lines += [
            "**Load** (batch API over HTTP, one client, batches of "
            f"{load['batch_size']}): {_n(load['companies'])} companies and {_n(load['deals'])} "
            f"deals in {_n(load['seconds'])} s, {_n(load['rows_per_second'], 0)} rows/s"
            + (" (**cut short by the deadline**)" if load.get("cut_short") else "")
            + ".",
            "",
        ]
    scenarios = results.get("scenarios") or {}
    if scenarios:
        lines += [
            "**Reads, product against ceiling** "
            f"({results.get('read_seconds', '?')} s per run after a warm-up, "
            f"{results['knobs']['connections']} connections, {results['knobs']['workers']} "
            "gunicorn sync workers each)",
            "",
            "| scenario | product rps | p50 ms | p99 ms | ceiling rps | p50 ms | p99 ms "
            "| rps ÷ ceiling | p50 ÷ ceiling | queries | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, s in scenarios.items():
            p, c = s.get("product", {}), s.get("ceiling", {})
            errors = _errors(p, "product") + _errors(c, "ceiling")
            lines.append(
                f"| {name}. {s['title']} | {_n(p.get('rps'))} | {_n(p.get('p50_ms'))} "
                f"| {_n(p.get('p99_ms'))} | {_n(c.get('rps'))} | {_n(c.get('p50_ms'))} "
                f"| {_n(c.get('p99_ms'))} | {_ratio(s.get('rps_ratio'))} "
                f"| {_ratio(s.get('p50_ratio'))} | {_n(s.get('queries'))} "
                f"| {', '.join(errors) or 'none'} |"
            )
        lines.append("")
    writes = results.get("writes")
    if writes:
        lines += [
            "**Writes** (rows/s into the records table)",
            "",
            "| way | rows | seconds | rows/s |",
            "|---|---:|---:|---:|",
        ]
        for way in ("batch", "copy", "statements", "single"):
            w = writes.get(way) or {}
            lines.append(
                f"| {w.get('label', way)} | {_n(w.get('rows'))} | {_n(w.get('seconds'), 2)} "
                f"| {_n(w.get('rows_per_second'), 0)} |"
            )
        lines += [
            "",
            f"batch ÷ COPY: {_ratio(writes.get('batch_over_copy'))}; "
            f"batch ÷ single: {_ratio(writes.get('batch_over_single'))}; "
            f"batch ÷ its statements alone: {_ratio(writes.get('batch_over_statements'))}; "
            f"its statements alone ÷ single: {_ratio(writes.get('statements_over_single'))}"
            + (f"; {writes['error']}" if writes.get("error") else ""),
            "",
        ]
    hooks = results.get("webhooks")
    if hooks:
        lines += [
            "**Webhooks** (scripts/bench_webhooks.py, 2 workers): "
            f"{_n(hooks.get('deliveries_per_second'))} deliveries/s"
            + "".join(f", {key} {hooks[key]}" for key in ("lost", "duplicated") if key in hooks)
            + (f" ({hooks['error']})" if hooks.get("error") else "")
            + ".",
            "",
        ]
    lines += _scale(results.get("scale"))
    problems = results.get("problems") or []
    if problems:
        lines += ["**Problems seen in this run**", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(lines)


def _errors(run: dict[str, Any], side: str) -> list[str]:
    found = []
    if run.get("non_2xx"):
        found.append(f"{side}: {run['non_2xx']} non-2xx")
    if run.get("socket_errors"):
        found.append(f"{side}: {run['socket_errors']} socket errors")
    if run.get("error"):
        found.append(f"{side}: {run['error'][:80]}")
    return found


def _scale(scale: dict[str, Any] | None) -> list[str]:
    if not scale:
        return []
    t = scale.get("tenants", {})
    lines = [
        f"**Tenant scale**: B is A plus {_n(t.get('made'))} of {_n(t.get('planned'))} planned "
        f"organizations ({_n(t.get('fields'))} fields, {_n(t.get('records'))} records), made "
        f"through the product's services in {_n(t.get('seconds'))} s"
        + ("" if t.get("finished") else " (**not all: the time budget ran out**)")
        + f"; background tasks left: {t.get('background_tasks_left') or 'none'}.",
        "",
    ]
    comparison = scale.get("scenarios") or {}
    if comparison:
        lines += [
            f"Medians of {scale.get('rounds')} alternating runs of {scale.get('seconds')} s:",
            "",
            "| scenario | A rps | B rps | A p50 ms | B p50 ms | B ÷ A p50 | B ÷ A rps | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, s in comparison.items():
            a, b = s["A"], s["B"]
            errors = [
                f"{side}: {s[side]['non_2xx']} non-2xx" for side in "AB" if s[side]["non_2xx"]
            ] + [
                f"{side}: {s[side]['socket_errors']} socket errors"
                for side in "AB"
                if s[side]["socket_errors"]
            ]
            lines.append(
                f"| {name} | {_n(a['rps'])} | {_n(b['rps'])} | {_n(a['p50_ms'])} "
                f"| {_n(b['p50_ms'])} | {_ratio(s.get('b_over_a_p50'))} "
                f"| {_ratio(s.get('b_over_a_rps'))} | {', '.join(errors) or 'none'} |"
            )
        lines.append("")
    field_add = scale.get("field_add")
    if field_add:
        verdict = "under 1 s" if field_add.get("under_1s") else "**not under 1 s**"
        lines.append(
            f"- Adding a field to deals in B: {_n(field_add.get('seconds'), 3)} s "
            f"(HTTP {field_add.get('status')}), {verdict}."
        )
    writers = scale.get("writers")
    if writers:
        lines.append(
            f"- {writers['writers']} concurrent writers in B, each in its own organization, "
            f"{writers['records_each']} records each: {writers['errors']} errors in "
            f"{_n(writers['seconds'], 2)} s (statuses {writers['statuses']})."
        )
    locks = scale.get("index_locks")
    if locks:
        for kind in ("read", "write"):
            a = locks.get("A", {}).get(kind, {})
            b = locks.get("B", {}).get(kind, {})
            lines.append(
                f"- Indexes a {kind} of deals touches (records' own, not the key lookup or "
                f"log): A {_locks(a)}, B {_locks(b)}."
            )
    lines.append("")
    return lines


def _locks(found: dict[str, Any]) -> str:
    if "error" in found:
        return f"error ({found['error'][:120]})"
    return _n(found.get("indexes"))


def write(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    summary = markdown(results)
    (out_dir / "results.md").write_text(summary)
    subtitle = (
        f"{results.get('date')}, commit {results.get('commit', '')[:12]}, "
        f"{results.get('machine', {}).get('cores')} cores"
    )
    (out_dir / "chart.svg").write_text(chart.svg(results.get("scenarios") or {}, subtitle=subtitle))
    return out_dir
