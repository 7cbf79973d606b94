"""The schema API: objects and their fields (changing them needs the admin scope)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.base_views import LIST_PARAMETERS, ApiViewSet
from api.exceptions import InvalidParameterError
from api.inputs import read_params
from api.pagination import whole_list_response
from api.schema import error_response
from api.scopes import Scope
from records import selectors, services
from records.models import Field, Object
from records.serializers import (
    DeletedRecordSerializer,
    FieldInputSerializer,
    FieldSerializer,
    FieldUpdateSerializer,
    ObjectCreateSerializer,
    ObjectSerializer,
    ObjectUpdateSerializer,
)

SCHEMA_SCOPES = {"GET": Scope.READ, "*": Scope.ADMIN}
CONFLICT = error_response("The change would break stored data or clashes with a name.")
INVALID = error_response("A value is wrong: a name pattern, a type, options.")


# What the object and field viewsets share (no docstring: an OPTIONS answer would show it).
class SchemaViewSet(ApiViewSet):
    def object(self, request, object_name: str) -> Object:
        return selectors.object_by_api_name(org_id=request.auth.org_id, api_name=object_name)


class ObjectViewSet(SchemaViewSet):
    lookup_url_kwarg = "object_name"
    required_scopes = SCHEMA_SCOPES
    # `force` is the contract's (`?force=true`); deleting an object deletes its records.
    accepted_params = {"retrieve": (), "destroy": ("force",)}

    @extend_schema(
        responses=ObjectSerializer(many=True),
        parameters=LIST_PARAMETERS,
        tags=["objects"],
        operation_id="objects_list",
        description="The organization's objects with their fields.",
    )
    def list(self, request):
        query = self.list_query(request)
        objects = selectors.objects(org_id=request.auth.org_id)
        return self.page(objects, query.window, ObjectSerializer)

    @extend_schema(
        request=ObjectCreateSerializer,
        responses={201: ObjectSerializer, 409: CONFLICT, 422: INVALID},
        tags=["objects"],
        operation_id="objects_create",
        description="Creates an object, optionally with its fields inline.",
    )
    def create(self, request):
        data = self.validated(ObjectCreateSerializer)
        obj = services.create_object(org=request.auth.org, **data)
        obj = selectors.object_by_api_name(org_id=request.auth.org_id, api_name=obj.api_name)
        return Response(ObjectSerializer(obj).data, status=201)

    @extend_schema(
        responses=ObjectSerializer,
        tags=["objects"],
        operation_id="objects_retrieve",
        description="One object with its fields.",
    )
    def retrieve(self, request, object_name: str):
        return Response(ObjectSerializer(self.object(request, object_name)).data)

    @extend_schema(
        request=ObjectUpdateSerializer,
        responses={200: ObjectSerializer, 422: INVALID},
        tags=["objects"],
        operation_id="objects_update",
        description="Changes an object's names or description (its api_name is fixed).",
    )
    def partial_update(self, request, object_name: str):
        obj = self.object(request, object_name)
        data = self.validated(ObjectUpdateSerializer)
        obj = services.update_object(obj=obj, changes=data)
        return Response(ObjectSerializer(obj).data)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "force",
                str,
                enum=["true", "false"],
                description="true: delete the object with its records (each gets its "
                "record.deleted event). Without it, an object with records is a 409.",
            )
        ],
        responses={
            200: DeletedRecordSerializer,
            409: error_response(
                "The object has records (errorDetail.records says how many; send "
                "force=true), is a system object, or another object's field links to it."
            ),
        },
        tags=["objects"],
        operation_id="objects_delete",
        description=(
            "Deletes an object. One with records is a 409 saying how many, unless "
            "`force=true`: then its records are deleted with it, each with its "
            "`record.deleted` event. System objects cannot be deleted. Answers with "
            "`{id: <api_name>, deleted: true}`."
        ),
    )
    def destroy(self, request, object_name: str):
        obj = self.object(request, object_name)
        force = read_params(request).get("force", False)  # a query's text, or a body's JSON
        if not isinstance(force, bool) and force not in ("true", "false"):
            raise InvalidParameterError("force", "expected true or false.")
        services.delete_object(obj=obj, force=force is True or force == "true")
        return Response({"id": obj.api_name, "deleted": True})


class FieldViewSet(SchemaViewSet):
    lookup_url_kwarg = "field_name"
    required_scopes = SCHEMA_SCOPES
    accepted_params = {"list": (), "retrieve": (), "destroy": ()}

    def field(self, request, object_name: str, field_name: str) -> Field:
        return selectors.field_by_name(obj=self.object(request, object_name), name=field_name)

    @extend_schema(
        responses=FieldSerializer(many=True),
        tags=["objects"],
        operation_id="fields_list",
        description="An object's fields in display order.",
    )
    def list(self, request, object_name: str):
        # All of them on one page: an object has few fields, and the list takes no window.
        fields = list(self.object(request, object_name).fields.all())
        return whole_list_response(FieldSerializer(fields, many=True).data)

    @extend_schema(
        request=FieldInputSerializer,
        responses={201: FieldSerializer, 409: CONFLICT, 422: INVALID},
        tags=["objects"],
        operation_id="fields_create",
        description="Adds a field to the object.",
    )
    def create(self, request, object_name: str):
        obj = self.object(request, object_name)
        data = self.validated(FieldInputSerializer)
        field = services.create_field(obj=obj, definition=data)
        return Response(FieldSerializer(field).data, status=201)

    @extend_schema(
        responses=FieldSerializer,
        tags=["objects"],
        operation_id="fields_retrieve",
        description="One field of the object, by api_name or a former name.",
    )
    def retrieve(self, request, object_name: str, field_name: str):
        return Response(FieldSerializer(self.field(request, object_name, field_name)).data)

    @extend_schema(
        request=FieldUpdateSerializer,
        responses={200: FieldSerializer, 409: CONFLICT, 422: INVALID},
        tags=["objects"],
        operation_id="fields_update",
        description=(
            "Changes a field. Renaming keeps the old api_name in `aliases`, and both names keep "
            "working. Changes that would break stored data are a 409 saying how many records "
            "stand in the way."
        ),
    )
    def partial_update(self, request, object_name: str, field_name: str):
        field = self.field(request, object_name, field_name)
        data = self.validated(FieldUpdateSerializer)
        field = services.update_field(field=field, changes=data)
        return Response(FieldSerializer(field).data)

    @extend_schema(
        request=None,
        responses={200: FieldSerializer, 409: CONFLICT},
        tags=["objects"],
        operation_id="fields_delete",
        description="Deletes a field and clears its values from every record.",
    )
    def destroy(self, request, object_name: str, field_name: str):
        field = self.field(request, object_name, field_name)
        data = FieldSerializer(field).data
        services.delete_field(field=field)
        return Response(data)
