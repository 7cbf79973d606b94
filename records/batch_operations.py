"""A batch request as sent: `{"atomic": true, "operations": [...]}`, read into Operations.

A malformed request as a whole (not an object, no list, too many items) is a 400; a
malformed operation is that operation's own error, so that a non-atomic batch can still run
the others."""

from dataclasses import dataclass
from typing import Any

from api.exceptions import (
    BadRequestError,
    DomainError,
    InvalidParameterError,
    MissingInputError,
    UnknownInputError,
)
from records.representation import MAX_ID_LENGTH
from records.services.records import UNSET
from records.values import clean_name

MAX_OPERATIONS = 1000
BATCH_INPUTS = ("atomic", "operations")
# The inputs each kind of operation takes besides `op`.
OPERATION_INPUTS: dict[str, tuple[str, ...]] = {
    "create": ("name", "fields"),
    "update": ("id", "name", "fields"),
    "upsert": ("match_on", "name", "fields"),
    "archive": ("id",),
    "unarchive": ("id",),
    "delete": ("id",),
}


@dataclass
class Operation:
    index: int
    op: str
    id: str | None = None
    name: Any = UNSET
    fields: Any = None
    match_on: str | None = None


def read_batch(data: Any) -> tuple[bool, list[Operation | DomainError]]:
    """(atomic, one Operation or one error per item, in order)."""
    if not isinstance(data, dict):
        raise BadRequestError("The request body must be a JSON object.")
    unknown = sorted(str(key) for key in data if key not in BATCH_INPUTS)
    if unknown:
        raise UnknownInputError(unknown, BATCH_INPUTS)
    if "operations" not in data:
        raise MissingInputError(["operations"])
    atomic = data.get("atomic", True)
    if not isinstance(atomic, bool):
        raise InvalidParameterError("atomic", "expected true or false.")
    items = data["operations"]
    if not isinstance(items, list):
        raise InvalidParameterError("operations", "expected a list of operations.")
    if len(items) > MAX_OPERATIONS:
        raise InvalidParameterError(
            "operations",
            f"at most {MAX_OPERATIONS} operations in one batch; {len(items)} were sent.",
        )
    operations: list[Operation | DomainError] = []
    for index, item in enumerate(items):
        try:
            operations.append(_read_operation(index, item))
        except DomainError as exc:
            operations.append(exc)
    return atomic, operations


def _read_operation(index: int, item: Any) -> Operation:
    if not isinstance(item, dict):
        raise BadRequestError("An operation must be a JSON object.")
    if "op" not in item:
        raise MissingInputError(["op"])
    op = item["op"]
    if not isinstance(op, str) or op not in OPERATION_INPUTS:
        raise InvalidParameterError("op", f"expected one of {', '.join(OPERATION_INPUTS)}.")
    allowed = ("op", *OPERATION_INPUTS[op])
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise UnknownInputError(unknown, allowed, where=f" for '{op}'")
    operation = Operation(index=index, op=op, fields=item.get("fields"))
    if "id" in allowed:
        if "id" not in item:
            raise MissingInputError(["id"])
        record_id = item["id"]
        if not isinstance(record_id, str) or not record_id or len(record_id) > MAX_ID_LENGTH:
            raise InvalidParameterError("id", "expected a record id (a string).")
        operation.id = record_id
    if "name" in item:
        operation.name = clean_name(item["name"])
    match_on = item.get("match_on")
    if match_on is not None and not isinstance(match_on, str):
        raise InvalidParameterError("match_on", "expected a field's api_name.")
    operation.match_on = match_on
    return operation
