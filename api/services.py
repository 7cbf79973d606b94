"""Writes of the api app: the request log."""

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from api.models import RequestLog

logger = logging.getLogger("api.request_log")


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
    try:
        RequestLog.objects.create(
            guid=guid,
            org_id=org_id,
            api_key_id=api_key_id,
            api_key_prefix=api_key_prefix[:32],
            method=method[:10],
            path=path[:2000],
            status=status,
            duration_ms=round(duration_ms, 3),
            error=error[:2000],
            created_at=created_at,
        )
    except DatabaseError:
        logger.warning("Could not record request %s", guid, exc_info=True)


def purge_request_logs(*, older_than_days: int | None = None) -> int:
    """Deletes entries older than the retention period; returns how many went."""
    days = settings.API_REQUEST_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
