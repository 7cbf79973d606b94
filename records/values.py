"""Field values between the API and storage: resolving field names (aliases included),
validating and normalizing by type, checking relationship targets in one query per write, and
reading relationships back as {id, object, name} without one query per value."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from api.exceptions import NAMES_SHOWN, InvalidInputError, MissingInputError, shown, some_of
from api.tenancy import for_org
from records.field_types import FieldValueError
from records.field_types.relationship import RecordAddress
from records.links import links_to
from records.models import Field, Object, Record
from records.object_schema import ObjectSchema
from records.registry import policy_for

MAX_NAME = 1000
# Ids per `IN (…)` query: far below SQLite's limit on variables in one statement, and more
# than any single write can send (a batch of 1,000 writes with many links can).
IDS_PER_QUERY = 10_000


def chunked(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


def clean_name(value: Any) -> str:
    if not isinstance(value, str) or isinstance(value, bool):
        raise InvalidInputError("'name' must be a string.", detail={"name": ["Expected a string."]})
    name = value.strip()
    if len(name) > MAX_NAME:
        raise InvalidInputError(
            f"'name' is longer than {MAX_NAME} characters.",
            detail={"name": [f"Expected at most {MAX_NAME} characters."]},
        )
    return name


def clean_values(
    schema: ObjectSchema, sent: Any, *, creating: bool, where: str = ""
) -> dict[str, Any]:
    """`sent` (field id -> value, as sent) as storage key -> normalized value; None clears.

    Missing required fields on create are a 400 (MissingInputError); anything else wrong is one
    422 listing every bad field as `fields.<id>`. Nothing is checked against the database here
    except by `check_relationship_targets`, which callers run after this."""
    if sent is None:
        sent = {}
    if not isinstance(sent, dict):
        raise InvalidInputError(
            "'fields' must be an object keyed by field id.",
            detail={f"{where}fields": ["Expected an object."]},
        )
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    seen: dict[str, str] = {}
    unknown = 0
    for name, value in sent.items():
        field = schema.field(str(name))
        label = f"{where}fields.{name}"
        if field is None:
            unknown += 1
            if unknown <= NAMES_SHOWN:  # a long list of unknown keys is named in part
                valid = some_of((f.api_name for f in schema.fields), 50) or "none"
                errors[shown(label)] = [f"Unknown field. Valid fields: {valid}."]
            continue
        if field.key in seen:
            errors[label] = [f"Given twice: as '{seen[field.key]}' and as '{shown(name)}'."]
            continue
        seen[field.key] = str(name)
        if not field.kind.keeps_empty and (value == "" or value == []):
            value = None  # an empty string or list is no value: it clears, like null
        if value is None:
            if creating:
                continue  # a required field left empty is reported as missing below
            if field.required:
                errors[label] = ["This field is required and cannot be cleared."]
            else:
                cleaned[field.key] = None
            continue
        try:
            cleaned[field.key] = field.kind.normalize(value, field.options)
        except FieldValueError as exc:
            errors[label] = [str(exc)]
    if unknown > NAMES_SHOWN:
        errors[f"{where}fields"] = [f"… and {unknown - NAMES_SHOWN} more unknown fields."]
    if creating:
        missing = [
            f"{where}fields.{field.api_name}"
            for field in schema.fields
            if field.required
            and field.key not in cleaned
            and f"{where}fields.{field.api_name}" not in errors
        ]
        if missing:  # the first thing to fix; the other problems ride along in errorDetail
            exc = MissingInputError(missing)
            exc.detail = errors or None
            raise exc
    if errors:
        raise invalid_fields(errors)
    return cleaned


def invalid_fields(errors: dict[str, list[str]]) -> InvalidInputError:
    if len(errors) == 1:
        label, problems = next(iter(errors.items()))
        return InvalidInputError(f"Invalid value for '{label}': {problems[0]}", detail=errors)
    names = some_of(f"'{label}'" for label in errors)
    return InvalidInputError(f"Invalid values for {names}; see errorDetail.", detail=errors)


def check_relationship_targets(
    *, org_id: UUID, schema: ObjectSchema, values: dict[str, Any]
) -> None:
    """Every linked id in `values` (cleaned) must be a record of the target object in this
    organization; one 422 lists every bad link."""
    problems = missing_relationship_targets(org_id=org_id, schema=schema, writes=[(0, values)])
    if problems:
        raise invalid_fields(problems[0])


def missing_relationship_targets(
    *,
    org_id: UUID,
    schema: ObjectSchema,
    writes: Iterable[tuple[Any, dict[str, Any]]],
    gone: frozenset[str] = frozenset(),
) -> dict[Any, dict[str, list[str]]]:
    """{write tag: {"fields.<id>": [problem]}} for every write that links to an id that is not
    a record of the field's target object (or is in `gone`, being deleted). One query per
    target object for all the writes together."""
    writes = list(writes)
    resolve_addresses(org_id=org_id, schema=schema, writes=writes)
    by_key = schema.by_key()
    wanted: dict[str, set[str]] = defaultdict(set)
    uses: list[tuple[Any, Field, list[str]]] = []
    for tag, values in writes:
        for key, value in values.items():
            field = by_key.get(key)
            if field is None or not field.kind.links_records or value is None:
                continue
            ids = value if isinstance(value, list) else [value]
            # An address still here is one no record has: missing, not looked up as an id.
            wanted[field.options["target"]].update(
                i for i in ids if not isinstance(i, RecordAddress)
            )
            uses.append((tag, field, ids))
    found: dict[str, set[str]] = {}
    for target, ids in wanted.items():
        found[target] = set()
        for chunk in chunked(sorted(ids)):
            rows = for_org(Record, org_id=org_id).filter(object__api_name=target, id__in=chunk)
            found[target].update(str(pk) for pk in rows.values_list("id", flat=True))
        found[target] -= gone
    problems: dict[Any, dict[str, list[str]]] = defaultdict(dict)
    for tag, field, ids in uses:
        missing = [i for i in ids if i not in found[field.options["target"]]]
        if missing:
            named = "email" if isinstance(missing[0], RecordAddress) else "id"
            problems[tag][f"fields.{field.api_name}"] = [
                f"No {field.options['target']} record with {named} {shown(missing[0])}."
            ]
    return dict(problems)


def resolve_addresses(
    *, org_id: UUID, schema: ObjectSchema, writes: list[tuple[Any, dict[str, Any]]]
) -> None:
    """Links written as an address (a contact's email) replaced, in the writes' values, by
    the id of the record that has it: one query per target object. An address no record has
    is left as it is, for the targets check to refuse."""
    linking = [field for field in schema.fields if field.kind.links_records]
    links = [
        (values, field, addresses)
        for _, values in writes
        for field in linking
        if (addresses := _addresses(values.get(field.key)))
    ]
    by_target: dict[str, set[str]] = defaultdict(set)
    for _, field, addresses in links:
        by_target[field.options["target"]].update(addresses)
    resolved = {
        target: addressed_ids(org_id=org_id, target=target, addresses=addresses)
        for target, addresses in by_target.items()
    }
    for values, field, _ in links:
        ids = resolved[field.options["target"]]
        value = values[field.key]
        if isinstance(value, list):
            values[field.key] = list(dict.fromkeys(ids.get(item, item) for item in value))
        else:
            values[field.key] = ids.get(value, value)


def addressed_ids(*, org_id: UUID, target: str, addresses: Iterable[str]) -> dict[str, str]:
    """{address: record id} for the addresses that a record of the `target` object has."""
    obj = for_org(Object, org_id=org_id).filter(api_name=target).first()
    found = {} if obj is None else policy_for(obj).find_many(obj=obj, identifiers=addresses)
    return {address: str(record.pk) for address, record in found.items()}


# An id no record has: what a filter on an address that no record has compares with.
NO_RECORD = "00000000-0000-0000-0000-000000000000"


def link_operands(field: Field, operands: list[Any]) -> list[Any]:
    """A relationship filter's operands with addresses replaced by the ids of the records
    that have them (an address no record has matches nothing, and `not` everything)."""
    addresses = _addresses(operands)
    if not addresses:
        return operands
    ids = addressed_ids(org_id=field.org_id, target=field.options["target"], addresses=addresses)
    return [
        ids.get(item, NO_RECORD) if isinstance(item, RecordAddress) else item for item in operands
    ]


def _addresses(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, RecordAddress)]


def linked_records(
    values: Iterable[dict[str, Any]], schema: ObjectSchema
) -> dict[str, dict[str, str]]:
    """{id: {id, object, name}} for every record the given values (records' stored values)
    link to: one query."""
    ids: set[str] = set()
    keys = [field.key for field in schema.fields if field.kind.links_records]
    if keys:
        for stored in values:
            for key in keys:
                value = stored.get(key)
                if value:
                    ids.update(value if isinstance(value, list) else [value])
    return links_to(ids, org_id=schema.obj.org_id)


def represent_values(
    values: dict[str, Any], schema: ObjectSchema, links: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """A record's stored values keyed by field api_name, in field order; relationships as {id,
    object, name}. A link whose target is gone is left out."""
    result: dict[str, Any] = {}
    for key, api_name, links_to_records in schema.derived(_shown_fields):
        if key not in values:
            continue
        value = values[key]
        if links_to_records:
            if isinstance(value, list):
                value = [links[i] for i in value if i in links]
            else:
                value = links.get(value)
                if value is None:
                    continue
        result[api_name] = value
    return result


def _shown_fields(schema: ObjectSchema) -> tuple[tuple[str, str, bool], ...]:
    """(key, api_name, is a relationship) per field: what showing a record's values needs,
    read off the fields once per schema rather than once per record."""
    return tuple((f.key, f.api_name, f.kind.links_records) for f in schema.fields)
