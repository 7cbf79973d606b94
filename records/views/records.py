"""The records API: `/api/records/{object}` and everything under it, one viewset."""

from rest_framework.decorators import action
from rest_framework.response import Response

from api.base_views import ApiViewSet
from api.exceptions import (
    BadRequestError,
    InvalidInputError,
    InvalidParameterError,
    NotFoundError,
)
from api.experimental import RequiresExperimental
from api.inputs import read_params
from api.permissions import HasScope
from api.preconditions import expected_versions
from api.query import parse_window
from api.scopes import Scope
from records import selectors, services
from records.apps import MERGE_FEATURE
from records.field_values import value_counts, value_payloads
from records.filters import Condition, RecordFilterBackend
from records.input_serializers import (
    BatchSerializer,
    RecordMergeSerializer,
    RecordSearchSerializer,
    RecordUpsertSerializer,
    RecordWriteSerializer,
)
from records.matching import looked_up_record
from records.object_schema import ObjectSchema
from records.schema_cache import cached_schema
from records.serializers import MERGE_SUMMARY_SCHEMA
from records.services.merge import merge_summary
from records.views import record_docs as docs
from records.views.record_answers import batch_results, one_record, record_list

# The actions on one record, by id: an id may be the name of a route beside the records.
ONE_RECORD_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})


