"""The records API: `/api/records/{object}` and `/api/records/{object}/{id}`."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.base_views import LIST_PARAMETERS, ApiView
from api.exceptions import (
    BadRequestError,
    ConflictError,
    InvalidParameterError,
    NotFoundError,
    UnknownInputError,
    shown,
)
from api.inputs import read_params
from api.pagination import list_response
from api.preconditions import etag, expected_versions
from api.query import WINDOW_PARAMS, parse_select, parse_sort, parse_window
from api.schema import IF_MATCH, PRECONDITION_FAILED, error_response
from api.scopes import Scope
from records import selectors, services
from records.field_values import value_counts, value_payloads
from records.filters import Condition, body_conditions, check_search_size, query_conditions
from records.listing_cache import LISTINGS, listing_key
from records.matching import match_key, matching_records
from records.ordering import sort_keys
from records.registry import policy_for
from records.representation import (
    payload_rows,
    read_record_input,
    record_payloads,
)
from records.schema_cache import cached_schema
from records.serializers import (
    SELECT_PARTS,
    SORT_KEYS,
    DeletedRecordSerializer,
    FieldValueCountSerializer,
    RecordSearchSerializer,
    RecordSerializer,
    RecordUpsertSerializer,
    RecordWriteSerializer,
)
from records.values import ObjectSchema

CONFLICT = error_response("A unique value is already used by another record.")
INVALID = error_response("A value does not fit its field; errorDetail is keyed fields.<id>.")
SELECT = OpenApiParameter(
    "select",
    SELECT_PARTS,
    description="meta, fields; '-name' leaves a part out (e.g. select=meta,-fields).",
)
RECORD_TAGS = ["records"]
# Text with something in it besides whitespace (what Python's str.strip() removes).
NOT_BLANK = {"type": "string", "pattern": "[^\\s\\x1c-\\x1f]"}


LIST_CONTROLS = {*WINDOW_PARAMS, "sort", "select", "archived"}
SEARCH_INPUTS = {*LIST_CONTROLS, "filters", "any"}


def record_list(
    schema: ObjectSchema,
    params,
    *,
    conditions: list[Condition] = (),
    any_of: list[list[Condition]] = (),
) -> Response:
    window = parse_window(params)
    sort = parse_sort(params, allowed=schema.derived(sort_keys), default="-id")
    select = parse_select(params, defaults={"meta": False, "fields": True})
    archived = selectors.parse_archived(params)
    meta, fields = select["meta"], select["fields"]

    def build() -> selectors.RecordListing:
        queryset = selectors.record_listing(
            schema=schema, archived=archived, sort=sort, conditions=conditions, any_of=any_of
        )
        return payload_rows(queryset, meta=meta, fields=fields)

    key = listing_key(conditions, any_of, archived, tuple(sort), meta, fields)
    listing = LISTINGS.get(schema, key, build).fresh()
    return list_response(
        listing,
        window,
        serialize=lambda page: record_payloads(page, schema, meta=meta, fields=fields),
    )


def object_schema(request, object_name: str) -> ObjectSchema:
    """The object's schema from the process's cache, current as of the key's read: the key's
    organization carries the schema version (records.schema_cache)."""
    return cached_schema(org=request.auth.org, api_name=object_name)


def record_target(request, object_name: str, record_id: str):
    """The object's schema and one of its records (archived too); anything else is a 404."""
    schema = object_schema(request, object_name)
    return schema, selectors.record(obj=schema.obj, record_id=record_id)


def one_record(record, schema, params, *, status: int = 200, links=None) -> Response:
    """One record, with its version as a strong ETag (what If-Match takes back)."""
    select = parse_select(params, defaults={"meta": True, "fields": True})
    payload = record_payloads(
        [record], schema, meta=select["meta"], fields=select["fields"], links=links
    )[0]
    return Response(payload, status=status, headers={"ETag": etag(record.version)})


class RecordListView(ApiView):
    accepted_query_params = {"POST": ("select",)}

    @extend_schema(
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
            OpenApiParameter(
                "archived", str, enum=["false", "true", "all"], description="Default false."
            ),
        ],
        tags=RECORD_TAGS,
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
    def get(self, request, object_name: str):
        schema = object_schema(request, object_name)
        params = read_params(request)
        filters = {k: v for k, v in params.items() if k not in LIST_CONTROLS}
        return record_list(schema, params, conditions=query_conditions(schema, filters))

    @extend_schema(
        request=RecordWriteSerializer,
        responses={201: RecordSerializer, 409: CONFLICT, 422: INVALID},
        tags=RECORD_TAGS,
        operation_id="records_create",
        description="Creates a record: `name` and `fields` keyed by api_name.",
    )
    def post(self, request, object_name: str):
        schema = object_schema(request, object_name)
        name, fields = read_record_input(request.data)
        record = services.create_record(schema=schema, name=name, fields=fields)
        return one_record(record, schema, request.query_params, status=201)


