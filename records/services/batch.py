"""Batch: up to 1,000 operations on one object's records in one transaction, with a fixed
number of statements however many operations there are.

Every operation is first checked in memory and against a handful of bulk reads (the records
named by id, the upsert matches, the relationship targets, the unique values in use); then
the writes go out as bulk statements. One record takes one operation per batch, so the order
of operations inside a batch never changes the result.

Should a bulk write still hit a unique constraint (a concurrent writer took a value after the
checks), the batch is replayed one operation at a time through the single-record services,
which report each conflict where it belongs.
"""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.bulk_insert import insert_new
from api.exceptions import ConflictError, DomainError, InvalidInputError, NotFoundError
from api.tenancy import for_org
from records.batch_operations import Operation
from records.matching import MatchKey, lock_keys, match_key, matching_ids
from records.models import Field, Record, UniqueValue
from records.object_schema import ObjectSchema
from records.registry import policy_for
from records.services.batch_outcomes import BatchInvalidError, Outcome, replay_one_by_one
from records.services.records import UNSET, apply_update, ensure_not_archived, record_name
from records.services.references import rewrite_references
from records.services.unique_values import (
    duplicate_value_error,
    rewrite_unique_values,
    unique_token,
)
from records.services.upsert import (
    ambiguous_match_error,
    archived_match_error,
)
from records.signals import (
    ARCHIVED,
    CREATED,
    DELETED,
    UNARCHIVED,
    RecordChange,
    send_changes,
    updated,
)
from records.values import clean_values, invalid_fields, missing_relationship_targets

SAVED_COLUMNS = ["name", "values", "archived_at", "version", "updated_at"]
TYPES = {"create": CREATED, "archive": ARCHIVED, "unarchive": UNARCHIVED, "delete": DELETED}


@transaction.atomic
def run_batch(
    *, schema: ObjectSchema, operations: list[Operation | DomainError], atomic: bool = True
) -> list[Outcome]:
    """One Outcome per operation, in order. Atomic: any failure raises BatchInvalidError and
    nothing is written. Not atomic: the valid operations are written, the others reported."""
    batch = _Batch(schema, operations)
    batch.plan()
    if atomic and batch.failures():
        raise BatchInvalidError(batch.failures())
    try:
        with transaction.atomic():
            batch.write()
    except (IntegrityError, ConflictError):  # another writer got in between: see the top
        return replay_one_by_one(schema, operations, batch.final_errors(), atomic=atomic)
    return batch.outcomes


@dataclass
class _Step:
    """The plan for one valid operation. `kind` is what it does to the table: an upsert
    becomes a create or an update once matched."""

    operation: Operation
    kind: str
    record: Record | None = None
    values: dict[str, Any] = field(default_factory=dict)  # cleaned values sent
    changed: dict[str, Any] | None = None  # fields an update changes; None: row unchanged
    key: MatchKey | None = None
    matched_id: UUID | None = None
    original: tuple[str, dict[str, Any]] = ("", {})  # name and values as loaded
    name: str = ""  # a create's name

    @property
    def index(self) -> int:
        return self.operation.index


