"""Endpoint secrets are encrypted at rest (Fernet: AES-128-CBC and HMAC-SHA256) with the keys
in WEBHOOK_SECRET_KEYS, so a copy of the database (a backup, a replica, a leaked dump) cannot
sign messages as us. The first key encrypts, every key decrypts: a key is rotated by adding
the new one in front, re-encrypting (`manage.py reencrypt_webhook_secrets`) and then removing
the old one (docs/operations.md)."""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "WEBHOOK_SECRET_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each)."
        ) from exc


def fernet() -> MultiFernet:
    """The keys of the settings as they are now (tests change them)."""
    return _fernet(tuple(settings.WEBHOOK_SECRET_KEYS))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Not a configuration anyone can work around at runtime: say what to fix.
        raise ImproperlyConfigured(
            "A webhook secret could not be decrypted with any key in WEBHOOK_SECRET_KEYS: "
            "a key it was encrypted with has been removed."
        ) from exc


def reencrypt(token: str) -> str:
    """The token encrypted again with the first key (whichever key decrypts it)."""
    return fernet().rotate(token.encode()).decode()


class EncryptedSecretField(models.TextField):
    """A text column holding a Fernet token; in Python, the plain secret. Empty stays empty
    (no previous secret). Not for lookups: each encryption of a value differs."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
