"""What the OpenAPI document says of each records operation: one `extend_schema` per action
of records.views.records.RecordViewSet, kept here so that the viewset reads as what it does."""

from drf_spectacular.utils import OpenApiParameter, extend_schema

from api.base_views import LIST_PARAMETERS
from api.schema import IF_MATCH, NOT_BLANK_PATTERN, PRECONDITION_FAILED, error_response
from records.apps import MERGE_FEATURE
from records.input_serializers import (
    SELECT_PARTS,
    SORT_KEYS,
    BatchSerializer,
    RecordMergeSerializer,
    RecordSearchSerializer,
    RecordUpsertSerializer,
    RecordWriteSerializer,
)
from records.serializers import (
    BatchResultSerializer,
    DeletedRecordSerializer,
    FieldValueCountSerializer,
    RecordSerializer,
)

TAGS = ["records"]
CONFLICT = error_response("A unique value is already used by another record.")
INVALID = error_response("A value does not fit its field; errorDetail is keyed fields.<id>.")
SELECT = OpenApiParameter(
    "select",
    SELECT_PARTS,
    description="meta, fields; '-name' leaves a part out (e.g. select=meta,-fields).",
)
ARCHIVED = OpenApiParameter(
    "archived", str, enum=["false", "true", "all"], description="Default false."
)
NOT_BLANK = {"type": "string", "pattern": NOT_BLANK_PATTERN}
# A record's id or a contact's email; never the name of a route beside the records
# (/api/records/{object}/search is the search, not a record called "search").
RECORD_ID = OpenApiParameter(
    "record_id",
    {"type": "string", "not": {"enum": ["batch", "lookup", "search", "upsert"]}},
    OpenApiParameter.PATH,
)
# The one-record routes whose id may be the name of a route beside the records.
ROUTE_NAME_CODES = {
    "405": "The id is the name of a route beside the records (batch, lookup, search, "
    "upsert), which does not answer this method."
}
WRITE_ANSWERS = {200: RecordSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED, 422: INVALID}

