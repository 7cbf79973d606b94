"""The OpenAPI document: valid, served offline, and describing the envelope as sent."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict:
    response = Client().get("/api/schema?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_spectacular_validates_without_warnings():
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    assert json.loads(out.getvalue())["openapi"].startswith("3.")


def test_schema_is_served_as_yaml_by_default():
    response = Client().get("/api/schema")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3")


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_docs_pages_load_their_assets_locally(path):
    response = Client().get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "https://" not in page and "http://" not in page
    assert "/static/drf_spectacular_sidecar/" in page


def test_both_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <API key>`",
    }
    assert schemes["basicAuth"]["scheme"] == "basic"
    assert schema["paths"]["/api/me"]["get"]["security"] == [{"bearerAuth": []}, {"basicAuth": []}]


def test_success_is_wrapped_in_the_envelope(schema):
    ok = schema["paths"]["/api/me"]["get"]["responses"]["200"]
    body = ok["content"]["application/json"]["schema"]
    assert body["required"] == ["success", "guid", "data"]
    assert body["properties"]["data"] == {"$ref": "#/components/schemas/Me"}
    assert "X-Request-Id" in ok["headers"]


def test_lists_carry_pagination(schema):
    body = schema["paths"]["/api/keys"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert body["properties"]["data"]["type"] == "array"
    assert body["properties"]["pagination"] == {"$ref": "#/components/schemas/Pagination"}
    assert "pagination" in body["required"]
    assert schema["components"]["schemas"]["Pagination"]["required"] == ["total", "limit", "offset"]


def test_errors_use_the_error_envelope(schema):
    responses = schema["paths"]["/api/keys/{key_id}/revoke"]["post"]["responses"]
    # 409 and 422: a retry with the same Idempotency-Key while the first runs, or that key
    # on a different request.
    assert set(responses) == {"200", "400", "401", "403", "404", "409", "413", "415", "422", "429"}
    for code in ("400", "401", "403", "404", "409", "422", "429"):
        ref = responses[code]["content"]["application/json"]["schema"]
        assert ref == {"$ref": "#/components/schemas/ErrorEnvelope"}
    error = schema["components"]["schemas"]["ErrorEnvelope"]
    assert set(error["properties"]) == {
        "success",
        "guid",
        "errors",
        "errorDetail",
        "missingInputVars",
    }
    assert set(error["required"]) == {"success", "guid", "errors"}


def test_create_answers_201_and_declares_its_422(schema):
    responses = schema["paths"]["/api/keys"]["post"]["responses"]
    assert "201" in responses and "200" not in responses
    assert "422" in responses


def test_routes_without_a_body_declare_none(schema):
    assert "requestBody" not in schema["paths"]["/api/keys/{key_id}/revoke"]["post"]
    assert "requestBody" not in schema["paths"]["/api/me"]["get"]


def test_paths_have_no_trailing_slash(schema):
    assert all(not path.endswith("/") for path in schema["paths"])


def test_every_operation_documents_its_real_success_code(schema):
    """No 204 (DELETE answers 200 with a body); 201 only on creating POSTs; both only for
    upsert, which updates (200) or creates (201)."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = {code for code in operation["responses"] if code.startswith("2")}
            if operation["operationId"] == "records_upsert":
                assert codes == {"200", "201"}
                continue
            assert len(codes) == 1, (method, path, codes)
            if method == "delete":
                assert codes == {"200"}, (method, path)
            if "201" in codes:
                assert method == "post", path


def header_names(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


SECRET_ANSWERS = {
    ("/api/keys", "post"),
    ("/api/webhooks", "post"),
    ("/api/webhooks/{endpoint_id}/rotate-secret", "post"),
}


def test_writes_take_an_idempotency_key_and_say_what_a_retry_gets(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            takes_key = "Idempotency-Key" in header_names(operation)
            writes = method in ("post", "put", "patch", "delete")
            refused = (path, method) in SECRET_ANSWERS  # a secret shown once is never stored
            assert takes_key == (writes and not refused), (method, path)
    create = schema["paths"]["/api/records/{object_name}"]["post"]["responses"]
    assert "Idempotent-Replayed" in create["201"]["headers"]
    assert "Idempotency-Key" in create["409"]["description"]
    assert "Idempotency-Key" in create["422"]["description"]
    assert "Idempotent-Replayed" not in create["401"]["headers"]
    listing = schema["paths"]["/api/records/{object_name}"]["get"]
    assert "Idempotency-Key" not in header_names(listing)


def test_record_writes_take_if_match_and_declare_412(schema):
    detail = schema["paths"]["/api/records/{object_name}/{record_id}"]
    operations = [detail["put"], detail["patch"], detail["delete"]] + [
        schema["paths"][f"/api/records/{{object_name}}/{{record_id}}/{verb}"]["post"]
        for verb in ("archive", "unarchive", "merge")
    ]
    for operation in operations:
        assert "If-Match" in header_names(operation), operation["operationId"]
        assert "412" in operation["responses"], operation["operationId"]
    assert "If-Match" not in header_names(detail["get"])
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    assert "ETag" in detail["patch"]["responses"]["200"]["headers"]
    assert "ETag" not in detail["delete"]["responses"]["200"]["headers"]


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield f"{method.upper()} {path}", operation


def test_no_operation_is_described_by_a_docstring_written_for_developers(schema):
    from api.base_views import ApiView

    internal = [" ".join(ApiView.__doc__.split())]
    leaked = [
        name
        for name, operation in operations(schema)
        if any(doc[:60] in " ".join(operation.get("description", "").split()) for doc in internal)
    ]
    assert leaked == []
    undescribed = [
        name for name, operation in operations(schema) if not operation.get("description")
    ]
    assert undescribed == []


def test_the_records_list_documents_its_filters(schema):
    description = dict(operations(schema))["GET /api/records/{object_name}"]["description"]
    assert "`<key>__<operator>`" in description and "`fields__<field>`" in description
    assert "`icontains`" in description and "?fields__amount__gte=1000" in description


def parameters(operation: dict) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def test_the_events_list_documents_its_cursor_and_filters(schema):
    events = parameters(schema["paths"]["/api/events"]["get"])
    assert events["after"]["schema"]["pattern"] == "^evt_[0-9a-f]{32}$"
    for lookup in ("gt", "gte", "lt", "lte"):
        assert events[f"created_at__{lookup}"]["schema"]["format"] == "date-time"
    assert "record.created" in events["type"]["schema"]["enum"]
    requests = parameters(schema["paths"]["/api/requests"]["get"])
    assert requests["status"]["schema"] == {"type": "integer", "minimum": 100, "maximum": 599}
    assert "POST" in requests["method"]["schema"]["enum"]


def test_the_object_delete_documents_force_and_its_answer(schema):
    delete = schema["paths"]["/api/objects/{object_name}"]["delete"]
    assert parameters(delete)["force"]["schema"]["enum"] == ["false", "true"]
    answer = delete["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["data"] == {"$ref": "#/components/schemas/DeletedRecord"}
