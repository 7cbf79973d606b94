"""wrk: installed when missing (Debian's package, as root), run against a server, its results
read from the JSON line the Lua `done` hook prints (bench/wrk/report.lua)."""

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import processes

LUA = Path(__file__).resolve().parent / "wrk"
INSTALL_HINT = "install wrk (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk)"


def ensure_wrk() -> str:
    """wrk's path; installs Debian's package when missing and we are root, else stops with
    how to install it."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing Debian's package (apt-get install -y wrk)", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        apt = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
        if subprocess.run(apt, env=env, check=False, **quiet).returncode != 0:
            # A fresh machine has no package lists yet.
            subprocess.run(["apt-get", "update"], env=env, check=False, **quiet)
            subprocess.run(apt, env=env, check=False, **quiet)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(f"make bench needs wrk: {INSTALL_HINT}, then run it again.")


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    non_2xx: int = 0  # wrk's "Non-2xx or 3xx responses": answers with a status >= 400
    socket_errors: int = 0  # connect, read, write errors and timeouts
    error: str = ""  # wrk itself failed: no figures

    @property
    def failed(self) -> bool:
        return bool(self.error or self.non_2xx or self.socket_errors or not self.requests)

    def as_dict(self) -> dict:
        return asdict(self)


def run(
    wrk: str,
    *,
    port: int,
    path: str,
    key: str,
    seconds: int,
    connections: int,
    log: Path,
    ids_file: Path | None = None,
) -> Run:
    """One wrk run of `seconds` against 127.0.0.1:port. A path with `{id}` takes a random id
    from `ids_file` per request."""
    url = f"http://127.0.0.1:{port}"
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--timeout", "30s"]
    command += ["-H", f"Authorization: Bearer {key}"]
    if "{id}" in path:
        command += ["-s", str(LUA / "random_ids.lua"), url, "--", str(ids_file), path]
    else:
        command += ["-s", str(LUA / "report.lua"), url + path]
    code, output = processes.run(command, env=dict(os.environ), log=log, timeout=seconds + 60)
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            raw = json.loads(line.removeprefix("WRK_JSON "))
            seconds_run = raw["duration_us"] / 1e6
            return Run(
                requests=raw["requests"],
                seconds=round(seconds_run, 3),
                rps=round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
                p50_ms=raw["p50_us"] / 1000,
                p90_ms=raw["p90_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
                non_2xx=raw["status_errors"],
                socket_errors=raw["connect_errors"]
                + raw["read_errors"]
                + raw["write_errors"]
                + raw["timeouts"],
            )
    return Run(error=f"wrk exited with {code}: {output.strip()[-300:]}")
