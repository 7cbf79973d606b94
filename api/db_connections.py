"""Database connections checked before a request only when they sat idle, not on every request.

Connections persist between requests (CONN_MAX_AGE). Django's CONN_HEALTH_CHECKS would send a
`SELECT 1` before the first query of every request, one more round trip per request to catch
something rare: a connection the server, a proxy or a firewall dropped while it was idle. A
connection that served a request a few seconds ago is as good as checked, so here only one
idle for DATABASE_HEALTH_CHECK_IDLE_SECONDS or longer is checked (and closed, to be reopened,
when it fails). A connection broken under a busy process fails that request and is closed at
its end, as Django does for any connection that saw an error.
"""

import time
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections
from django.db.backends.signals import connection_created

# Set on Django's connection wrapper (one per thread and alias): when it last finished work.
IDLE_SINCE = "recordbase_idle_since"


def _mark_idle(connection: Any) -> None:
    setattr(connection, IDLE_SINCE, time.monotonic())


def connection_opened(sender: Any, connection: Any, **kwargs: Any) -> None:
    _mark_idle(connection)


def request_ended(sender: Any, **kwargs: Any) -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _mark_idle(connection)


def check_idle_connections(sender: Any, **kwargs: Any) -> None:
    """Before a request: each open connection idle for too long is checked, and closed if it
    no longer works (the request's first query opens a new one)."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue  # nothing to check, or a transaction not ours to interrupt (a test's)
        idle_since = getattr(connection, IDLE_SINCE, None)
        if (
            idle_since is not None
            and now - idle_since < settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS
        ):
            continue
        if not connection.is_usable():
            connection.close()
        _mark_idle(connection)


def connect_receivers() -> None:
    connection_created.connect(connection_opened, dispatch_uid="api.db_connections.opened")
    request_started.connect(check_idle_connections, dispatch_uid="api.db_connections.check")
    request_finished.connect(request_ended, dispatch_uid="api.db_connections.ended")
