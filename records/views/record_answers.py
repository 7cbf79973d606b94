"""How the records API answers: one record with its ETag, a page of records, a batch's
results, and the object's schema that every answer is read with."""

from collections.abc import Mapping
from typing import Any

from rest_framework.response import Response

from api.exception_handler import error_payload, status_for_domain_error
from api.pagination import list_response
from api.preconditions import etag
from api.query import parse_select, parse_sort, parse_window
from records import selectors
from records.filters import Condition
from records.listing_cache import LISTINGS, listing_key
from records.object_schema import ObjectSchema
from records.ordering import sort_keys
from records.representation import payload_rows, record_payloads


def record_list(
    schema: ObjectSchema,
    params: Mapping[str, Any],
    *,
    conditions: list[Condition] = (),
    any_of: list[list[Condition]] = (),
) -> Response:
    """A page of the object's records: the window, sort, select and archived state read from
    `params` (a list's query, a search's body), the filters already parsed."""
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


def one_record(record, schema, params, *, status: int = 200, links=None) -> Response:
    """One record, with its version as a strong ETag (what If-Match takes back)."""
    select = parse_select(params, defaults={"meta": True, "fields": True})
    payload = record_payloads(
        [record], schema, meta=select["meta"], fields=select["fields"], links=links
    )[0]
    return Response(payload, status=status, headers={"ETag": etag(record.version)})


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
