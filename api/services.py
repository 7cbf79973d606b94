"""Writes of the api app: the request log."""

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from api.models import RequestLog

logger = logging.getLogger("api.request_log")


def _text(value: str, limit: int) -> str:
    # A path or an error sentence may echo a NUL from the request; PostgreSQL text cannot hold it.
    return value.replace("\x00", "\\u0000")[:limit]


def record_request(
    *,
    guid: UUID,
    org_id: UUID | None,
    api_key_id: UUID | None,
    api_key_prefix: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    error: str,
    created_at: datetime,
) -> None:
    """One INSERT, in autocommit; a failure to log never fails the request it logs."""
    entry = RequestLog(
        guid=guid,
        org_id=org_id,
        api_key_id=api_key_id,
        api_key_prefix=_text(api_key_prefix, 32),
        method=_text(method, 10),
        path=_text(path, 2000),
        status=status,
        duration_ms=round(duration_ms, 3),
        error=_text(error, 2000),
        created_at=created_at,
    )
    try:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            _insert_without_waiting_for_flush(entry)
        else:
            entry.save(force_insert=True)
    except DatabaseError:
        logger.warning("Could not record request %s", guid, exc_info=True)


def _insert_without_waiting_for_flush(entry: RequestLog) -> None:
    """On PostgreSQL the INSERT commits without waiting for the WAL flush (asynchronous
    commit, for this one statement's transaction only): a crash may lose the last few
    milliseconds of log rows, never business data, and a request does not pay an fsync."""
    fields = [field for field in RequestLog._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    values = [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]
    table = connection.ops.quote_name(RequestLog._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH async AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
            f"INSERT INTO {table} ({columns}) SELECT {placeholders} FROM async",
            values,
        )


def purge_request_logs(*, older_than_days: int | None = None) -> int:
    """Deletes entries older than the retention period; returns how many went."""
    days = settings.API_REQUEST_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
