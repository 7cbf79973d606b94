"""The records API's writes over several records at once: `POST /api/records/{object}/batch`
and `POST /api/records/{object}/{id}/merge`."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.base_views import ApiView
from api.exception_handler import error_payload, status_for_domain_error
from api.exceptions import (
    InvalidInputError,
    NotFoundError,
)
from api.experimental import RequiresExperimental
from api.permissions import HasScope
from api.preconditions import expected_versions
from api.schema import IF_MATCH, PRECONDITION_FAILED, error_response
from records import selectors, services
from records.apps import MERGE_FEATURE
from records.batch_operations import read_batch
from records.representation import (
    read_merge_input,
    record_payloads,
)
from records.serializers import (
    BatchResultSerializer,
    BatchSerializer,
    RecordMergeSerializer,
    RecordSerializer,
)
from records.services.merge import merge_summary
from records.values import ObjectSchema
from records.views.records import (
    RECORD_TAGS,
    object_schema,
    one_record,
    record_target,
)


class RecordBatchView(ApiView):
    envelope_paginated = False

    @extend_schema(
        request=BatchSerializer,
        responses={
            200: BatchResultSerializer(many=True),
            422: error_response(
                "Atomic batch with invalid operations; errorDetail is keyed "
                "operations.<index>.<input>. Nothing was written."
            ),
        },
        tags=RECORD_TAGS,
        operation_id="records_batch",
        description=(
            "Up to 1,000 operations (create, update, upsert, archive, unarchive, delete) in one "
            "request; one operation per record. Atomic by default: any invalid operation means "
            "nothing is written (422). With `atomic: false` each operation stands alone and "
            "`data` holds one result per operation, in order, each with the status it would "
            "have alone."
        ),
    )
    def post(self, request, object_name: str):
        schema = object_schema(request, object_name)
        atomic, operations = read_batch(request.data)
        outcomes = services.run_batch(schema=schema, operations=operations, atomic=atomic)
        return Response(batch_results(outcomes, schema))


def batch_results(outcomes, schema: ObjectSchema) -> list[dict]:
    """One result per operation; the records' links are read in one query for all."""
    written = [outcome.record for outcome in outcomes if outcome.record is not None]
    payloads = iter(record_payloads(written, schema, meta=True, fields=True))
    results = []
    for outcome in outcomes:
        result: dict = {"index": outcome.index}
        if outcome.error is not None:
            error = outcome.error
            result["status"] = status_for_domain_error(error)
            result.update(error_payload(error.message, error.detail, error.missing))
        elif outcome.deleted_id is not None:
            result.update(status=200, data={"id": outcome.deleted_id, "deleted": True})
            result["created"] = False
        else:
            result.update(status=201 if outcome.created else 200, data=next(payloads))
            result["created"] = outcome.created
        results.append(result)
    return results


MERGE_SUMMARY_SCHEMA = {
    "type": "object",
    "description": "What the merge changed.",
    "properties": {
        "merged_id": {"type": "string", "description": "The record merged in, now deleted."},
        "filled_fields": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Fields of the survivor that were empty and took the merged value.",
        },
        "relinked_records": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "object": {"type": "string"},
                    "name": {"type": "string"},
                },
                "required": ["id", "object", "name"],
            },
            "description": "Other records whose links moved from the merged record to this one.",
        },
    },
    "required": ["merged_id", "filled_fields", "relinked_records"],
}


class RecordMergeView(ApiView):
    accepted_query_params = {"POST": ("select",)}
    permission_classes = [HasScope, RequiresExperimental.named(MERGE_FEATURE)]
    envelope_extra_schema = {"merge": MERGE_SUMMARY_SCHEMA}

    @extend_schema(
        request=RecordMergeSerializer,
        parameters=[
            IF_MATCH,
            OpenApiParameter(
                "X-Experimental",
                str,
                OpenApiParameter.HEADER,
                required=True,
                enum=[MERGE_FEATURE],
                description="Merge is experimental: opt in with `X-Experimental: merge`.",
            ),
        ],
        responses={
            200: RecordSerializer,
            409: error_response("The survivor is archived."),
            412: PRECONDITION_FAILED,
            422: error_response("`from` names no record of this object, or the record itself."),
        },
        tags=RECORD_TAGS,
        operation_id="records_merge",
        description=(
            "Experimental. Merges the record `from` into this one: every link to it moves "
            "here, this record's empty fields take its values, and it is deleted. `merge` "
            "beside `data` says what changed."
        ),
    )
    def post(self, request, object_name: str, record_id: str):
        schema, survivor = record_target(request, object_name, record_id)
        source = read_merge_input(request.data)
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
