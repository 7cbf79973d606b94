"""The api app's own routes: the index, the request log, the experimental flags, and the
envelope-shaped 404 for any unknown path under /api/."""

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

from api import selectors
from api.base_views import LIST_PARAMETERS, ApiView, ApiViewSet
from api.exceptions import InvalidParameterError
from api.experimental import HEADER, all_features
from api.pagination import whole_list_response
from api.query import integer_param
from api.schema import comma_list
from api.selectors import HTTP_METHODS as METHODS
from api.serializers import ApiIndexSerializer, ExperimentalFeatureSerializer, RequestLogSerializer


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
        return whole_list_response(features)


class RequestLogViewSet(ApiViewSet):
    lookup_url_kwarg = "guid"
    accepted_params = {"retrieve": ()}
    list_params = ("status", "method")
    sort_keys = selectors.REQUEST_LOG_SORT_KEYS

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
            OpenApiParameter(
                "status",
                {"type": "integer", "minimum": 100, "maximum": 599},
                description="Only requests answered with this status (e.g. 422).",
            ),
            OpenApiParameter(
                "method", str, enum=list(METHODS), description="Only requests with this method."
            ),
        ],
        description="Your organization's recent API requests, newest first (kept 14 days).",
    )
    def list(self, request):
        query = self.list_query(request)
        method = query.params.get("method")
        if method is not None and method not in METHODS:
            raise InvalidParameterError("method", f"expected one of {', '.join(METHODS)}.")
        queryset = selectors.request_logs(
            org_id=request.auth.org_id,
            sort=query.sort,
            status=integer_param(query.params, "status", minimum=100, maximum=599),
            method=method,
        )
        return self.page(queryset, query.window, RequestLogSerializer)

    @extend_schema(
        responses=RequestLogSerializer,
        tags=["api"],
        operation_id="requests_retrieve",
        description="What the server recorded about one of your requests, by its guid.",
    )
    def retrieve(self, request, guid: str):
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
