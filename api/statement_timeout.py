"""A bound on the time one SQL statement of an API request may take, on PostgreSQL.

API requests run with `statement_timeout` set on their connection; anything else the web
process does on it (the admin) runs with it reset, and the webhook worker, migrations and
management commands, which never pass through the API, are not limited. The value is set
only when the connection does not hold it already (connections persist between requests), so
a request pays no round trip for it. A statement past it is cancelled by PostgreSQL
(SQLSTATE 57014), which api.exception_handler answers with a 503 in the envelope.
"""

from django.conf import settings
from django.db import connection

QUERY_CANCELED = "57014"

# Set on Django's connection wrapper: (the driver connection, the milliseconds it holds).
STATE = "recordbase_statement_timeout"


def timeout_ms() -> int:
    return max(0, round(settings.API_STATEMENT_TIMEOUT_SECONDS * 1000))


def _hold(milliseconds: int) -> None:
    if connection.vendor != "postgresql":
        return
    state = getattr(connection, STATE, None)
    raw = connection.connection
    holds = state[1] if state is not None and raw is not None and state[0] is raw else 0
    if holds == milliseconds:
        return
    with connection.cursor() as cursor:
        if milliseconds:
            cursor.execute(f"SET statement_timeout = {milliseconds:d}")
        else:
            cursor.execute("RESET statement_timeout")
    setattr(connection, STATE, (connection.connection, milliseconds))


def limit_api_request() -> None:
    """Before an API request: its statements are bounded."""
    _hold(timeout_ms())


def unlimit() -> None:
    """Before anything else on a connection an API request may have used."""
    _hold(0)


def forget() -> None:
    """The connection's setting is no longer known (a transaction around it rolled back)."""
    if hasattr(connection, STATE):
        delattr(connection, STATE)
