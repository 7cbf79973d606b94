"""Every write of the records app goes through here: the schema (objects and fields) and the
records themselves."""

from records.services.batch import run_batch
from records.services.merge import merge_records
from records.services.records import (
    archive_record,
    create_record,
    delete_record,
    unarchive_record,
    update_record,
)
from records.services.schema import (
    create_field,
    create_object,
    delete_field,
    delete_object,
    update_field,
    update_object,
)
from records.services.upsert import upsert_record

__all__ = [
    "archive_record",
    "create_field",
    "create_object",
    "create_record",
    "delete_field",
    "delete_object",
    "delete_record",
    "merge_records",
    "run_batch",
    "unarchive_record",
    "update_field",
    "update_object",
    "update_record",
    "upsert_record",
]
