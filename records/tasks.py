"""Background work of the records app (Django's Tasks framework; worker: manage.py db_worker)."""

from django.db import transaction
from django.tasks import task

from records import indexes
from records.models import Field


@task
def build_field_indexes(field_id: str) -> None:
    field = Field.objects.filter(pk=field_id).first()
    if field is not None:
        indexes.create_field_indexes(field)


@task
def drop_field_indexes(names: list[str]) -> None:
    indexes.drop_indexes(names)


@task
def rebuild_field_indexes(field_id: str) -> None:
    """After a type or options change: one task, so the drop cannot overtake the build."""
    field = Field.objects.filter(pk=field_id).first()
    if field is not None:
        indexes.drop_indexes(indexes.index_names(field))
        indexes.create_field_indexes(field)


def schedule_index_build(field: Field) -> None:
    """After the field's transaction commits, on PostgreSQL only."""
    if indexes.wants_indexes(field) and transaction.get_connection().vendor == "postgresql":
        field_id = str(field.pk)
        transaction.on_commit(lambda: build_field_indexes.enqueue(field_id))


def schedule_index_rebuild(field: Field) -> None:
    if transaction.get_connection().vendor == "postgresql":
        field_id = str(field.pk)
        transaction.on_commit(lambda: rebuild_field_indexes.enqueue(field_id))


def schedule_index_drop(field: Field) -> None:
    if transaction.get_connection().vendor == "postgresql":
        names = indexes.index_names(field)
        transaction.on_commit(lambda: drop_field_indexes.enqueue(names))