class RecordSearchView(ApiView):
    required_scopes = {"POST": Scope.READ}

    @extend_schema(
        request=RecordSearchSerializer,
        responses=RecordSerializer(many=True),
        tags=RECORD_TAGS,
        operation_id="records_search",
        description=(
            "Filters in the body: `filters` are ANDed; each object in `any` is an AND-group and "
            "the groups are ORed. `value` is a list (a bare scalar is accepted)."
        ),
    )
    def post(self, request, object_name: str):
        schema = object_schema(request, object_name)
        body = request.data
        if not isinstance(body, dict):
            raise BadRequestError("The request body must be a JSON object.")
        unknown = sorted(set(body) - SEARCH_INPUTS)
        if unknown:
            raise UnknownInputError(unknown, sorted(SEARCH_INPUTS))
        filters = body.get("filters")
        groups = body.get("any")
        groups = [] if groups is None else groups
        if not isinstance(groups, list):
            raise InvalidParameterError("any", "expected a list of filter groups.")
        check_search_size(filters, groups)
        conditions = body_conditions(schema, {} if filters is None else filters, where="filters")
        any_of = [
            body_conditions(schema, group, where=f"any.{index}")
            for index, group in enumerate(groups)
        ]
        return record_list(schema, body, conditions=conditions, any_of=any_of)


class RecordUpsertView(ApiView):
    accepted_query_params = {"POST": ("select",)}
    envelope_extra_schema = {
        "created": {"type": "boolean", "description": "True when the upsert created the record."}
    }

    @extend_schema(
        request=RecordUpsertSerializer,
        responses={
            200: RecordSerializer,
            201: RecordSerializer,
            409: error_response("Several records match, or the match is archived."),
            422: INVALID,
        },
        tags=RECORD_TAGS,
        operation_id="records_upsert",
        description=(
            "Matches on email (contacts), name (other objects) or the unique field in "
            "`match_on`, then updates the record (200, `created: false`) or creates it (201, "
            "`created: true`). Concurrent upserts of one key create one record."
        ),
    )
    def post(self, request, object_name: str):
        schema = object_schema(request, object_name)
        name, fields = read_record_input(request.data, also=("match_on",))
        match_on = request.data.get("match_on") if hasattr(request.data, "get") else None
        if match_on is not None and not isinstance(match_on, str):
            raise InvalidParameterError("match_on", "expected a field's api_name.")
        record, created = services.upsert_record(
            schema=schema, name=name, fields=fields, match_on=match_on
        )
        response = one_record(record, schema, request.query_params, status=201 if created else 200)
        response.envelope_extra = {"created": created}
        return response


def lookup_keys(schema: ObjectSchema) -> set[str]:
    """name (or, where the name is derived, nothing) plus every unique field and its aliases."""
    keys = {
        name for field in schema.fields if field.unique for name in (field.api_name, *field.aliases)
    }
    if not policy_for(schema.obj).derives_name():
        keys.add("name")
    return keys


class RecordLookupView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("name", NOT_BLANK, description="Match on the name (not contacts)."),
            OpenApiParameter("email", NOT_BLANK, description="contacts: match on the email."),
        ],
        responses={
            200: RecordSerializer,
            409: error_response("Several records match."),
            422: error_response("The value cannot be one of the field's (an invalid email)."),
        },
        tags=RECORD_TAGS,
        operation_id="records_lookup",
        description=(
            "Exactly one record by name (contacts: by email), or by any unique field given as "
            "`?<field>=value`: 200 with it, 404 when none, 409 with the ids when several."
        ),
    )
    def get(self, request, object_name: str):
        schema = object_schema(request, object_name)
        params = read_params(request)
        keys = {k: v for k, v in params.items() if k != "select"}
        valid = schema.derived(lookup_keys)
        if len(keys) != 1 or next(iter(keys)) not in valid:
            raise BadRequestError(
                f"Look up by exactly one of: {', '.join(sorted(valid))}.",
                detail={"keys": sorted(keys) or ["none given"]},
            )
        ((label, value),) = keys.items()
        if not isinstance(value, str) or not value.strip():
            raise InvalidParameterError(label, "give one non-empty value.")
        name = value if label == "name" else None
        key = match_key(schema, match_on=label, name=name, values={label: value})
        found = matching_records(schema, key)
        if not found:
            raise NotFoundError(
                f"No {schema.obj.api_name} record has {key.label} = {shown(value)}."
            )
        if len(found) > 1:
            raise ConflictError(
                f"{len(found)} records have {key.label} = {shown(value)}.",
                detail={"candidates": [str(record.pk) for record in found]},
            )
        return one_record(found[0], schema, params)


