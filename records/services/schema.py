"""Writes of the schema: objects and their fields.

Changes that would break stored data are refused with a ConflictError that says how many
records stand in the way. Every change bumps the organization's schema version first, in its
own transaction: cached schemas (records.schema_cache) key on it, and the row lock it takes
makes one organization's schema changes run one after another.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization
from accounts.services import bump_schema_version
from api.exceptions import ConflictError, InvalidInputError, LimitExceededError, shown
from api.tenancy import for_org
from records.field_types import FIELD_TYPES, FieldOptionsError
from records.models import Field, Object, Record, UniqueValue
from records.object_schema import ObjectSchema
from records.services.unique_values import unique_token
from records.signals import DELETED, RecordChange, send_changes, updated

API_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_FIELD_NAMES = {"id", "name", "created_at", "updated_at", "archived", "archived_at"}
# What a field definition holds, in the order forms show it.
FIELD_PROPERTIES = ("api_name", "label", "type", "required", "unique", "description", "options")


def check_api_name(value: Any, *, where: str) -> str:
    if not isinstance(value, str) or not API_NAME.fullmatch(value):
        raise InvalidInputError(
            f"'{where}' must match ^[a-z][a-z0-9_]{{0,62}}$ (lower case, digits, underscores).",
            detail={where: ["Expected lower case letters, digits and underscores, 1-63 long."]},
        )
    return value


def clean_field_definition(definition: dict[str, Any], *, where: str) -> dict[str, Any]:
    """Checks one field definition (as sent) and returns what to store."""
    api_name = check_api_name(definition.get("api_name"), where=f"{where}api_name")
    if "__" in api_name:
        raise InvalidInputError(
            f"A field's api_name cannot contain '__' ({api_name}): filters use it before "
            "their operator.",
            detail={f"{where}api_name": ["No double underscore."]},
        )
    if api_name in RESERVED_FIELD_NAMES:
        raise InvalidInputError(
            f"'{api_name}' is a built-in part of every record; choose another api_name.",
            detail={f"{where}api_name": ["Reserved name."]},
        )
    type_name = definition.get("type")
    if type_name not in FIELD_TYPES:
        raise InvalidInputError(
            f"Unknown field type '{shown(type_name)}'; valid types: {', '.join(FIELD_TYPES)}.",
            detail={f"{where}type": [f"Expected one of: {', '.join(FIELD_TYPES)}."]},
        )
    try:
        options = FIELD_TYPES[type_name].clean_options(definition.get("options") or {})
    except FieldOptionsError as exc:
        raise InvalidInputError(str(exc), detail={f"{where}options": [str(exc)]}) from None
    return {
        "api_name": api_name,
        "label": definition.get("label") or api_name.replace("_", " ").capitalize(),
        "type": type_name,
        "required": bool(definition.get("required", False)),
        "unique": bool(definition.get("unique", False)),
        "description": definition.get("description") or "",
        "options": options,
    }


def _check_relationship_targets(
    *, org: Organization, fields: Iterable[dict[str, Any]], own_api_name: str, where: str
) -> None:
    targets = {f["options"]["target"] for f in fields if FIELD_TYPES[f["type"]].links_records}
    if not targets:
        return
    known = set(
        for_org(Object, org_id=org.id)
        .filter(api_name__in=targets)
        .values_list("api_name", flat=True)
    ) | {own_api_name}
    missing = sorted(targets - known)
    if missing:
        raise InvalidInputError(
            f"Relationship target object '{missing[0]}' does not exist.",
            detail={f"{where}options": [f"Unknown target object: {', '.join(missing)}."]},
        )


@transaction.atomic
def create_object(
    *,
    org: Organization,
    api_name: str,
    singular_name: str = "",
    plural_name: str = "",
    description: str = "",
    fields: list[dict[str, Any]] | None = None,
    is_system: bool = False,
) -> Object:
    """An object and its fields; a system object's fields are system fields (fixed)."""
    bump_schema_version(org_id=org.pk)  # locks the org's schema: the count below holds
    check_api_name(api_name, where="api_name")
    if not is_system:
        _check_object_count(org)
    if isinstance(fields, list):
        _check_field_count(len(fields), where="fields")
    cleaned = [
        clean_field_definition(definition, where=f"fields.{index}.")
        for index, definition in enumerate(fields or [])
    ]
    names = [field["api_name"] for field in cleaned]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInputError(
            f"Field api_name '{duplicates[0]}' is given twice.",
            detail={"fields": [f"Duplicate api_name: {', '.join(duplicates)}."]},
        )
    _check_relationship_targets(org=org, fields=cleaned, own_api_name=api_name, where="fields.")
    readable = api_name.replace("_", " ").capitalize()
    try:
        with transaction.atomic():
            obj = Object.objects.create(
                org=org,
                api_name=api_name,
                singular_name=singular_name or readable,
                plural_name=plural_name or readable,
                description=description,
                is_system=is_system,
            )
    except IntegrityError:
        raise ConflictError(
            f"An object with api_name '{api_name}' already exists.",
            detail={"api_name": ["Already taken."]},
        ) from None
    Field.objects.bulk_create(
        [
            _new_field(obj=obj, position=position, is_system=is_system, **definition)
            for position, definition in enumerate(cleaned)
        ]
    )
    return obj


