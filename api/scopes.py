"""API key scopes, from least to most: read < write < admin."""

from django.db import models


class Scope(models.TextChoices):
    READ = "read", "read: GET, search, lookup, field values"
    WRITE = "write", "write: read + record changes"
    ADMIN = "admin", "admin: write + schema, webhooks, keys"


RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}


def covers(granted: str, needed: str) -> bool:
    """True when a key with scope `granted` may do what needs `needed`."""
    return RANK[Scope(granted)] >= RANK[Scope(needed)]