class RecordViewSet(ApiViewSet):
    lookup_url_kwarg = "record_id"
    filter_backends = [RecordFilterBackend]
    required_scopes = {"search": Scope.READ}
    accepted_params = {
        "retrieve": ("select",),
        "destroy": (),
        "archive": ("select",),
        "unarchive": ("select",),
    }
    accepted_query_params = {
        name: ("select",) for name in ("create", "upsert", "update", "partial_update", "merge")
    }

    @property
    def extra_error_codes(self) -> dict[str, str]:
        return docs.ROUTE_NAME_CODES if self.action in ONE_RECORD_ACTIONS else {}

    def object_schema(self) -> ObjectSchema:
        """The object's schema from the process's cache, current as of the key's read: the
        key's organization carries the schema version (records.schema_cache)."""
        return cached_schema(org=self.request.auth.org, api_name=self.kwargs["object_name"])

    def target(self, record_id: str):
        """The object's schema and one of its records (archived too); anything else is a
        404."""
        schema = self.object_schema()
        return schema, selectors.record(obj=schema.obj, record_id=record_id)

    def filter_conditions(self, schema: ObjectSchema) -> list[Condition]:
        """The query string's filters, as the filter backends read them."""
        return [
            condition
            for backend in self.filter_backends
            for condition in backend().conditions(self.request, schema)
        ]

    @docs.LIST
    def list(self, request, object_name: str):
        schema = self.object_schema()
        return record_list(schema, read_params(request), conditions=self.filter_conditions(schema))

    @docs.CREATE
    def create(self, request, object_name: str):
        schema = self.object_schema()
        record = services.create_record(schema=schema, **self.validated(RecordWriteSerializer))
        return one_record(record, schema, request.query_params, status=201)

    @docs.RETRIEVE
    def retrieve(self, request, object_name: str, record_id: str):
        schema = self.object_schema()
        record, links = selectors.record_with_links(schema=schema, record_id=record_id)
        return one_record(record, schema, read_params(request), links=links)

    @docs.PARTIAL_UPDATE
    def partial_update(self, request, object_name: str, record_id: str):
        schema, record = self.target(record_id)
        record = services.update_record(
            schema=schema,
            record=record,
            expected_versions=expected_versions(request),
            **self.validated(RecordWriteSerializer),
        )
        return one_record(record, schema, request.query_params)

    @docs.UPDATE
    def update(self, request, object_name: str, record_id: str):
        return self.partial_update(request, object_name, record_id)

    @docs.DESTROY
    def destroy(self, request, object_name: str, record_id: str):
        _, record = self.target(record_id)
        deleted_id = str(record.pk)
        services.delete_record(record=record, expected_versions=expected_versions(request))
        return Response({"id": deleted_id, "deleted": True})

    @docs.ARCHIVE
    @action(detail=True, methods=["post"])
    def archive(self, request, object_name: str, record_id: str):
        return self._set_archived(services.archive_record, record_id)

    @docs.UNARCHIVE
    @action(detail=True, methods=["post"])
    def unarchive(self, request, object_name: str, record_id: str):
        return self._set_archived(services.unarchive_record, record_id)

    def _set_archived(self, change, record_id: str) -> Response:
        schema, record = self.target(record_id)
        record = change(record=record, expected_versions=expected_versions(self.request))
        return one_record(record, schema, self.request.query_params)

    @docs.MERGE
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[HasScope, RequiresExperimental.named(MERGE_FEATURE)],
        envelope_extra_schema={"merge": MERGE_SUMMARY_SCHEMA},
    )
    def merge(self, request, object_name: str, record_id: str):
        schema, survivor = self.target(record_id)
        source = self.validated(RecordMergeSerializer)["from"]
        try:
            merged = selectors.record(obj=schema.obj, record_id=source)
        except NotFoundError:
            raise InvalidInputError(
                f"No {schema.obj.api_name} record with id '{source}' to merge.",
                detail={"from": [f"No {schema.obj.api_name} record with this id."]},
            ) from None
        outcome = services.merge_records(
            schema=schema,
            survivor=survivor,
            merged=merged,
            expected_versions=expected_versions(request),
        )
        response = one_record(outcome.record, schema, request.query_params)
        response.envelope_extra = {"merge": merge_summary(outcome)}
        return response

    @docs.SEARCH
    @action(detail=False, methods=["post"])
    def search(self, request, object_name: str):
        schema = self.object_schema()
        search = self.validated(RecordSearchSerializer, schema=schema)
        return record_list(
            schema, search["controls"], conditions=search["conditions"], any_of=search["any_of"]
        )

    @docs.UPSERT
    @action(detail=False, methods=["post"], envelope_extra_schema=docs.UPSERT_EXTRA)
    def upsert(self, request, object_name: str):
        schema = self.object_schema()
        record, created = services.upsert_record(
            schema=schema, **self.validated(RecordUpsertSerializer)
        )
        response = one_record(record, schema, request.query_params, status=201 if created else 200)
        response.envelope_extra = {"created": created}
        return response

    @docs.LOOKUP
    @action(detail=False, methods=["get"])
    def lookup(self, request, object_name: str):
        schema = self.object_schema()
        params = read_params(request)
        return one_record(looked_up_record(schema, params), schema, params)

    @docs.FIELD_VALUES
    @action(detail=False, methods=["get"], url_path="field-values/<str:field_name>")
    def field_values(self, request, object_name: str, field_name: str):
        schema = self.object_schema()
        field = selectors.field_by_name(obj=schema.obj, name=field_name)
        if not field.kind.countable:
            raise BadRequestError(
                f"'{field.api_name}' is a json field: its values are not counted.",
                detail={"field": ["Not available for json fields."]},
            )
        params = read_params(request)
        window = parse_window(params)
        archived = selectors.parse_archived(params)
        if "sort" in params or "select" in params:
            name = "sort" if "sort" in params else "select"
            raise InvalidParameterError(name, "field values are always most frequent first.")
        conditions = self.filter_conditions(schema)
        records = selectors.records(
            schema=schema, archived=archived, sort=[], conditions=conditions
        )
        state = selectors.ARCHIVED_STATES[archived]
        pairs, total = value_counts(
            records, field, window, unfiltered=not conditions, archived=state
        )
        response = Response(value_payloads(pairs, field, schema))
        response.pagination = window.as_pagination(total)
        return response

    @docs.BATCH
    @action(detail=False, methods=["post"], envelope_paginated=False)
    def batch(self, request, object_name: str):
        schema = self.object_schema()
        outcomes = services.run_batch(schema=schema, **self.validated(BatchSerializer))
        return Response(batch_results(outcomes, schema))
