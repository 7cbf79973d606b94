"""One page of a queryset, with the exact total, as an enveloped list response."""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.response import Response

from api.query import Window


def page_of(queryset: QuerySet, window: Window) -> tuple[Sequence[Any], int]:
    """The rows in the window and the exact total (two queries; one when the window is past
    the end or empty)."""
    total = queryset.count()
    if window.limit == 0 or window.offset >= total:
        return [], total
    return list(queryset[window.offset : window.offset + window.limit]), total


def whole_list_response(items: list[Any]) -> Response:
    """A list answered whole, on one page (one that takes no window), with `pagination`."""
    response = Response(items)
    response.pagination = {"total": len(items), "limit": len(items), "offset": 0}
    return response


def list_response(
    queryset: QuerySet, window: Window, *, serialize: Callable[[Sequence[Any]], list[Any]]
) -> Response:
    """The page as `data` (serialized all at once, so related data loads in one query) and
    `pagination` beside it."""
    items, total = page_of(queryset, window)
    response = Response(serialize(items))
    response.pagination = window.as_pagination(total)
    return response
