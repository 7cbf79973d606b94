"""Reads of accounts."""

import hmac
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.models import ApiKey, Organization
from accounts.services import KEY_LEAD, hash_key
from api.exceptions import NotFoundError
from api.tenancy import for_org


def api_key_for_raw(raw_key: str) -> ApiKey | None:
    """The active key for a raw value, or None. The hash is compared in constant time."""
    lead, _, rest = raw_key.partition("_")
    public, _, secret = rest.partition("_")
    if lead != KEY_LEAD or not public or not secret or len(raw_key) > 200:
        return None
    api_key = ApiKey.objects.select_related("org").filter(prefix=f"{lead}_{public}").first()
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, hash_key(raw_key)):
        return None
    return api_key


def api_keys(*, org_id: UUID) -> QuerySet[ApiKey]:
    return for_org(ApiKey, org_id=org_id).order_by("-created_at", "-id")


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
