"""Domain signals: what the records services tell the apps above them (webhooks) about every
change to records, sent inside the writing transaction so that a listener's rows commit or
roll back with the change itself. records never imports its listeners."""

from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

from records.models import Record
from records.object_schema import ObjectSchema

CREATED = "record.created"
UPDATED = "record.updated"
DELETED = "record.deleted"
ARCHIVED = "record.archived"
UNARCHIVED = "record.unarchived"
RECORD_EVENT_TYPES = (CREATED, UPDATED, DELETED, ARCHIVED, UNARCHIVED)

# Sent with `changes`: a list of RecordChange, in the order they happened.
records_changed = Signal()


@dataclass(frozen=True)
class RecordChange:
    """One record's change. `record` is its state after the change (for a delete, the state
    it was deleted in); for an update, `before` holds its name and values before."""

    type: str
    record: Record
    before: tuple[str, dict[str, Any]] | None = None
    schema: ObjectSchema | None = None  # the record's object, when the sender has it at hand


def updated(
    record: Record, *, name: str, values: dict[str, Any], schema: ObjectSchema | None = None
) -> RecordChange:
    """An update of `record`, whose name and values were `name` and `values` before."""
    return RecordChange(type=UPDATED, record=record, before=(name, dict(values)), schema=schema)


def send_changes(changes: list[RecordChange]) -> None:
    if changes:
        records_changed.send(sender=Record, changes=changes)
