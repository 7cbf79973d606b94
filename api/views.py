"""The api app's own routes: the index, the request log, the experimental flags, and the
envelope-shaped 404 for any unknown path under /api/."""

from collections.abc import Collection, Mapping

from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import idempotency, selectors
from api.exceptions import InvalidParameterError
from api.experimental import HEADER, all_features
from api.inputs import check_query_string, read_params
from api.pagination import list_response
from api.query import MAX_OFFSET, MAX_PAGE, parse_sort, parse_window, reject_unknown_params
from api.schema import comma_list
from api.serializers import ApiIndexSerializer, ExperimentalFeatureSerializer, RequestLogSerializer

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ApiView(APIView):
    """The base of every API view: a body that was sent is always parsed, so an unsupported
    Content-Type is a 415 and malformed JSON a 400 even where the view reads no input, and
    nothing is done with a request the client got wrong.

    A write with `Idempotency-Key` (api.idempotency) reserves its key once the request is
    authenticated, allowed and parsed, and stores its response when it is done; a retry gets
    that response. A view whose answer must not be stored sets `idempotency_key_accepted`
    to False: the header is then a 400 there."""

    idempotency_key_accepted = True
    idempotency_reservation: idempotency.Reservation | None = None
    # Per method whose handler reads no input of its own: the only parameters (query string
    # and body together) it accepts. Anything else is a 400 before the handler runs, so that
    # input sent where it would be ignored (a body on an archive, an offset on one record) is
    # refused rather than silently doing nothing. Other methods check their own inputs.
    accepted_params: Mapping[str, Collection[str]] = {}
    # Per POST, PUT or PATCH that reads its input from the body: the query parameters it
    # reads as well (none unless named here); any other is a 400, for the same reason.
    accepted_query_params: Mapping[str, Collection[str]] = {}

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
            if not self.idempotency_key_accepted:
                raise InvalidParameterError(
                    idempotency.HEADER,
                    "not accepted here: this answer holds a secret that is shown once and "
                    "never stored.",
                )
            _ = request._request.body  # read whole before parsing, for the fingerprint
        if request.stream is not None:
            _ = request.data
        method = request.method or ""
        accepted = self.accepted_params.get(method)
        if accepted is not None:
            reject_unknown_params(read_params(request), allowed=accepted, window=False)
        elif method in BODY_METHODS:
            allowed = self.accepted_query_params.get(method, ())
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


class ApiIndexView(ApiView):
    """Where to go next: the docs and the first authenticated call."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    accepted_params = {"GET": ()}

    @extend_schema(responses=ApiIndexSerializer, tags=["api"], operation_id="api_index")
    def get(self, request):
        return Response(
            {
                "name": "Recordbase API",
                "docs": "/api/docs",
                "redoc": "/api/redoc",
                "schema": "/api/schema",
                "me": "/api/me",
            }
        )


class ExperimentalFeaturesView(ApiView):
    accepted_params = {"GET": ()}

    @extend_schema(
        responses=ExperimentalFeatureSerializer(many=True),
        tags=["api"],
        operation_id="experimental_list",
        description="The experimental features that exist; opt in with `X-Experimental: <name>`.",
    )
    def get(self, request):
        features = [
            {
                "name": feature.name,
                "description": feature.description,
                "header": f"{HEADER}: {feature.name}",
            }
            for feature in all_features()
        ]
        response = Response(features)
        response.pagination = {"total": len(features), "limit": len(features), "offset": 0}
        return response


class RequestLogListView(ApiView):
    @extend_schema(
        responses=RequestLogSerializer(many=True),
        tags=["api"],
        operation_id="requests_list",
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter(
                "sort",
                comma_list(selectors.REQUEST_LOG_SORT_KEYS, descending=True),
                description=(
                    "created_at, status or duration_ms; '-' for descending. Default -created_at."
                ),
            ),
        ],
        description="Your organization's recent API requests, newest first (kept 14 days).",
    )
    def get(self, request):
        params = read_params(request)
        reject_unknown_params(params, allowed=["sort"])
        window = parse_window(params)
        sort = parse_sort(params, allowed=selectors.REQUEST_LOG_SORT_KEYS, default="-created_at")
        queryset = selectors.request_logs(org_id=request.auth.org_id, sort=sort)
        return list_response(
            queryset, window, serialize=lambda page: RequestLogSerializer(page, many=True).data
        )


class RequestLogDetailView(ApiView):
    accepted_params = {"GET": ()}

    @extend_schema(
        responses=RequestLogSerializer,
        tags=["api"],
        operation_id="requests_retrieve",
        description="What the server recorded about one of your requests, by its guid.",
    )
    def get(self, request, guid: str):
        entry = selectors.request_log(org_id=request.auth.org_id, guid=guid)
        return Response(RequestLogSerializer(entry).data)


@extend_schema(exclude=True)
class NotFoundView(ApiView):
    """Any path under /api/ that no route matches: a 404 in the envelope, whatever the method."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        # Every method, known to HTTP or not, is a 404 here rather than a 405.
        raise NotFound()

    options = http_method_not_allowed

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        del response["Allow"]  # nothing is allowed at an unknown address
        return response


DOCUMENT_METHODS = ["get", "head"]


class SchemaView(SpectacularAPIView):
    """The OpenAPI document: YAML by default, JSON with `?format=json` or Accept."""

    content_negotiation_class = DefaultContentNegotiation
    http_method_names = DOCUMENT_METHODS


class SwaggerView(SpectacularSwaggerView):
    http_method_names = DOCUMENT_METHODS


class RedocView(SpectacularRedocView):
    http_method_names = DOCUMENT_METHODS
    template_name = "api/redoc.html"  # without the web fonts: the docs work offline
