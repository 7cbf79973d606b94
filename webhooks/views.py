"""The webhooks API: `/api/webhooks` (endpoints, their deliveries) and `/api/events`."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base_views import LIST_PARAMETERS, ApiViewSet
from api.exceptions import InvalidParameterError
from api.pagination import list_response
from api.schema import error_response
from api.scopes import Scope
from records.serializers import DeletedRecordSerializer
from webhooks import filters, selectors, services
from webhooks.delivery import send_test_event
from webhooks.models import DeliveryStatus
from webhooks.serializers import (
    DeliverySerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
    EndpointWithSecretSerializer,
    EventSerializer,
)

TAGS = ["webhooks"]
MANAGE = {"GET": Scope.READ, "*": Scope.ADMIN}
INVALID = error_response("A value is wrong: an unsafe URL, an unknown event type or object.")


def endpoint_input(validated: dict) -> dict:
    """The API's names (events, objects) as the services' (event_types, object_names)."""
    renamed = {"events": "event_types", "objects": "object_names"}
    return {renamed.get(key, key): value for key, value in validated.items()}


class WebhookViewSet(ApiViewSet):
    lookup_url_kwarg = "endpoint_id"
    required_scopes = MANAGE
    accepted_params = {"retrieve": (), "destroy": (), "rotate_secret": (), "test": ()}
    # Both answer with the signing secret, which is only ever stored encrypted: a replay would
    # need it kept in plain for a day.
    answers_with_secrets = ("create", "rotate_secret")

    @extend_schema(
        responses=EndpointSerializer(many=True),
        parameters=LIST_PARAMETERS,
        tags=TAGS,
        operation_id="webhooks_list",
        description="The organization's webhook endpoints, oldest first; never their secrets.",
    )
    def list(self, request):
        query = self.list_query(request)
        endpoints = selectors.endpoints(org_id=request.auth.org_id)
        return self.page(endpoints, query.window, EndpointSerializer)

    @extend_schema(
        request=EndpointCreateSerializer,
        responses={201: EndpointWithSecretSerializer, 422: INVALID},
        tags=TAGS,
        operation_id="webhooks_create",
        description=(
            "Creates an endpoint. Its signing secret is in `data.secret`, shown this once "
            "(and on rotate-secret)."
        ),
    )
    def create(self, request):
        endpoint = services.create_endpoint(
            org_id=request.auth.org_id, **endpoint_input(self.validated(EndpointCreateSerializer))
        )
        return Response(EndpointWithSecretSerializer(endpoint).data, status=201)

    @extend_schema(
        responses=EndpointSerializer,
        tags=TAGS,
        operation_id="webhooks_retrieve",
        description="One webhook endpoint; never its secret.",
    )
    def retrieve(self, request, endpoint_id: str):
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, 422: INVALID},
        tags=TAGS,
        operation_id="webhooks_update",
        description="Changes only what is sent. `active: true` turns a disabled endpoint on.",
    )
    def partial_update(self, request, endpoint_id: str):
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        changes = endpoint_input(self.validated(EndpointUpdateSerializer))
        endpoint = services.update_endpoint(endpoint, changes=changes)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={200: DeletedRecordSerializer},
        tags=TAGS,
        operation_id="webhooks_delete",
        description="Deletes the endpoint and its delivery log.",
    )
    def destroy(self, request, endpoint_id: str):
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        deleted_id = str(endpoint.pk)
        services.delete_endpoint(endpoint)
        return Response({"id": deleted_id, "deleted": True})

    @extend_schema(
        request=None,
        responses=EndpointWithSecretSerializer,
        tags=TAGS,
        operation_id="webhooks_rotate_secret",
        description=(
            "A new signing secret, shown this once. For 24 hours messages are signed with "
            "both the old and the new one, so receivers can switch without dropping one."
        ),
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, endpoint_id: str):
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        endpoint = services.rotate_secret(endpoint)
        return Response(EndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses=DeliverySerializer,
        tags=TAGS,
        operation_id="webhooks_test",
        description=(
            "Sends a `webhook.test` event to the endpoint now and answers with the delivery "
            "and its first attempt. A failed attempt is retried on the usual schedule."
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request, endpoint_id: str):
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        delivery = send_test_event(endpoint)
        sent = selectors.delivery(endpoint=endpoint, delivery_id=str(delivery.pk))
        return Response(DeliverySerializer(sent).data)


class DeliveryViewSet(ApiViewSet):
    # Routed below its endpoint (webhooks.urls), so every handler takes `endpoint_id` too.
    lookup_url_kwarg = "delivery_id"
    required_scopes = MANAGE
    accepted_params = {"retry": ()}
    list_params = ("status",)

    @extend_schema(
        responses=DeliverySerializer(many=True),
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter("status", str, enum=list(DeliveryStatus.values)),
        ],
        tags=TAGS,
        operation_id="webhooks_deliveries",
        description="The endpoint's deliveries, newest first, each with its attempts.",
    )
    def list(self, request, endpoint_id: str):
        # An unknown endpoint is a 404 before its list parameters are looked at.
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        query = self.list_query(request)
        status = query.params.get("status")
        if status is not None and status not in DeliveryStatus.values:
            raise InvalidParameterError("status", f"expected {', '.join(DeliveryStatus.values)}.")
        deliveries = selectors.deliveries(endpoint=endpoint, status=status)
        return self.page(deliveries, query.window, DeliverySerializer)

    @extend_schema(
        request=None,
        responses=DeliverySerializer,
        tags=TAGS,
        operation_id="webhooks_delivery_retry",
        description="Queues a new attempt of the delivery now, whether it failed or not.",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, endpoint_id: str, delivery_id: str):
        endpoint = selectors.endpoint(org_id=request.auth.org_id, endpoint_id=endpoint_id)
        delivery = selectors.delivery(endpoint=endpoint, delivery_id=delivery_id)
        services.retry_delivery(delivery)
        fresh = selectors.delivery(endpoint=endpoint, delivery_id=delivery_id)
        return Response(DeliverySerializer(fresh).data)


class EventViewSet(ApiViewSet):
    list_params = filters.PARAMS

    @extend_schema(
        responses=EventSerializer(many=True),
        parameters=[
            *LIST_PARAMETERS,
            *filters.PARAMETERS,
        ],
        tags=TAGS,
        operation_id="events_list",
        description=(
            f"The organization's events, newest first, for polling and replay; kept "
            f"{settings.WEBHOOK_EVENT_RETENTION_DAYS} days. Each is the body its webhooks "
            "carry. To poll, pass the last event id you read as `after`: the events since "
            "then come oldest first, and the last of them is your next cursor."
        ),
    )
    def list(self, request):
        query = self.list_query(request)
        found = filters.EventFilters.read(query.params)
        events = selectors.events(org_id=request.auth.org_id, filters=found)
        # Each event is sent as the payload its webhooks carry, not through a serializer.
        return list_response(
            events, query.window, serialize=lambda page: [event.payload for event in page]
        )
