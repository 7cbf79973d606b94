"""Organizations (the tenants), staff memberships and API keys."""

import uuid

from django.conf import settings
from django.db import models

from api.scopes import Scope


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped (accounts.services.bump_schema_version) in the transaction of every change to the
    # organization's objects or fields: caches of those key on it, and it arrives with the API
    # key's row, so no request asks whether a cached schema is still current. The database
    # default lets code that predates the column insert organizations during a rolling deploy.
    schema_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if (
            not self._state.adding
            and not kwargs.get("force_insert")
            and kwargs.get("update_fields") is None
        ):
            # Writing back the version this instance read would undo a bump committed since,
            # and caches would serve the older schema again: only the bump moves it.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "schema_version"
            ]
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A staff user's access to an organization in the admin."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "user"], name="membership_unique_org_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.org}"


class ApiKey(models.Model):
    """A key is `<prefix>_<secret>`; only the prefix (to find it) and a SHA-256 of the whole key
    (to check it) are stored. The secret is 192 random bits, so a fast hash is safe here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True, help_text="What the key is for.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=32, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        indexes = [models.Index(fields=["org", "-created_at"], name="apikey_org_created")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.scope})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
