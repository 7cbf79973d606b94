"""Endpoint secrets are encrypted at rest (WEBHOOK_SECRET_KEYS, Fernet): the column never holds
the plain secret, signing still verifies, and keys rotate (add in front, re-encrypt, drop)."""

import importlib
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from standardwebhooks import Webhook

from tests.webhooks.conftest import run_worker
from webhooks.encryption import decrypt
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db


def stored(endpoint_id) -> tuple[str, str]:
    """The columns as they are in the database, past the model field."""
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret, previous_secret FROM {table} WHERE id = %s",  # noqa: S608
            [Endpoint._meta.pk.get_db_prep_value(endpoint_id, connection)],
        )
        return cursor.fetchone()


def create_company(api, name="Acme"):
    response = api.post("/api/records/companies", {"name": name})
    assert response.status == 201, response.body


def test_the_database_holds_no_plain_secret(admin_api, endpoint):
    secret, previous = stored(endpoint["id"])
    assert endpoint["secret"].startswith("whsec_")
    assert "whsec_" not in secret and endpoint["secret"][6:] not in secret
    assert decrypt(secret) == endpoint["secret"] and previous == ""
    rotated = admin_api.post(f"/api/webhooks/{endpoint['id']}/rotate-secret").data["secret"]
    secret, previous = stored(endpoint["id"])
    assert "whsec_" not in secret + previous
    assert (decrypt(secret), decrypt(previous)) == (rotated, endpoint["secret"])
    # The API answers as before: the secret on create and rotate, never in a read.
    assert "secret" not in admin_api.get(f"/api/webhooks/{endpoint['id']}").data


def test_signing_verifies_with_the_secret_the_api_showed(schema, write_api, endpoint, receiver):
    create_company(write_api)
    run_worker()
    (message,) = receiver.received
    assert Webhook(endpoint["secret"]).verify(message.body, message.headers)["type"]


def test_keys_rotate_add_in_front_reencrypt_then_drop_the_old(
    schema, write_api, endpoint, receiver, settings
):
    old_key = settings.WEBHOOK_SECRET_KEYS[0]
    old_column, _ = stored(endpoint["id"])
    new_key = Fernet.generate_key().decode()
    settings.WEBHOOK_SECRET_KEYS = [new_key, old_key]
    assert Endpoint.objects.get().secret == endpoint["secret"]  # the old key still decrypts
    call_command("reencrypt_webhook_secrets", stdout=SimpleNamespace(write=lambda _: None))
    assert stored(endpoint["id"])[0] != old_column
    settings.WEBHOOK_SECRET_KEYS = [new_key]
    create_company(write_api)
    run_worker()
    (message,) = receiver.received
    assert Webhook(endpoint["secret"]).verify(message.body, message.headers)["type"]
    # A key list without the one the secrets are encrypted with says what is wrong.
    settings.WEBHOOK_SECRET_KEYS = [old_key]
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_SECRET_KEYS"):
        Endpoint.objects.get()


def test_the_migration_encrypts_the_secrets_already_there(endpoint):
    migration = importlib.import_module("webhooks.migrations.0003_encrypt_secrets")
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    with connection.cursor() as cursor:  # as a database from before the migration held them
        cursor.execute(
            f"UPDATE {table} SET secret = %s, previous_secret = %s",  # noqa: S608
            ["whsec_plain", "whsec_before"],
        )
    migration.encrypt_secrets(None, SimpleNamespace(connection=connection))
    secret, previous = stored(endpoint["id"])
    assert "whsec_" not in secret + previous
    loaded = Endpoint.objects.get()
    assert (loaded.secret, loaded.previous_secret) == ("whsec_plain", "whsec_before")
    migration.decrypt_secrets(None, SimpleNamespace(connection=connection))
    assert stored(endpoint["id"]) == ("whsec_plain", "whsec_before")
