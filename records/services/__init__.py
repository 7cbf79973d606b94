"""Every write of the records app goes through here: the schema (objects, fields) now, the
records themselves next."""

from records.services.schema import (
    create_field,
    create_object,
    delete_field,
    delete_object,
    update_field,
    update_object,
)

__all__ = [
    "create_field",
    "create_object",
    "delete_field",
    "delete_object",
    "update_field",
    "update_object",
]
