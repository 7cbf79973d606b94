"""A real HTTP receiver on 127.0.0.1 in the test process, and helpers to run the worker."""

import pytest

from tests.receiver import start_receiver
from tests.records.conftest import schema  # noqa: F401 - the records' test objects
from webhooks.delivery import deliver_due


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    """Every retry due at once, so a test can run the whole schedule."""
    settings.WEBHOOK_RETRY_SCHEDULE = [0.0] * 8


def run_worker(max_rounds: int = 100) -> int:
    """Delivers everything due, as a worker would, until nothing is; the claims made."""
    total = 0
    for _ in range(max_rounds):
        claimed = deliver_due()
        if not claimed:
            return total
        total += claimed
    raise AssertionError("the worker kept finding work")


@pytest.fixture
def endpoint(admin_api, receiver):
    """An endpoint of the test org subscribed to every record event, with its secret."""
    response = admin_api.post("/api/webhooks", {"url": receiver.url, "events": ["record.*"]})
    assert response.status == 201, response.body
    return response.data
