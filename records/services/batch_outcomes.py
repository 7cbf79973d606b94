"""What a batch answers per operation, and the slow path that replays a batch one operation
at a time through the single-record services (each in a savepoint) when a bulk write meets a
constraint that the checks could not foresee."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from api.exceptions import DomainError, InvalidInputError
from records import selectors
from records.batch_operations import Operation
from records.models import Record
from records.object_schema import ObjectSchema
from records.services.records import (
    archive_record,
    create_record,
    delete_record,
    unarchive_record,
    update_record,
)
from records.services.upsert import upsert_record


@dataclass
class Outcome:
    """What became of one operation: a record written (or deleted), or an error."""

    index: int
    record: Record | None = None
    created: bool = False
    deleted_id: str | None = None
    error: DomainError | None = None


class BatchInvalidError(InvalidInputError):
    """An atomic batch with invalid operations: nothing was written."""

    def __init__(self, failures: list[Outcome]) -> None:
        detail: dict[str, list[Any]] = {}
        for outcome in failures:
            detail.update(operation_error_detail(outcome.index, outcome.error))
        if len(failures) == 1:
            failure = failures[0]
            message = (
                f"Operation {failure.index} is invalid: {failure.error.message} "
                "Nothing was written."
            )
        else:
            shown = ", ".join(str(outcome.index) for outcome in failures[:10])
            more = ", …" if len(failures) > 10 else ""
            message = (
                f"{len(failures)} operations are invalid ({shown}{more}); nothing was written. "
                "See errorDetail."
            )
        super().__init__(message, detail=detail)
        self.failures = failures


def operation_error_detail(index: int, error: DomainError) -> dict[str, list[Any]]:
    """The error of operation `index`: its sentence under `operations.<index>`, and what it
    says of each input under `operations.<index>.<input>`."""
    prefix = f"operations.{index}"
    detail: dict[str, list[Any]] = {prefix: [error.message]}
    if isinstance(error.detail, dict):
        for label, problems in error.detail.items():
            detail[f"{prefix}.{label}"] = problems if isinstance(problems, list) else [problems]
    for name in error.missing:
        detail.setdefault(f"{prefix}.{name}", ["Required."])
    return detail


def replay_one_by_one(
    schema: ObjectSchema,
    operations: list[Operation | DomainError],
    final_errors: dict[int, DomainError],
    *,
    atomic: bool,
) -> list[Outcome]:
    """The batch replayed through the single-record services, each operation in a savepoint."""
    outcomes = []
    for index, operation in enumerate(operations):
        if index in final_errors:
            outcomes.append(Outcome(index=index, error=final_errors[index]))
            continue
        try:
            with transaction.atomic():
                outcomes.append(_run_one(schema, operation))
        except DomainError as exc:
            outcomes.append(Outcome(index=index, error=exc))
    failures = [outcome for outcome in outcomes if outcome.error is not None]
    if atomic and failures:
        raise BatchInvalidError(failures)
    return outcomes


def _run_one(schema: ObjectSchema, op: Operation) -> Outcome:
    if op.op == "create":
        record = create_record(schema=schema, name=op.name, fields=op.fields)
        return Outcome(index=op.index, record=record, created=True)
    if op.op == "upsert":
        record, created = upsert_record(
            schema=schema, name=op.name, fields=op.fields, match_on=op.match_on
        )
        return Outcome(index=op.index, record=record, created=created)
    record = selectors.record(obj=schema.obj, record_id=op.id)
    if op.op == "update":
        record = update_record(schema=schema, record=record, name=op.name, fields=op.fields)
    elif op.op == "archive":
        record = archive_record(record=record)
    elif op.op == "unarchive":
        record = unarchive_record(record=record)
    else:
        deleted_id = str(record.pk)
        delete_record(record=record)
        return Outcome(index=op.index, deleted_id=deleted_id)
    return Outcome(index=op.index, record=record)
