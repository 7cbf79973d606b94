"""Object schemas (an object with its fields) cached per process, keyed on the organization's
schema version.

Every change to an organization's objects or fields bumps `Organization.schema_version` in the
change's own transaction (records.services.schema), and every API request reads its key
together with the key's organization, so the version arrives with a query the request makes
anyway. A schema cached under (organization, version, api_name) is the one committed at that
version, whichever process made the change: the next request of every process asks for the new
version and loads it. Nothing is ever invalidated; entries of older versions are no longer
asked for and fall off the end of the LRU.

An object that does not exist is not cached: the next request looks again.
"""

from functools import lru_cache
from uuid import UUID

from accounts.models import Organization
from records.object_schema import ObjectSchema
from records.selectors import object_by_api_name

# Entries per process: a few thousand objects in use across all organizations stay loaded.
SCHEMA_CACHE_SIZE = 2048


def cached_schema(*, org: Organization, api_name: str) -> ObjectSchema:
    """`org`'s object `api_name` and its fields as of `org.schema_version` (a 404 when it has
    no such object). Shared between requests: read it, never change it."""
    return _load(org.pk, org.schema_version, api_name)


@lru_cache(maxsize=SCHEMA_CACHE_SIZE)
def _load(org_id: UUID, schema_version: int, api_name: str) -> ObjectSchema:
    return ObjectSchema.of(object_by_api_name(org_id=org_id, api_name=api_name))


def clear_schema_cache() -> None:
    _load.cache_clear()
