"""Records as the API shows them."""

from collections.abc import Sequence
from typing import Any

from django.db.models import ExpressionWrapper, F, Model, TextField

from api import json_text
from records.object_schema import ObjectSchema
from records.values import linked_records, represent_values


def record_payloads(
    records: Sequence[Any],
    schema: ObjectSchema,
    *,
    meta: bool,
    fields: bool,
    links: dict[str, dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Payloads for a page of records (Record instances, or the rows of `payload_rows`): one
    query for all their links, none per record; none at all when `links` were read with them.

    A Record instance keeps its payload for the state it shows (its version): a write's
    events and its answer show the same records, and build them once. The payloads are
    shared, not copied: nothing changes one once built."""
    shape = (meta, fields)
    own_links = links is None  # links read elsewhere may be another state's: nothing kept
    if own_links:
        kept = [_kept(record, shape) for record in records]
        if None not in kept:
            return kept
    if not fields:
        payloads = [_payload(record, schema, None, meta=meta) for record in records]
    else:
        values = [stored_values(record) for record in records]
        if own_links:
            links = linked_records(values, schema)
        payloads = [
            _payload(record, schema, represent_values(stored, schema, links), meta=meta)
            for record, stored in zip(records, values, strict=True)
        ]
    if own_links:
        for record, payload in zip(records, payloads, strict=True):
            if isinstance(record, Model):
                record._kept_payload = (shape, record.version, payload)
    return payloads


def _kept(record: Any, shape: tuple[bool, bool]) -> dict[str, Any] | None:
    """The payload `record` keeps for `shape` and its version, if any (rows keep none)."""
    kept = getattr(record, "_kept_payload", None) if isinstance(record, Model) else None
    if kept is None or kept[0] != shape or kept[1] != record.version:
        return None
    return kept[2]


def stored_values(record: Any) -> dict[str, Any]:
    """A Record's values, or a row's `values_json` decoded."""
    text = getattr(record, "values_json", None)
    return record.values if text is None else json_text.loads(text)


def payload_rows(records: Any, *, meta: bool, fields: bool) -> Any:
    """The records as plain rows of only the columns their payloads show: a page of model
    instances would pay, per row, a model's construction and the conversion of columns no
    payload uses (the organization and object ids, and the times without `meta`). The values
    come as their JSON text, which json_text decodes faster than the JSON field would."""
    columns = ["id", "name", "archived_at"]
    if fields:
        records = records.annotate(
            values_json=ExpressionWrapper(F("values"), output_field=TextField())
        )
        columns.append("values_json")
    if meta:
        columns += ["created_at", "updated_at", "version"]
    return records.values_list(*columns, named=True)


def _payload(record, schema, shown: dict[str, Any] | None, *, meta: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(record.id),
        "object": schema.obj.api_name,
        "name": record.name,
    }
    if shown is not None:
        payload["fields"] = shown
    payload["archived"] = record.archived_at is not None
    if meta:
        payload["meta"] = {
            "created_at": time_text(record.created_at),
            "updated_at": time_text(record.updated_at),
            "archived_at": time_text(record.archived_at),
            "version": record.version,
        }
    return payload


def time_text(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
