"""The base of every API view and viewset, and the router the viewsets are registered on.

Every resource (records, objects and fields, webhooks, events, keys, the request log) is a
viewset: list, create, retrieve, partial_update, destroy where the resource has them, and
`@action`s for its verbs. ApiView is the request handling they share; its per-handler rules
are keyed by the viewset's action (or, in a plain view, the method)."""

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from api import idempotency
from api.exceptions import InvalidParameterError
from api.inputs import check_query_string, read_params
from api.pagination import list_response
from api.query import (
    MAX_OFFSET,
    MAX_PAGE,
    SortKey,
    Window,
    parse_sort,
    parse_window,
    reject_unknown_params,
)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ApiView(APIView):
    """The base of every API view: a body that was sent is always parsed, so an unsupported
    Content-Type is a 415 and malformed JSON a 400 even where the view reads no input, and
    nothing is done with a request the client got wrong.

    A write with `Idempotency-Key` (api.idempotency) reserves its key once the request is
    authenticated, allowed and parsed, and stores its response when it is done; a retry gets
    that response. A handler whose answer must not be stored is named in
    `answers_with_secrets`: the header is then a 400 there."""

    # Handlers (a viewset's action, or else the method) whose answer holds a secret shown
    # once: a replay would need it stored in plain for a day, so Idempotency-Key is refused.
    answers_with_secrets: Collection[str] = ()
    # What the OpenAPI document says of the answer (api.schema): members sent beside `data`,
    # whether a list is paginated, error codes beyond the usual ones. Per view, or per action
    # as `@action(...)` arguments.
    envelope_extra_schema: Mapping[str, dict] = {}
    envelope_paginated = True
    extra_error_codes: Mapping[str, str] = {}
    idempotency_reservation: idempotency.Reservation | None = None
    # Per handler (a viewset's action, or else the method) that reads no input of its own:
    # the only parameters (query string and body together) it accepts. Anything else is a 400
    # before the handler runs, so that input sent where it would be ignored (a body on an
    # archive, an offset on one record) is refused rather than silently doing nothing. Other
    # handlers check their own inputs.
    accepted_params: Mapping[str, Collection[str]] = {}
    # Per handler of a POST, PUT or PATCH that reads its input from the body: the query
    # parameters it reads as well (none unless named here); any other is a 400, likewise.
    accepted_query_params: Mapping[str, Collection[str]] = {}

    def handler_name(self) -> str:
        """The viewset's action, or the request's method in a plain view."""
        return getattr(self, "action", None) or self.request.method or ""

    def accepts_idempotency_key(self) -> bool:
        return self.handler_name() not in self.answers_with_secrets

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            # A 405 before anything else is read: an Idempotency-Key sent with a method the
            # route does not have is neither refused, nor reserved, nor compared.
            self.http_method_not_allowed(request)
        check_query_string(request._request)
        key = idempotency.requested_key(request._request)
        if key is not None:
            if not self.accepts_idempotency_key():
                raise InvalidParameterError(
                    idempotency.HEADER,
                    "not accepted here: this answer holds a secret that is shown once and "
                    "never stored.",
                )
            _ = request._request.body  # read whole before parsing, for the fingerprint
        if request.stream is not None:
            _ = request.data
        method = request.method or ""
        handler = self.handler_name()
        accepted = self.accepted_params.get(handler)
        if accepted is not None:
            reject_unknown_params(read_params(request), allowed=accepted, window=False)
        elif method in BODY_METHODS:
            allowed = self.accepted_query_params.get(handler, ())
            reject_unknown_params(request.query_params, allowed=allowed, window=False)
        if key is not None and request.auth is not None:
            self.idempotency_reservation = idempotency.reserve(
                request._request,
                key=key,
                org_id=request.auth.org_id,
                api_key_id=request.auth.pk,
                request_fingerprint=idempotency.fingerprint(request._request),
            )

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.idempotency_reservation is not None:
            idempotency.finish(self.idempotency_reservation, request._request, response)
        return response


def _count(minimum: int, maximum: int = MAX_OFFSET) -> dict:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


# Not both of a pair: limit or page_size, offset or page (OpenAPI cannot say it; a 400).
LIST_PARAMETERS = [
    OpenApiParameter(
        "limit", _count(0), description="Items per page: default 100, above 1,000 clamped."
    ),
    OpenApiParameter("offset", _count(0), description="Items to skip, default 0."),
    OpenApiParameter(
        "page", _count(1, MAX_PAGE), description="Page number from 1 (instead of offset)."
    ),
    OpenApiParameter("page_size", _count(1), description="Items per page (instead of limit)."),
]


class ApiRouter(SimpleRouter):
    """Paths as the contract writes them: no trailing slash (api.middleware strips one before
    routing, so both answer and neither redirects) and Django path converters, so a `str`
    lookup takes dots (a contact's email) where DRF's default pattern would refuse them."""

    def __init__(self) -> None:
        super().__init__(trailing_slash=False, use_regex_path=False)


class ListQuery(NamedTuple):
    params: dict[str, Any]
    window: Window
    sort: list[SortKey]


class ApiViewSet(ViewSetMixin, ApiView):
    lookup_value_converter = "str"
    # What a list reads besides its window: these parameters, and `sort` over sort_keys.
    list_params: Collection[str] = ()
    sort_keys: Collection[str] = ()
    default_sort = "-created_at"

    def get_view_name(self) -> str:
        # The name an OPTIONS answer gives: "Webhook Detail", as when each route was its own
        # view, rather than DRF's "Webhook Instance" for a viewset's detail route.
        name = super().get_view_name()
        return f"{name.removesuffix(' Instance')} Detail" if self.detail else name

    def list_query(self, request) -> ListQuery:
        """The list's parameters, window and sort; any parameter it does not read is a 400."""
        params = read_params(request)
        sorted_ = ["sort"] if self.sort_keys else []
        reject_unknown_params(params, allowed=[*self.list_params, *sorted_])
        window = parse_window(params)
        if not self.sort_keys:
            return ListQuery(params, window, [])
        return ListQuery(
            params, window, parse_sort(params, allowed=self.sort_keys, default=self.default_sort)
        )

    def validated(self, serializer_class: type, **context: Any) -> dict[str, Any]:
        """The request's body as `serializer_class` validates it (`context` passed on); a
        body it refuses is the error it raises."""
        serializer = serializer_class(data=self.request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def page(self, queryset: QuerySet, window: Window, serializer_class: type) -> Response:
        """The window's page of the queryset, serialized all at once, with `pagination`."""
        return list_response(
            queryset, window, serialize=lambda items: serializer_class(items, many=True).data
        )