def _check_object_count(org: Organization) -> None:
    LimitExceededError.check(
        for_org(Object, org_id=org.id).count() + 1,  # with the one being made
        setting="API_MAX_OBJECTS_PER_ORG",
        message="The organization already has as many objects as it may have",
        where="api_name",
    )


def _check_field_count(count: int, *, where: str) -> None:
    LimitExceededError.check(
        count,
        setting="API_MAX_FIELDS_PER_OBJECT",
        message=f"The object would have {count:,} fields, more than an object may have",
        where=where,
    )


def _new_field(*, obj: Object, position: int, **definition: Any) -> Field:
    field = Field(org_id=obj.org_id, object=obj, position=position, **definition)
    field.key = field.id.hex
    return field


@transaction.atomic
def update_object(*, obj: Object, changes: dict[str, Any]) -> Object:
    bump_schema_version(org_id=obj.org_id)
    for name in ("singular_name", "plural_name", "description"):
        if name in changes:
            setattr(obj, name, changes[name])
    obj.save()
    return obj


# Records read at a time when a forced delete writes their record.deleted events.
DELETED_EVENTS_CHUNK = 2000


@transaction.atomic
def delete_object(*, obj: Object, force: bool = False) -> None:
    """Deletes the object. One that has records is a 409 saying how many, unless `force`:
    then the records go with it, each with its record.deleted event, all in this one
    transaction."""
    bump_schema_version(org_id=obj.org_id)
    if obj.is_system:
        raise ConflictError(f"'{obj.api_name}' is a system object and cannot be deleted.")
    referencing = (
        for_org(Field, org_id=obj.org_id)
        .filter(type="relationship", options__target=obj.api_name)
        .exclude(object=obj)
        .select_related("object")
        .first()
    )
    if referencing is not None:
        raise ConflictError(
            f"The field '{referencing}' links to '{obj.api_name}'; delete or change it first."
        )
    records = for_org(Record, org_id=obj.org_id).filter(object=obj)
    count = records.count()
    if count and not force:
        raise ConflictError(
            f"'{obj.api_name}' has {count:,} record{'s' if count != 1 else ''}. Delete them "
            "first, or send force=true to delete the object with them (each record gets its "
            "record.deleted event).",
            detail={"records": count},
        )
    if count:
        schema = ObjectSchema.of(obj)
        chunk: list[RecordChange] = []
        for record in records.order_by("pk").iterator(chunk_size=DELETED_EVENTS_CHUNK):
            chunk.append(RecordChange(type=DELETED, record=record, schema=schema))
            if len(chunk) == DELETED_EVENTS_CHUNK:
                send_changes(chunk)
                chunk = []
        send_changes(chunk)
    records.delete()
    obj.delete()


