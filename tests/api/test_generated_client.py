"""A client generated from /api/schema by openapi-python-client calls every route and parses
every answer, errors included, against a real server."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.receiver import start_receiver
from tests.server import child_env, fetch, free_port, manage, running_server

PACKAGE = "generated_recordbase_client"


@pytest.fixture
def server(tmp_path):
    env = child_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    slug = manage("create_org", "Generated", env=env).stdout.strip()
    key = manage("create_api_key", "--org", slug, "--scope", "admin", env=env).stdout.strip()
    port = free_port()
    with running_server(env, port):
        yield f"http://127.0.0.1:{port}", key


@pytest.fixture
def client_package(server, tmp_path):
    base, _ = server
    status, _, body = fetch(f"{base}/api/schema?format=json")
    assert status == 200
    schema_path = tmp_path / "schema.json"
    schema_path.write_bytes(body)
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(  # noqa: S603 - the generator from our own venv
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(schema_path),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE), json.loads(body)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def test_generated_client_calls_every_route(server, client_package):
    base, key = server
    package, schema = client_package
    models = importlib.import_module(f"{PACKAGE}.models")
    ops = {
        module.stem: importlib.import_module(f"{PACKAGE}.api.{module.parent.name}.{module.stem}")
        for module in (Path(package.__file__).parent / "api").glob("*/*.py")
        if module.stem != "__init__"
    }

    client = package.AuthenticatedClient(base_url=base, token=key)
    anonymous = package.Client(base_url=base)
    called: set[str] = set()

    def call(op: str, status: int, on=client, **kwargs):
        response = ops[op].sync_detailed(client=on, **kwargs)
        assert response.status_code == status, (op, response.content)
        assert response.parsed is not None, (op, response.content)
        if status < 400:
            assert response.parsed.success is True
        else:
            assert isinstance(response.parsed, models.ErrorEnvelope)
            assert response.parsed.success is False and response.parsed.errors
        called.add(op)
        return response.parsed

    assert call("api_index", 200, on=anonymous).data.docs == "/api/docs"
    me = call("me", 200)
    assert me.data.api_key.scope == models.ScopeEnum.ADMIN
    created = call(
        "keys_create",
        201,
        body=models.ApiKeyCreateRequest(scope=models.ScopeEnum.READ, name="generated"),
    )
    assert created.data.key.startswith(created.data.prefix)
    listing = call("keys_list", 200, limit=1)
    assert listing.pagination.total == 2 and len(listing.data) == 1
    assert call("keys_revoke", 200, key_id=str(created.data.id)).data.revoked is True
    call("keys_revoke", 404, key_id="00000000-0000-0000-0000-000000000000")
    call(
        "keys_create",
        422,
        body=models.ApiKeyCreateRequest(scope=models.ScopeEnum.READ, name="x" * 300),
    )
    requests = call("requests_list", 200)
    assert requests.pagination.total >= 6
    assert call("requests_retrieve", 200, guid=str(requests.data[0].guid)).data.method
    call("requests_list", 400, limit=-1)
    features = call("experimental_list", 200)
    assert features.pagination.total == len(features.data)
    call("me", 401, on=package.AuthenticatedClient(base_url=base, token="rb_x_y"))

    text_type = models.TypeEnum("text")
    created_object = call(
        "objects_create",
        201,
        body=models.ObjectCreateRequest(
            api_name="companies",
            fields=[models.FieldInputRequest(api_name="domain", type_=text_type, unique=True)],
        ),
    )
    assert created_object.data.fields[0].api_name == "domain"
    call("objects_create", 409, body=models.ObjectCreateRequest(api_name="companies"))
    assert call("objects_list", 200).pagination.total == 2  # with contacts
    assert call("objects_retrieve", 200, object_name="companies").data.api_name == "companies"
    call("objects_retrieve", 404, object_name="nope")
    call(
        "objects_update",
        200,
        object_name="companies",
        body=models.PatchedObjectUpdateRequest(plural_name="Firms"),
    )
    call(
        "fields_create",
        201,
        object_name="companies",
        body=models.FieldInputRequest(api_name="revenue", type_=models.TypeEnum("number")),
    )
    assert len(call("fields_list", 200, object_name="companies").data) == 2
    renamed = call(
        "fields_update",
        200,
        object_name="companies",
        field_name="revenue",
        body=models.PatchedFieldUpdateRequest(api_name="arr"),
    )
    assert renamed.data.aliases == ["revenue"]
    assert (
        call("fields_retrieve", 200, object_name="companies", field_name="revenue").data.api_name
        == "arr"
    )
    call("fields_delete", 200, object_name="companies", field_name="arr")

    record = call(
        "records_create",
        201,
        object_name="companies",
        body=models.RecordWriteRequest(
            name="Acme", fields=models.RecordWriteRequestFields.from_dict({"domain": "acme.com"})
        ),
    )
    record_id = record.data.id
    assert record.data.meta.version == 1
    call(
        "records_create",
        409,
        object_name="companies",
        body=models.RecordWriteRequest(
            name="Acme", fields=models.RecordWriteRequestFields.from_dict({"domain": "acme.com"})
        ),
    )
    listed = call("records_list", 200, object_name="companies", sort="-name")
    assert listed.pagination.total == 1 and listed.data[0].id == record_id
    call("records_list", 400, object_name="companies", sort="nope")
    condition = models.FilterConditionRequest(value=["acme.com"])
    found = call(
        "records_search",
        200,
        object_name="companies",
        body=models.RecordSearchRequest(
            filters=models.RecordSearchRequestFilters.from_dict(
                {"fields__domain": condition.to_dict()}
            )
        ),
    )
    assert [r.id for r in found.data] == [record_id]
    assert (
        call("records_retrieve", 200, object_name="companies", record_id=record_id).data.name
        == "Acme"
    )
    call(
        "records_update",
        200,
        object_name="companies",
        record_id=record_id,
        body=models.PatchedRecordWriteRequest(name="Acme Inc"),
    )
    call(
        "records_replace_sparse",
        200,
        object_name="companies",
        record_id=record_id,
        body=models.RecordWriteRequest(name="Acme Co"),
    )
    assert call("records_archive", 200, object_name="companies", record_id=record_id).data.archived
    assert not call(
        "records_unarchive", 200, object_name="companies", record_id=record_id
    ).data.archived
    upserted = call(
        "records_upsert",
        200,
        object_name="companies",
        body=models.RecordUpsertRequest(
            name="Acme Co",
            match_on="domain",
            fields=models.RecordUpsertRequestFields.from_dict({"domain": "acme.com"}),
        ),
    )
    assert upserted.created is False and upserted.data.id == record_id
    fresh = call(
        "records_upsert",
        201,
        object_name="companies",
        body=models.RecordUpsertRequest(
            name="Newco", fields=models.RecordUpsertRequestFields.from_dict({"domain": "new.co"})
        ),
    )
    assert fresh.created is True
    assert (
        call("records_lookup", 200, object_name="companies", name="Newco").data.id == fresh.data.id
    )
    call("records_lookup", 404, object_name="companies", name="Nobody")
    counted = call("records_field_values", 200, object_name="companies", field_name="domain")
    assert sorted(item.value for item in counted.data) == ["acme.com", "new.co"]
    batched = call(
        "records_batch",
        200,
        object_name="companies",
        body=models.BatchRequest(
            operations=[
                models.BatchCreateOperationRequest(
                    op=models.BatchCreateOperationOpEnum.CREATE, name="Batchco"
                ),
                models.BatchRecordOperationRequest(
                    op=models.BatchRecordOperationOpEnum.DELETE, id=fresh.data.id
                ),
            ]
        ),
    )
    assert [result.status for result in batched.data] == [201, 200]
    assert batched.data[1].data["deleted"] is True
    refused = call(
        "records_batch",
        422,
        object_name="companies",
        body=models.BatchRequest(
            operations=[
                models.BatchCreateOperationRequest(op=models.BatchCreateOperationOpEnum.CREATE)
            ]
        ),
    )
    assert "operations.0.name" in refused.error_detail.to_dict()
    batchco = batched.data[0].data["id"]
    merged = call(
        "records_merge",
        200,
        object_name="companies",
        record_id=record_id,
        body=models.RecordMergeRequest(from_=batchco),
        x_experimental=models.RecordsMergeXExperimental.MERGE,
    )
    assert merged.data.id == record_id and merged.merge.merged_id == batchco
    deleted = call("records_delete", 200, object_name="companies", record_id=record_id)
    assert deleted.data.deleted is True
    call("records_retrieve", 404, object_name="companies", record_id=record_id)
    call("objects_delete", 200, object_name="companies")

    receiver, receiver_server = start_receiver()
    try:
        hook = call(
            "webhooks_create",
            201,
            body=models.EndpointCreateRequest(url=receiver.url, events=[models.EventsEnum.RECORD]),
        )
        assert hook.data.secret.startswith("whsec_")
        hook_id = hook.data.id
        assert [e.id for e in call("webhooks_list", 200).data] == [hook_id]
        assert call("webhooks_retrieve", 200, endpoint_id=hook_id).data.url == receiver.url
        call(
            "webhooks_update",
            200,
            endpoint_id=hook_id,
            body=models.PatchedEndpointUpdateRequest(description="generated"),
        )
        call(
            "webhooks_update",
            422,
            endpoint_id=hook_id,
            body=models.PatchedEndpointUpdateRequest(objects=["no_such_object"]),
        )
        assert call("webhooks_rotate_secret", 200, endpoint_id=hook_id).data.secret
        tested = call("webhooks_test", 200, endpoint_id=hook_id)
        assert tested.data.status == "succeeded"
        deliveries = call("webhooks_deliveries", 200, endpoint_id=hook_id)
        assert deliveries.data[0].attempts[0].status_code == 200
        retried = call(
            "webhooks_delivery_retry", 200, endpoint_id=hook_id, delivery_id=tested.data.id
        )
        assert retried.data.status == "pending"
        events = call("events_list", 200, type_=models.EventsListType("webhook.test"))
        assert events.data[0].type_ == "webhook.test"
        assert call("webhooks_delete", 200, endpoint_id=hook_id).data.deleted is True
        call("webhooks_retrieve", 404, endpoint_id=hook_id)
    finally:
        receiver_server.shutdown()
        receiver_server.server_close()

    operation_ids = {
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    }
    assert called == operation_ids, "a route in the schema is not exercised here"