LIST = extend_schema(
    responses=RecordSerializer(many=True),
    parameters=[
        *LIST_PARAMETERS,
        OpenApiParameter(
            "sort",
            SORT_KEYS,
            description="Comma list of id, name, created_at, updated_at, fields__<field>; "
            "'-' for descending. Default -id (newest first).",
        ),
        SELECT,
        ARCHIVED,
    ],
    tags=TAGS,
    operation_id="records_list",
    description=(
        "A page of the object's records, newest first, with the exact total in "
        "`pagination`.\n\n"
        "Filters are query parameters `<key>` or `<key>__<operator>`, ANDed. Keys: `id`, "
        "`name`, `created_at`, `updated_at` and `fields__<field>` (a field's api_name). "
        "Operators: `` (equal), `not`, `in` (a comma list), `isnull` (true or false), `lt`, "
        "`lte`, `gt`, `gte`, `contains`, `icontains`, `startswith`, `endswith`, each where "
        "the field's type allows it. An unknown key or operator is a 400 that names the "
        "valid ones.\n\n"
        "Example: `?fields__amount__gte=1000&fields__stage__in=won,lost"
        "&name__icontains=acme&sort=-fields__close_date`."
    ),
)
CREATE = extend_schema(
    request=RecordWriteSerializer,
    responses={201: RecordSerializer, 409: CONFLICT, 422: INVALID},
    tags=TAGS,
    operation_id="records_create",
    description="Creates a record: `name` and `fields` keyed by api_name.",
)
SEARCH = extend_schema(
    request=RecordSearchSerializer,
    responses=RecordSerializer(many=True),
    tags=TAGS,
    operation_id="records_search",
    description=(
        "Filters in the body: `filters` are ANDed; each object in `any` is an AND-group and "
        "the groups are ORed. `value` is a list (a bare scalar is accepted)."
    ),
)
UPSERT = extend_schema(
    request=RecordUpsertSerializer,
    responses={
        200: RecordSerializer,
        201: RecordSerializer,
        409: error_response("Several records match, or the match is archived."),
        422: INVALID,
    },
    tags=TAGS,
    operation_id="records_upsert",
    description=(
        "Matches on email (contacts), name (other objects) or the unique field in "
        "`match_on`, then updates the record (200, `created: false`) or creates it (201, "
        "`created: true`). Concurrent upserts of one key create one record."
    ),
)
UPSERT_EXTRA = {
    "created": {"type": "boolean", "description": "True when the upsert created the record."}
}
LOOKUP = extend_schema(
    parameters=[
        OpenApiParameter("name", NOT_BLANK, description="Match on the name (not contacts)."),
        OpenApiParameter("email", NOT_BLANK, description="contacts: match on the email."),
    ],
    responses={
        200: RecordSerializer,
        409: error_response("Several records match."),
        422: error_response("The value cannot be one of the field's (an invalid email)."),
    },
    tags=TAGS,
    operation_id="records_lookup",
    description=(
        "Exactly one record by name (contacts: by email), or by any unique field given as "
        "`?<field>=value`: 200 with it, 404 when none, 409 with the ids when several."
    ),
)
FIELD_VALUES = extend_schema(
    parameters=[*LIST_PARAMETERS, OpenApiParameter("archived", str, enum=["false", "true", "all"])],
    responses=FieldValueCountSerializer(many=True),
    tags=TAGS,
    operation_id="records_field_values",
    description=(
        "Distinct values of a field with their counts, most frequent first, ties by value; "
        "records without a value are one `null` entry. Takes the list's filters. A "
        "multi_select counts each option; relationships show {id, object, name}."
    ),
)
BATCH = extend_schema(
    request=BatchSerializer,
    responses={
        200: BatchResultSerializer(many=True),
        422: error_response(
            "Atomic batch with invalid operations; errorDetail is keyed "
            "operations.<index>.<input>. Nothing was written."
        ),
    },
    tags=TAGS,
    operation_id="records_batch",
    description=(
        "Up to 1,000 operations (create, update, upsert, archive, unarchive, delete) in one "
        "request; one operation per record. Atomic by default: any invalid operation means "
        "nothing is written (422). With `atomic: false` each operation stands alone and "
        "`data` holds one result per operation, in order, each with the status it would "
        "have alone."
    ),
)
RETRIEVE = extend_schema(
    responses=RecordSerializer,
    parameters=[RECORD_ID, SELECT],
    tags=TAGS,
    operation_id="records_retrieve",
    description=(
        "One record, archived or not, by id (contacts also by email); its version is the `ETag`."
    ),
)


def _sparse_update(operation_id: str, description: str):
    return extend_schema(
        request=RecordWriteSerializer,
        parameters=[RECORD_ID, IF_MATCH],
        responses=WRITE_ANSWERS,
        tags=TAGS,
        operation_id=operation_id,
        description=description,
    )


PARTIAL_UPDATE = _sparse_update(
    "records_update", "Sparse update: only the keys sent change; null clears a field."
)
UPDATE = _sparse_update(
    "records_replace_sparse", "The same sparse update as PATCH (only the keys sent change)."
)
DESTROY = extend_schema(
    request=None,
    parameters=[RECORD_ID, IF_MATCH],
    responses={200: DeletedRecordSerializer, 412: PRECONDITION_FAILED},
    tags=TAGS,
    operation_id="records_delete",
    description="Deletes the record and clears links to it from other records.",
)


def _archived_state(operation_id: str, description: str):
    return extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: RecordSerializer, 412: PRECONDITION_FAILED},
        tags=TAGS,
        operation_id=operation_id,
        description=description,
    )


ARCHIVE = _archived_state(
    "records_archive", "Archives the record (idempotent): it leaves lists and searches."
)
UNARCHIVE = _archived_state("records_unarchive", "Unarchives the record (idempotent).")
MERGE = extend_schema(
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
    tags=TAGS,
    operation_id="records_merge",
    description=(
        "Experimental. Merges the record `from` into this one: every link to it moves "
        "here, this record's empty fields take its values, and it is deleted. `merge` "
        "beside `data` says what changed."
    ),
)