class RecordFieldValuesView(ApiView):
    @extend_schema(
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter("archived", str, enum=["false", "true", "all"]),
        ],
        responses=FieldValueCountSerializer(many=True),
        tags=RECORD_TAGS,
        operation_id="records_field_values",
        description=(
            "Distinct values of a field with their counts, most frequent first, ties by value; "
            "records without a value are one `null` entry. Takes the list's filters. A "
            "multi_select counts each option; relationships show {id, object, name}."
        ),
    )
    def get(self, request, object_name: str, field_name: str):
        schema = object_schema(request, object_name)
        field = selectors.field_by_name(obj=schema.obj, name=field_name)
        if not field.kind.countable:
            raise BadRequestError(
                f"'{field.api_name}' is a json field: its values are not counted.",
                detail={"field": ["Not available for json fields."]},
            )
        params = read_params(request)
        filters = {k: v for k, v in params.items() if k not in LIST_CONTROLS}
        window = parse_window(params)
        archived = selectors.parse_archived(params)
        if "sort" in params or "select" in params:
            name = "sort" if "sort" in params else "select"
            raise InvalidParameterError(name, "field values are always most frequent first.")
        records = selectors.records(
            schema=schema, archived=archived, sort=[], query_filters=filters
        )
        state = selectors.ARCHIVED_STATES[archived]
        pairs, total = value_counts(records, field, window, unfiltered=not filters, archived=state)
        response = Response(value_payloads(pairs, field, schema))
        response.pagination = window.as_pagination(total)
        return response


# A record's id or a contact's email; never the name of a route beside the records
# (/api/records/{object}/search is the search, not a record called "search").
RECORD_ID = OpenApiParameter(
    "record_id",
    {"type": "string", "not": {"enum": ["batch", "lookup", "search", "upsert"]}},
    OpenApiParameter.PATH,
)


@extend_schema(parameters=[RECORD_ID])
class RecordDetailView(ApiView):
    accepted_params = {"GET": ("select",), "DELETE": ()}
    accepted_query_params = {"PATCH": ("select",), "PUT": ("select",)}
    extra_error_codes = {
        "405": "The id is the name of a route beside the records (batch, lookup, search, "
        "upsert), which does not answer this method."
    }

    @extend_schema(
        responses=RecordSerializer,
        parameters=[SELECT],
        tags=RECORD_TAGS,
        operation_id="records_retrieve",
        description=(
            "One record, archived or not, by id (contacts also by email); its version is the "
            "`ETag`."
        ),
    )
    def get(self, request, object_name: str, record_id: str):
        schema = object_schema(request, object_name)
        record, links = selectors.record_with_links(schema=schema, record_id=record_id)
        return one_record(record, schema, read_params(request), links=links)

    @extend_schema(
        request=RecordWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: RecordSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED, 422: INVALID},
        tags=RECORD_TAGS,
        operation_id="records_update",
        description="Sparse update: only the keys sent change; null clears a field.",
    )
    def patch(self, request, object_name: str, record_id: str):
        schema, record = record_target(request, object_name, record_id)
        name, fields = read_record_input(request.data)
        record = services.update_record(
            schema=schema,
            record=record,
            name=name,
            fields=fields,
            expected_versions=expected_versions(request),
        )
        return one_record(record, schema, request.query_params)

    @extend_schema(
        request=RecordWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: RecordSerializer, 409: CONFLICT, 412: PRECONDITION_FAILED, 422: INVALID},
        tags=RECORD_TAGS,
        operation_id="records_replace_sparse",
        description="The same sparse update as PATCH (only the keys sent change).",
    )
    def put(self, request, object_name: str, record_id: str):
        return self.patch(request, object_name, record_id)

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: DeletedRecordSerializer, 412: PRECONDITION_FAILED},
        tags=RECORD_TAGS,
        operation_id="records_delete",
        description="Deletes the record and clears links to it from other records.",
    )
    def delete(self, request, object_name: str, record_id: str):
        _, record = record_target(request, object_name, record_id)
        deleted_id = str(record.pk)
        services.delete_record(record=record, expected_versions=expected_versions(request))
        return Response({"id": deleted_id, "deleted": True})


class RecordArchiveView(ApiView):
    accepted_params = {"POST": ("select",)}

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: RecordSerializer, 412: PRECONDITION_FAILED},
        tags=RECORD_TAGS,
        operation_id="records_archive",
        description="Archives the record (idempotent): it leaves lists and searches.",
    )
    def post(self, request, object_name: str, record_id: str):
        schema, record = record_target(request, object_name, record_id)
        record = services.archive_record(
            record=record, expected_versions=expected_versions(request)
        )
        return one_record(record, schema, request.query_params)


class RecordUnarchiveView(ApiView):
    accepted_params = {"POST": ("select",)}

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: RecordSerializer, 412: PRECONDITION_FAILED},
        tags=RECORD_TAGS,
        operation_id="records_unarchive",
        description="Unarchives the record (idempotent).",
    )
    def post(self, request, object_name: str, record_id: str):
        schema, record = record_target(request, object_name, record_id)
        record = services.unarchive_record(
            record=record, expected_versions=expected_versions(request)
        )
        return one_record(record, schema, request.query_params)
