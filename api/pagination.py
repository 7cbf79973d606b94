"""One page of a queryset, with the exact total, as an enveloped list response."""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.response import Response

from api.query import Window


def page_of(queryset: QuerySet, window: Window) -> tuple[Sequence[Any], int]:
    """The rows in the window and the exact total (two queries; none when the window is empty
    and the count is all that is asked)."""
    total = queryset.count()
    if window.limit == 0 or window.offset >= total:
        return [], total
    return list(queryset[window.offset : window.offset + window.limit]), total


def list_response(
    *, items: Sequence[Any], total: int, window: Window, serialize: Callable[[Any], Any]
) -> Response:
    response = Response([serialize(item) for item in items])
    response.pagination = window.as_pagination(total)
    return response
