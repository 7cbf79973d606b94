"""The one helper every tenant-scoped query goes through.

Everything that belongs to an organization has an `org_id` column; reading it without this
filter is how one tenant sees another's data, so no selector builds its own.
"""

from uuid import UUID

from django.db import models


def for_org[M: models.Model](
    source: type[M] | models.QuerySet[M], *, org_id: UUID | str
) -> models.QuerySet[M]:
    """`source` (a model or a queryset) narrowed to one organization."""
    queryset = source._default_manager.all() if isinstance(source, type) else source
    if not any(field.attname == "org_id" for field in queryset.model._meta.concrete_fields):
        raise TypeError(f"{queryset.model.__name__} is not tenant-scoped: it has no org_id.")
    if org_id is None:
        raise ValueError("for_org needs an organization id.")
    return queryset.filter(org_id=org_id)
