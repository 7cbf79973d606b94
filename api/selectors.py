"""Reads of the api app: an organization's own request log."""

from uuid import UUID

from django.db.models import QuerySet

from api.exceptions import NotFoundError
from api.models import RequestLog
from api.query import SortKey
from api.tenancy import for_org

REQUEST_LOG_SORT_KEYS = {"created_at", "status", "duration_ms"}


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def request_logs(
    *, org_id: UUID, sort: list[SortKey], status: int | None = None, method: str | None = None
) -> QuerySet[RequestLog]:
    order = [str(key) for key in sort]
    first_descending = sort[0].descending if sort else True
    order.append("-guid" if first_descending else "guid")
    queryset = for_org(RequestLog, org_id=org_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    if method is not None:
        queryset = queryset.filter(method=method)
    return queryset.order_by(*order)


def request_log(*, org_id: UUID, guid: str) -> RequestLog:
    try:
        guid_value = UUID(str(guid))
    except ValueError:
        guid_value = None
    entry = (
        for_org(RequestLog, org_id=org_id).filter(guid=guid_value).first() if guid_value else None
    )
    if entry is None:
        raise NotFoundError(f"No request with guid '{guid}' was recorded for this organization.")
    return entry
