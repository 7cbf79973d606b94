"""How the webhooks app's writers ask a worker to send what is due, without knowing the tasks.

webhooks.tasks runs the sending (webhooks.delivery, webhooks.services) and so sits above those
modules; they in turn queue wake-ups as they write. The task module registers how to queue
one when the app is ready (webhooks.apps), so that nothing below it imports it back.
"""

from collections.abc import Callable
from datetime import datetime

_wake: list[Callable[..., None]] = []


def register(wake: Callable[..., None]) -> None:
    """`wake(run_after=...)` queues a wake-up; the last one registered is used."""
    _wake[:] = [wake]


def wake_workers(*, run_after: datetime | None = None) -> None:
    """Asks a worker to send what is due (at `run_after`, or now)."""
    if not _wake:
        raise RuntimeError("No wake-up registered: the webhooks app is not ready.")
    _wake[0](run_after=run_after)