class _Batch:
    def __init__(self, schema: ObjectSchema, operations: list[Operation | DomainError]) -> None:
        self.schema = schema
        self.obj = schema.obj
        self.org_id = schema.obj.org_id
        self.outcomes = [Outcome(index=index) for index in range(len(operations))]
        self.steps: dict[int, _Step] = {}
        self.final: set[int] = set()
        for index, operation in enumerate(operations):
            if isinstance(operation, DomainError):
                self._fail(index, operation)
            else:
                self.steps[index] = _Step(operation=operation, kind=operation.op)

    # -- bookkeeping ------------------------------------------------------------------------

    def _fail(self, index: int, error: DomainError, *, final: bool = True) -> None:
        """Operation `index` fails. A final error stands in a one-by-one replay too; only a
        unique value's conflict is looked at again there, since another writer caused it."""
        self.outcomes[index].error = error
        self.steps.pop(index, None)
        if final:
            self.final.add(index)

    def _live(self, *kinds: str) -> list[_Step]:
        return [step for step in list(self.steps.values()) if step.kind in kinds]

    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.error is not None]

    def final_errors(self) -> dict[int, DomainError]:
        return {index: self.outcomes[index].error for index in self.final}

    # -- planning: checks and bulk reads, no writes -----------------------------------------

    def plan(self) -> None:
        self._match_upserts()
        self._load_records()
        self._clean_values()
        self._check_links()
        self._apply_in_memory()
        self._check_unique_values()

    def _match_upserts(self) -> None:
        for step in self._live("upsert"):
            op = step.operation
            try:
                step.key = match_key(
                    self.schema,
                    match_on=op.match_on,
                    name=None if op.name is UNSET else op.name,
                    values=op.fields or {},
                )
            except DomainError as exc:
                self._fail(step.index, exc)
        # One operation per key: an upsert of a key an earlier operation writes is refused,
        # since applying both at once could not mean what applying them in turn means.
        first_by_key: dict[tuple, int] = {}
        created_names: dict[str, int] = {}
        for step in self._live("create", "upsert"):
            if step.kind == "create":
                if isinstance(step.operation.name, str):
                    created_names.setdefault(step.operation.name, step.index)
                continue
            identity = step.key.identity()
            earlier = first_by_key.get(identity)
            if earlier is None and step.key.field is None:
                earlier = created_names.get(step.key.value)
            if earlier is not None:
                self._fail(step.index, _written_twice(earlier, step.key.label))
            else:
                first_by_key[identity] = step.index
        upserts = self._live("upsert")
        lock_keys(self.schema, [step.key for step in upserts])
        matches = matching_ids(self.schema, [step.key for step in upserts])
        for step in upserts:
            ids = matches.get(step.key.identity(), [])
            if len(ids) > 1:
                self._fail(step.index, ambiguous_match_error(step.key, ids))
            elif ids:
                step.kind, step.matched_id = "update", ids[0]
            else:
                step.kind = "create"

    def _load_records(self) -> None:
        """The records operations name by id (or email) or matched, locked: one query."""
        named = [step for step in self.steps.values() if step.operation.id is not None]
        by_id: dict[int, UUID] = {}
        addresses: dict[int, str] = {}
        for step in named:
            try:
                by_id[step.index] = UUID(step.operation.id)
            except ValueError:
                addresses[step.index] = step.operation.id
        addressed = (
            policy_for(self.obj).find_many(obj=self.obj, identifiers=set(addresses.values()))
            if addresses
            else {}
        )
        for index, address in addresses.items():
            if address in addressed:
                by_id[index] = addressed[address].pk
        for step in self.steps.values():
            if step.matched_id is not None:
                by_id[step.index] = step.matched_id
        wanted = set(by_id.values())
        rows = (
            for_org(Record, org_id=self.org_id)
            .filter(object=self.obj, pk__in=wanted)
            .order_by("pk")
            .select_for_update()
            if wanted
            else []
        )
        loaded = {row.pk: row for row in rows}
        owner: dict[UUID, int] = {}
        for step in list(self.steps.values()):
            if step.operation.id is None and step.matched_id is None:
                continue
            record = loaded.get(by_id.get(step.index))
            if record is None:
                # A matched record deleted since the match, or an id that is not there.
                self._fail(step.index, self._not_found(step))
            elif record.pk in owner:
                self._fail(step.index, _changed_twice(owner[record.pk], record.pk))
            elif step.operation.op == "upsert" and record.archived_at is not None:
                self._fail(step.index, archived_match_error(record))
            else:
                owner[record.pk] = step.index
                step.record = record
                step.original = (record.name, dict(record.values))

    def _not_found(self, step: _Step) -> DomainError:
        if step.operation.id is None:
            return ConflictError("The matching record changed meanwhile; retry the operation.")
        return NotFoundError(
            f"No {self.obj.api_name} record with id '{step.operation.id}'.",
            detail={"id": [f"No {self.obj.api_name} record with this id."]},
        )

    def _clean_values(self) -> None:
        for step in self._live("create", "update"):
            try:
                creating = step.kind == "create"
                step.values = clean_values(self.schema, step.operation.fields, creating=creating)
                if creating:
                    step.name = record_name(self.schema, step.operation.name, step.values)
            except DomainError as exc:
                self._fail(step.index, exc)

    def _check_links(self) -> None:
        """Links must point at records that exist and that this batch does not delete."""
        gone = frozenset(str(step.record.pk) for step in self._live("delete"))
        writes = [(step.index, step.values) for step in self._live("create", "update")]
        problems = missing_relationship_targets(
            org_id=self.org_id, schema=self.schema, writes=writes, gone=gone
        )
        for index, errors in problems.items():
            self._fail(index, invalid_fields(errors))

    def _apply_in_memory(self) -> None:
        now = timezone.now()
        for step in list(self.steps.values()):
            try:
                self._apply(step, now)
            except DomainError as exc:
                self._fail(step.index, exc)

    def _apply(self, step: _Step, now) -> None:
        op = step.operation
        if step.kind == "create":
            step.record = Record(
                org_id=self.org_id, object=self.obj, name=step.name, values=step.values
            )
            return
        record = step.record
        if step.kind == "update":
            ensure_not_archived(record)
            matched = step.key.field if step.key is not None else None
            step.changed = apply_update(
                schema=self.schema,
                record=record,
                name=op.name,
                changes=step.values,
                matched=matched,
            )
        elif step.kind in ("archive", "unarchive"):
            archived = step.kind == "archive"
            if (record.archived_at is None) == archived:
                record.archived_at = now if archived else None
                record.version += 1
                record.updated_at = now
                step.changed = {}

    def _check_unique_values(self) -> None:
        """No two operations may set one unique value, nor take one that another record
        keeps. A value is free when the operation that lets it go (an update or a delete)
        succeeds, so the check runs again whenever an operation fails, until nothing does."""
        unique = [f for f in self.schema.fields if f.unique]
        if not unique:
            return
        claims: dict[int, list[tuple[Field, str]]] = {}
        for step in self._live("create", "update"):
            written = step.values if step.kind == "create" else (step.changed or {})
            claims[step.index] = [
                (f, unique_token(f, written[f.key]))
                for f in unique
                if written.get(f.key) is not None
            ]
        tokens = {token for pairs in claims.values() for _, token in pairs}
        held = (
            {
                (field_id, value): record_id
                for field_id, value, record_id in for_org(UniqueValue, org_id=self.org_id)
                .filter(field__in=unique, value__in=tokens)
                .values_list("field_id", "value", "record_id")
            }
            if tokens
            else {}
        )
        while self._unique_conflicts(unique, claims, held):
            pass

    def _unique_conflicts(self, unique, claims, held) -> bool:
        """One pass of the check; True when it failed an operation."""
        releasing: set[tuple[UUID, UUID]] = set()  # (record, field) whose value is let go
        for step in self._live("update", "delete"):
            if step.kind == "delete":
                releasing.update((step.record.pk, f.pk) for f in unique)
            else:
                changed = step.changed or {}
                releasing.update((step.record.pk, f.pk) for f in unique if f.key in changed)
        taken: dict[tuple[UUID, str], int] = {}
        for index, pairs in claims.items():
            if index not in self.steps:
                continue
            record = self.steps[index].record
            for unique_field, token in pairs:
                earlier = taken.get((unique_field.pk, token))
                holder = held.get((unique_field.pk, token))
                if earlier is not None:
                    error = _set_twice(earlier, unique_field.api_name)
                elif (
                    holder is not None
                    and holder != record.pk
                    and (holder, unique_field.pk) not in releasing
                ):
                    error = duplicate_value_error(unique_field, holder)
                else:
                    continue
                self._fail(index, error, final=False)
                return True
            taken.update({(unique_field.pk, token): index for unique_field, token in pairs})
        return False

    # -- writing: bulk statements ------------------------------------------------------------

    def write(self) -> None:
        creates = self._live("create")
        changes = [s for s in self._live("update", "archive", "unarchive") if s.changed is not None]
        deletes = self._live("delete")
        deleted_ids = [str(step.record.pk) for step in deletes]
        held = {
            str(step.record.pk): step.record
            for step in self._live("update", "archive", "unarchive")
        }
        saved = {str(step.record.pk): step.record for step in changes}
        now = timezone.now()
        relinked = rewrite_references(
            org_id=self.org_id,
            target=self.obj,
            replacements=dict.fromkeys(deleted_ids),
            pending=held,
        )
        for linked, _ in relinked:
            if str(linked.pk) not in saved:
                linked.version += 1
                linked.updated_at = now
                saved[str(linked.pk)] = linked
        if saved:
            Record.objects.bulk_update(list(saved.values()), SAVED_COLUMNS, batch_size=1000)
        if deleted_ids:
            # Two plain DELETEs: Django's collector would delete the records 100 at a time.
            # UniqueValue is the only table that references records.
            for_org(UniqueValue, org_id=self.org_id).filter(record__in=deleted_ids).delete()
            doomed = for_org(Record, org_id=self.org_id).filter(pk__in=deleted_ids)
            doomed._raw_delete(doomed.db)
        if creates:
            insert_new([step.record for step in creates])
        self._write_unique_values(creates, changes)
        send_changes(self._changes(relinked))
        for step in creates:
            self.outcomes[step.index].created = True
        for step in self.steps.values():
            outcome = self.outcomes[step.index]
            if step.kind == "delete":
                outcome.deleted_id = str(step.record.pk)
            else:
                outcome.record = step.record

    def _changes(self, relinked: list[tuple[Record, dict]]) -> list[RecordChange]:
        """What the batch changed, in the order of its operations, then the records whose
        links to deleted records went (unless an update of theirs already says so)."""
        changes: list[RecordChange] = []
        updated_ids = set()
        for step in self.steps.values():
            if step.kind == "update" and step.changed is not None:
                name, values = step.original
                changes.append(updated(step.record, name=name, values=values, schema=self.schema))
                updated_ids.add(step.record.pk)
            elif step.kind in ("create", "delete") or (
                step.kind in ("archive", "unarchive") and step.changed is not None
            ):
                changes.append(
                    RecordChange(type=TYPES[step.kind], record=step.record, schema=self.schema)
                )
        for linked, before in relinked:
            if linked.pk not in updated_ids:
                changes.append(updated(linked, name=linked.name, values=before))
        return changes

    def _write_unique_values(self, creates: list[_Step], changes: list[_Step]) -> None:
        unique = [f for f in self.schema.fields if f.unique]
        rewritten = [
            step.record
            for step in changes
            if step.changed and any(f.key in step.changed for f in unique)
        ]
        rewrite_unique_values(org_id=self.org_id, records=rewritten, fields=unique)
        new = [step.record for step in creates]
        rewrite_unique_values(org_id=self.org_id, records=new, fields=unique, replace=False)


def _written_twice(earlier: int, label: str) -> InvalidInputError:
    return InvalidInputError(
        f"Operation {earlier} in this batch already writes the record with this {label}; "
        "send one operation per record.",
        detail={label: [f"Also written by operation {earlier}."]},
    )


def _changed_twice(earlier: int, record_id: UUID) -> InvalidInputError:
    return InvalidInputError(
        f"Operation {earlier} in this batch already changes the record {record_id}; send one "
        "operation per record.",
        detail={"id": [f"Also changed by operation {earlier}."]},
    )


def _set_twice(earlier: int, api_name: str) -> ConflictError:
    return ConflictError(
        f"Operation {earlier} in this batch sets the same {api_name}.",
        detail={f"fields.{api_name}": [f"Also set by operation {earlier}."]},
    )
