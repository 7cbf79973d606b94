"""Who am I (`/api/me`) and the organization's API keys (`/api/keys`, admin scope)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors, services
from accounts.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    MeSerializer,
)
from api.base_views import LIST_PARAMETERS, ApiView, ApiViewSet
from api.schema import comma_list, error_response
from api.scopes import Scope


class MeView(ApiView):
    accepted_params = {"GET": ()}

    @extend_schema(
        responses=MeSerializer,
        tags=["keys"],
        operation_id="me",
        description="The organization and the key behind this request: the first call to make.",
    )
    def get(self, request):
        api_key = request.auth
        return Response(MeSerializer({"organization": api_key.org, "api_key": api_key}).data)


class ApiKeyViewSet(ApiViewSet):
    lookup_url_kwarg = "key_id"
    required_scopes = {"*": Scope.ADMIN}
    accepted_params = {"revoke": ()}
    # Creating answers with the raw key, which is only ever stored hashed.
    answers_with_secrets = ("create",)
    sort_keys = selectors.API_KEY_SORT_KEYS

    @extend_schema(
        responses=ApiKeySerializer(many=True),
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter(
                "sort",
                comma_list(selectors.API_KEY_SORT_KEYS, descending=True),
                description="created_at, last_used_at or name; '-' for descending.",
            ),
        ],
        tags=["keys"],
        operation_id="keys_list",
        description="The organization's API keys, newest first; never their secrets.",
    )
    def list(self, request):
        query = self.list_query(request)
        keys = selectors.api_keys(org_id=request.auth.org_id, sort=query.sort)
        return self.page(keys, query.window, ApiKeySerializer)

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer, 422: error_response("Unknown scope.")},
        tags=["keys"],
        operation_id="keys_create",
        description="Creates a key. The raw key is in `data.key`, shown this once.",
    )
    def create(self, request):
        api_key, raw_key = services.create_api_key(
            org=request.auth.org, **self.validated(ApiKeyCreateSerializer)
        )
        api_key.key = raw_key
        return Response(ApiKeyCreatedSerializer(api_key).data, status=201)

    @extend_schema(
        request=None,
        responses=ApiKeySerializer,
        tags=["keys"],
        operation_id="keys_revoke",
        description="Revokes a key at once; idempotent.",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, key_id: str):
        api_key = selectors.api_key(org_id=request.auth.org_id, key_id=key_id)
        services.revoke_api_key(api_key=api_key)
        return Response(ApiKeySerializer(api_key).data)