@transaction.atomic
def create_field(*, obj: Object, definition: dict[str, Any]) -> Field:
    bump_schema_version(org_id=obj.org_id)  # locks the org's schema: the count below holds
    _check_field_count(
        for_org(Field, org_id=obj.org_id).filter(object=obj).count() + 1, where="api_name"
    )
    cleaned = clean_field_definition(definition, where="")
    _check_relationship_targets(org=obj.org, fields=[cleaned], own_api_name=obj.api_name, where="")
    taken = for_org(Field, org_id=obj.org_id).filter(object=obj)
    if any(cleaned["api_name"] == f.api_name or cleaned["api_name"] in f.aliases for f in taken):
        raise ConflictError(
            f"The object already has a field called '{cleaned['api_name']}'.",
            detail={"api_name": ["Already taken."]},
        )
    if cleaned["required"]:
        _refuse_when_records_lack(obj=obj, key=None, api_name=cleaned["api_name"])
    position = (taken.aggregate(top=Max("position"))["top"] or 0) + 1
    field = _new_field(obj=obj, position=position, **cleaned)
    field.save(force_insert=True)
    return field


def _refuse_when_records_lack(*, obj: Object, key: str | None, api_name: str) -> None:
    # A cleared value is removed from Record.values, so "lacks" is "has no such key".
    records = for_org(Record, org_id=obj.org_id).filter(object=obj)
    if key is not None:
        records = records.exclude(values__has_key=key)
    count = records.count()
    if count:
        raise ConflictError(
            f"{count} record(s) have no value for '{api_name}'; fill them in before making it "
            "required.",
            detail={"blocking_records": count},
        )


def _records_with_value(field: Field):
    return for_org(Record, org_id=field.org_id).filter(
        object_id=field.object_id, values__has_key=field.key
    )


@transaction.atomic
def update_field(*, field: Field, changes: dict[str, Any]) -> Field:
    """Renaming keeps the old api_name as an alias. Type changes with values present,
    removing a choice in use, and requiring a value some records lack are refused (409)."""
    bump_schema_version(org_id=field.org_id)
    unknown = set(changes).difference(FIELD_PROPERTIES)
    if unknown:
        raise InvalidInputError(
            f"Unknown field property: {', '.join(sorted(unknown))}.",
            detail={name: ["Unknown property."] for name in sorted(unknown)},
        )
    fixed = {
        name
        for name in ("type", "api_name", "unique", "required", "options")
        if name in changes and changes[name] != getattr(field, name)
    }
    if field.is_system and fixed:
        raise ConflictError(
            f"'{field.api_name}' is a system field: only its label and description can change.",
            detail={name: ["Fixed for system fields."] for name in sorted(fixed)},
        )
    merged = {
        "api_name": field.api_name,
        "label": field.label,
        "type": field.type,
        "required": field.required,
        "unique": field.unique,
        "description": field.description,
        "options": field.options,
        **changes,
    }
    if "options" not in changes and merged["type"] != field.type:
        merged["options"] = {}
    cleaned = clean_field_definition(merged, where="")
    if cleaned["type"] != field.type:
        count = _records_with_value(field).count()
        if count:
            raise ConflictError(
                f"{count} record(s) have a value for '{field.api_name}'; its type cannot change "
                "while values are stored.",
                detail={"blocking_records": count},
            )
    kind = FIELD_TYPES[cleaned["type"]]
    if kind.has_choices and field.type == cleaned["type"]:
        _refuse_removing_choices_in_use(field, cleaned["options"]["choices"])
    if kind.links_records and field.type == cleaned["type"] and cleaned["options"] != field.options:
        count = _records_with_value(field).count()
        if count:
            raise ConflictError(
                f"{count} record(s) link through '{field.api_name}'; its target and `many` "
                "cannot change while links are stored.",
                detail={"blocking_records": count},
            )
    if kind.links_records:
        _check_relationship_targets(
            org=field.object.org, fields=[cleaned], own_api_name=field.object.api_name, where=""
        )
    if cleaned["required"] and not field.required:
        _refuse_when_records_lack(obj=field.object, key=field.key, api_name=field.api_name)
    if cleaned["api_name"] != field.api_name:
        siblings = for_org(Field, org_id=field.org_id).filter(object_id=field.object_id)
        if any(
            cleaned["api_name"] in (other.api_name, *other.aliases)
            for other in siblings
            if other.pk != field.pk
        ):
            raise ConflictError(
                f"The object already has a field called '{cleaned['api_name']}'.",
                detail={"api_name": ["Already taken."]},
            )
        aliases = [alias for alias in field.aliases if alias != cleaned["api_name"]]
        field.aliases = [*aliases, field.api_name]
    uniqueness_changed = cleaned["unique"] != field.unique
    for name, value in cleaned.items():
        setattr(field, name, value)
    field.save()
    if uniqueness_changed:
        _sync_unique_values(field)
    # The value index needs nothing: a type changes only while no record has a value.
    return field


