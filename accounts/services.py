"""Writes of accounts: organizations, memberships, API keys."""

import hashlib
import secrets
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ApiKey, Membership, Organization
from api.exceptions import InvalidInputError, InvalidParameterError
from api.scopes import Scope

KEY_LEAD = "rb"


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_organization(*, name: str, slug: str | None = None) -> Organization:
    """Slug from the name unless given; a taken slug gets -2, -3, … appended."""
    name = name.strip()
    if not name:
        raise InvalidInputError("An organization needs a name.", detail={"name": ["Required."]})
    base = slugify(slug or name)[:56] or "org"
    for attempt in range(1, 1000):
        candidate = base if attempt == 1 else f"{base}-{attempt}"
        try:
            with transaction.atomic():
                return Organization.objects.create(name=name[:200], slug=candidate)
        except IntegrityError:
            if slug:  # an explicit slug is not silently changed
                raise InvalidInputError(
                    f"The slug '{candidate}' is taken.", detail={"slug": ["Already taken."]}
                ) from None
    raise InvalidInputError("Could not find a free slug; give one explicitly.")


def bump_schema_version(*, org_id: UUID) -> None:
    """Marks the organization's objects and fields as changed, so caches keyed on the version
    (records.schema_cache) load them again. Called inside the change's own transaction: the new
    version and the new schema commit together, and nobody sees one without the other."""
    if not connection.in_atomic_block:
        raise RuntimeError("bump_schema_version runs inside the schema change's transaction.")
    Organization.objects.filter(pk=org_id).update(schema_version=F("schema_version") + 1)


def add_member(*, org: Organization, user: AbstractBaseUser) -> Membership:
    membership, _ = Membership.objects.get_or_create(org=org, user=user)
    return membership


def create_api_key(*, org: Organization, scope: str, name: str = "") -> tuple[ApiKey, str]:
    """Returns the key and its raw value, which is never stored and cannot be shown again."""
    if scope not in Scope.values:
        raise InvalidParameterError("scope", f"must be one of {', '.join(Scope.values)}.")
    prefix = f"{KEY_LEAD}_{secrets.token_hex(6)}"
    raw_key = f"{prefix}_{secrets.token_hex(24)}"
    api_key = ApiKey.objects.create(
        org=org, scope=scope, name=name[:200], prefix=prefix, hashed_key=hash_key(raw_key)
    )
    return api_key, raw_key


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    """Idempotent: a revoked key keeps its first revocation time."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=api_key.revoked_at
        )
    return api_key


def touch_api_key(*, api_key: ApiKey, now: datetime | None = None) -> None:
    """Records use, at most once a minute per key, so reads do not all become writes: no
    statement at all while the value read with the key is recent, and then an UPDATE that
    matches only while the stored value is still stale, so that of the processes that saw it
    stale at once, one writes and the others change nothing."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    last = api_key.last_used_at
    if last is None or last <= stale_before:
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before), pk=api_key.pk
        ).update(last_used_at=now)
        api_key.last_used_at = now
