"""Reads of accounts."""

import hmac
import re
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, QuerySet

from accounts.models import ApiKey, Organization
from accounts.services import KEY_LEAD, hash_key
from api.compiled_query import CompiledQuery
from api.exceptions import NotFoundError
from api.query import SortKey
from api.tenancy import for_org

RAW_KEY = re.compile(rf"^({KEY_LEAD}_[0-9a-f]{{12}})_[0-9a-f]{{48}}$")
# Every API request reads its key, with the organization, fresh from the database (a revoked
# key stops working at once): compiled once, with no ORDER BY, as the prefix is unique.
KEY_BY_PREFIX = CompiledQuery(
    lambda prefix: ApiKey.objects.select_related("org").filter(prefix=prefix).order_by(),
    prefix=ApiKey._meta.get_field("prefix"),
)


def api_key_for_raw(raw_key: str) -> ApiKey | None:
    """The key for a raw value (revoked ones too), or None. Anything not shaped like a key is
    refused before the database sees it; the hash is compared in constant time."""
    match = RAW_KEY.match(raw_key)
    if match is None:
        return None
    api_key = KEY_BY_PREFIX.one(prefix=match.group(1))
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, hash_key(raw_key)):
        return None
    return api_key


API_KEY_SORT_KEYS = {"created_at", "last_used_at", "name"}


def api_keys(*, org_id: UUID, sort: list[SortKey]) -> QuerySet[ApiKey]:
    order = [
        F(key.key).desc(nulls_last=True) if key.descending else F(key.key).asc(nulls_last=True)
        for key in sort
    ]
    order.append("-id" if sort[0].descending else "id")
    return for_org(ApiKey, org_id=org_id).order_by(*order)


def api_key(*, org_id: UUID, key_id: str) -> ApiKey:
    try:
        key_uuid = UUID(str(key_id))
    except ValueError:
        key_uuid = None
    found = for_org(ApiKey, org_id=org_id).filter(pk=key_uuid).first() if key_uuid else None
    if found is None:
        raise NotFoundError(f"No API key '{key_id}' exists in this organization.")
    return found


def organizations_for_user(user: AbstractBaseUser) -> QuerySet[Organization]:
    """What a staff user may see in the admin: their organizations; a superuser sees all."""
    if not user.is_active or not user.is_staff:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user)


def organization_by_slug(slug: str) -> Organization:
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise NotFoundError(f"No organization with slug '{slug}'.")
    return found