def _sync_unique_values(field: Field) -> None:
    """Making a field unique claims every stored value (409 when some are shared); making it
    not unique releases them."""
    claimed = for_org(UniqueValue, org_id=field.org_id).filter(field=field)
    claimed.delete()
    if not field.unique:
        return
    holders: dict[str, list[str]] = {}
    for record_id, values in _records_with_value(field).values_list("id", "values").iterator():
        holders.setdefault(unique_token(field, values[field.key]), []).append(record_id)
    shared = sum(len(ids) for ids in holders.values() if len(ids) > 1)
    if shared:
        raise ConflictError(
            f"{shared} record(s) share values of '{field.api_name}'; make them distinct before "
            "making it unique.",
            detail={"blocking_records": shared},
        )
    UniqueValue.objects.bulk_create(
        [
            UniqueValue(org_id=field.org_id, field=field, value=token, record_id=ids[0])
            for token, ids in holders.items()
        ],
        batch_size=1000,
    )


def _refuse_removing_choices_in_use(field: Field, choices: list[str]) -> None:
    removed = set(field.options.get("choices", [])) - set(choices)
    if not removed:
        return
    records = _records_with_value(field)
    if not field.kind.list_valued(field.options):
        count = records.filter(**{f"values__{field.key}__in": sorted(removed)}).count()
    else:
        count = sum(
            1
            for values in records.values_list("values", flat=True).iterator()
            if removed & set(values.get(field.key) or [])
        )
    if count:
        raise ConflictError(
            f"{count} record(s) use the choice(s) {', '.join(sorted(removed))}; change them "
            "before removing the choice.",
            detail={"blocking_records": count},
        )


@transaction.atomic
def delete_field(*, field: Field) -> None:
    """Deletes the definition and clears the field from every record of its object."""
    bump_schema_version(org_id=field.org_id)
    if field.is_system:
        raise ConflictError(f"'{field.api_name}' is a system field and cannot be deleted.")
    schema = ObjectSchema.of(field.object)  # with the field, so the events say it went
    records = list(_records_with_value(field))
    now = timezone.now()
    changes = []
    for record in records:
        before = dict(record.values)
        record.values.pop(field.key, None)
        record.version += 1
        record.updated_at = now
        changes.append(updated(record, name=record.name, values=before, schema=schema))
    Record.objects.bulk_update(records, ["values", "version", "updated_at"], batch_size=500)
    send_changes(changes)
    # The value index lost the field's rows with the update above (its triggers).
    field.delete()
