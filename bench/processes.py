"""Every process the benchmark starts goes through here, so that all of them stop with it:
each gets its own process group (killed whole, children included) and, on Linux, dies with
the benchmark even if the benchmark itself is killed without a chance to clean up."""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.config import ROOT

PR_SET_PDEATHSIG = 1
_started: list[subprocess.Popen] = []


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel for SIGKILL when we die.
    # Not Linux: no prctl, and the process group kill at exit still applies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start(
    command: Sequence[str], *, env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen:
    """Starts `command` in its own process group, its output in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    _started.append(process)
    return process


def stop(process: subprocess.Popen, *, grace: float = 5.0) -> None:
    """SIGINT to the process group, then SIGTERM, then SIGKILL, `grace` seconds apart.
    SIGINT first: a Python child then runs its `finally` blocks (the webhook script drops its
    scratch database there), and gunicorn and wrk stop at once on it."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # The group may outlive its leader (a gunicorn worker, say): make sure it is gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process in _started:
        _started.remove(process)


def stop_all() -> None:
    for process in list(reversed(_started)):
        stop(process, grace=3.0)


def run(
    command: Sequence[str], *, env: dict[str, str], log: Path, timeout: float, grace: float = 5.0
) -> tuple[int | None, str]:
    """Runs `command` to its end or for `timeout` seconds (then stops it): (exit code or None
    when stopped, its output)."""
    offset = log.stat().st_size if log.exists() else 0
    process = start(command, env=env, log=log)
    try:
        code: int | None = process.wait(timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        code = None
    finally:
        stop(process, grace=grace)
    with log.open("rb") as out:
        out.seek(offset)
        return code, out.read().decode(errors="replace")


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def wait_for_port(port: int, process: subprocess.Popen, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the process exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port} after {timeout:g} s") from None
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
