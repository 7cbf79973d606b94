"""Every answer under /api/ is in the envelope, with X-Request-Id equal to the body's guid."""

import pytest
from django.test import override_settings

from tests.conftest import ApiClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.routes")]


def test_200_is_enveloped(read_api):
    response = read_api.get("/api/me").assert_envelope()
    assert response.status == 200
    assert set(response.body) == {"success", "guid", "data"}


def test_201_is_enveloped(write_api):
    response = write_api.post("/api/test/write", {}).assert_envelope()
    assert response.status == 201
    assert response.data == {"wrote": True}


def test_400_malformed_json_says_so(admin_api):
    response = admin_api.post("/api/keys", raw="{not json").assert_envelope()
    assert response.status == 400
    assert response.body["errors"].startswith("The request body is not valid JSON")


def test_401_without_key_carries_www_authenticate(anonymous_api):
    response = anonymous_api.get("/api/me").assert_envelope()
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_403_for_too_little_scope(read_api):
    response = read_api.post("/api/test/write", {}).assert_envelope()
    assert response.status == 403
    assert response.body["errors"] == "This API key has the 'read' scope; this needs 'write'."


@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/nope/", "/api/records/x/y/z", "/api/requests/%2F", "/api/me//"]
)
def test_404_unknown_route(read_api, path):
    response = read_api.get(path).assert_envelope()
    assert response.status == 404
    assert response.body["errors"] == "Nothing exists at this address."
    assert "Allow" not in response.headers


def test_404_unknown_route_any_method(anonymous_api):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        response = anonymous_api.request(method, "/api/does-not-exist").assert_envelope()
        assert response.status == 404, method


def test_405_wrong_method(read_api):
    response = read_api.request("DELETE", "/api/me").assert_envelope()
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.body["errors"] == (
        'Method "DELETE" not allowed. Allowed methods are in the Allow header.'
    )


@override_settings(API_MAX_BODY_BYTES=1024, DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_413_body_over_the_limit(admin_api):
    response = admin_api.post("/api/keys", {"name": "x" * 2000, "scope": "read"}).assert_envelope()
    assert response.status == 413
    assert "the limit is 1024 bytes" in response.body["errors"]


def test_413_default_limit_is_10_mib(admin_api, settings):
    assert settings.API_MAX_BODY_BYTES == 10 * 1024 * 1024
    response = admin_api.post("/api/keys", raw=b"{" + b" " * (10 * 1024 * 1024) + b"}")
    response.assert_envelope()
    assert response.status == 413


def test_415_unsupported_content_type(admin_api):
    response = admin_api.post(
        "/api/keys", raw="<key/>", content_type="application/xml"
    ).assert_envelope()
    assert response.status == 415
    assert response.body["errors"] == (
        'Unsupported media type "application/xml" in request. Send application/json, '
        "application/x-www-form-urlencoded or multipart/form-data."
    )


@override_settings(API_THROTTLE_RATE="2/minute")
def test_429_with_retry_after(read_api):
    assert read_api.get("/api/me").status == 200
    assert read_api.get("/api/me").status == 200
    response = read_api.get("/api/me").assert_envelope()
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.body["errors"].startswith("Too many requests: retry after")


def test_500_in_a_view_has_no_traceback(read_api):
    response = read_api.get("/api/test/crash").assert_envelope()
    assert response.status == 500
    assert "secret internal detail" not in response.raw.content.decode()
    assert response.body["errors"].startswith("Something went wrong on our side.")


def test_500_outside_drf_is_enveloped_too(anonymous_api):
    response = anonymous_api.get("/api/test/plain-crash").assert_envelope()
    assert response.status == 500
    assert "crash outside DRF" not in response.raw.content.decode()


def test_each_request_gets_its_own_guid(read_api):
    first = read_api.get("/api/me").assert_envelope()
    second = read_api.get("/api/me").assert_envelope()
    assert first.body["guid"] != second.body["guid"]


def test_trailing_slash_answers_the_same_without_redirect(read_api):
    with_slash = read_api.get("/api/me/").assert_envelope()
    without = read_api.get("/api/me").assert_envelope()
    assert with_slash.status == without.status == 200
    assert with_slash.data == without.data


def test_accept_header_does_not_change_the_format(read_api):
    response = read_api.get("/api/me", HTTP_ACCEPT="text/html").assert_envelope()
    assert response.status == 200


def test_form_and_multipart_bodies_are_parsed(admin_api):
    form = admin_api.post(
        "/api/keys", raw="scope=read&name=form", content_type="application/x-www-form-urlencoded"
    ).assert_envelope()
    assert form.status == 201 and form.data["name"] == "form"
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="scope"\r\n\r\nwrite\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nmulti\r\n'
        f"--{boundary}--\r\n"
    )
    multipart = admin_api.post(
        "/api/keys", raw=body, content_type=f"multipart/form-data; boundary={boundary}"
    ).assert_envelope()
    assert multipart.status == 201
    assert multipart.data["scope"] == "write" and multipart.data["name"] == "multi"


def test_get_reads_a_body_too(admin_api):
    response = admin_api.request("GET", "/api/requests", {"limit": 1}).assert_envelope()
    assert response.status == 200
    assert response.body["pagination"]["limit"] == 1


def test_nul_bytes_in_body_are_a_400(admin_api):
    response = admin_api.post("/api/keys", {"scope": "read", "name": "a\u0000b"}).assert_envelope()
    assert response.status == 400
    assert "NUL" in response.body["errors"]


def test_nul_bytes_in_query_are_a_400(read_api):
    response = read_api.get("/api/requests?sort=%00").assert_envelope()
    assert response.status == 400
    assert "NUL" in response.body["errors"]


@pytest.mark.parametrize(("depth", "status"), [(480, 422), (5000, 422), (100000, 400)])
def test_deeply_nested_json_never_crashes(admin_api, depth, status):
    body = '{"scope": ' + "[" * depth + "]" * depth + "}"
    response = admin_api.post("/api/keys", raw=body).assert_envelope()
    assert response.status == status
    if status == 400:
        assert response.body["errors"] == (
            "The request body is not valid JSON: it is nested too deeply."
        )
    else:  # parsed, then refused as a scope
        assert list(response.body["errorDetail"]) == ["scope"]


def test_nested_but_valid_json_is_scanned_without_a_crash(read_api):
    body = '{"sort": ' + "[" * 480 + "]" * 480 + "}"
    response = read_api.request("GET", "/api/requests", raw=body).assert_envelope()
    assert response.status == 400


def test_body_must_be_an_object_when_read_as_parameters(read_api):
    response = read_api.request("GET", "/api/requests", [1, 2]).assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == "The request body must be a JSON object."


@pytest.mark.parametrize("literal", ["1e999", "-1e999", "NaN", "Infinity"])
def test_non_finite_numbers_are_a_400(admin_api, literal):
    response = admin_api.post(
        "/api/keys", raw='{"scope": "read", "name": ' + literal + "}"
    ).assert_envelope()
    assert response.status == 400
    assert response.body["errors"].startswith("The request body is not valid JSON")


@pytest.mark.parametrize("body", ["null", "0", "false", '""', "[1]"])
def test_a_body_that_is_not_an_object_is_a_400(admin_api, body):
    created = admin_api.post("/api/keys", raw=body).assert_envelope()
    assert created.status == 400
    assert created.body["errors"] == "The request body must be a JSON object."
    listed = admin_api.request("GET", "/api/requests", raw=body).assert_envelope()
    assert listed.status == 400
    assert listed.body["errors"] == "The request body must be a JSON object."


def test_a_body_is_parsed_even_where_the_view_reads_none(admin_api, org, make_key):
    api_key, _ = make_key(org, "read")
    xml = admin_api.post(
        f"/api/keys/{api_key.id}/revoke", raw="<x/>", content_type="application/xml"
    ).assert_envelope()
    assert xml.status == 415
    broken = admin_api.post(f"/api/keys/{api_key.id}/revoke", raw="{oops").assert_envelope()
    assert broken.status == 400
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    me = admin_api.request(
        "GET", "/api/me", raw="<x/>", content_type="application/xml"
    ).assert_envelope()
    assert me.status == 415


def test_uppercase_content_types_are_understood(admin_api):
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="scope"\r\n\r\nread\r\n'
        f"--{boundary}--\r\n"
    )
    multipart = admin_api.post(
        "/api/keys", raw=body, content_type=f"Multipart/Form-Data; boundary={boundary}"
    ).assert_envelope()
    assert multipart.status == 201
    json_upper = admin_api.post(
        "/api/keys", raw='{"scope": "read"}', content_type="APPLICATION/JSON; charset=UTF-8"
    ).assert_envelope()
    assert json_upper.status == 201


@pytest.mark.parametrize("length", ["-5", "abc"])
def test_a_bad_content_length_is_a_400(admin_api, length):
    response = admin_api.post("/api/keys", {"scope": "read"}, CONTENT_LENGTH=length)
    response.assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == "The Content-Length header is not a valid length."


@pytest.mark.parametrize("method", ["DISPATCH", "SETUP", "FINALIZE_RESPONSE", "PROPFIND"])
def test_methods_no_route_answers_are_a_405(read_api, anonymous_api, method):
    for api in (read_api, anonymous_api):
        response = api.request(method, "/api/me").assert_envelope()
        assert response.status == 405


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("OPTIONS", "/api/docs"),
        ("OPTIONS", "/api/redoc"),
        ("POST", "/api/schema"),
        ("OPTIONS", "/api/schema"),
        ("DELETE", "/api/docs"),
    ],
)
def test_the_docs_refuse_other_methods_in_the_envelope(anonymous_api, method, path):
    response = anonymous_api.request(method, path, HTTP_ACCEPT="application/json")
    response.assert_envelope()
    assert response.status == 405


def test_api_index_needs_no_key():
    response = ApiClient().get("/api").assert_envelope()
    assert response.status == 200
    assert response.data["docs"] == "/api/docs"


def test_too_many_form_fields_is_a_400(admin_api):
    body = "&".join(f"f{index}=1" for index in range(1100))
    response = admin_api.post(
        "/api/keys", raw=body, content_type="application/x-www-form-urlencoded"
    ).assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == (
        "The form body has too many fields; send JSON for large inputs."
    )


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"limit": True}, "limit"),
        ({"limit": {"a": 1}}, "limit"),
        ({"limit": 1e300}, "limit"),
        ({"offset": -0.5}, "offset"),
        ({"sort": 5}, "sort"),
        ({"sort": ["status"]}, None),
    ],
)
def test_wrong_types_in_a_get_body_name_the_parameter(read_api, body, parameter):
    response = read_api.request("GET", "/api/requests", body).assert_envelope()
    if parameter is None:  # a one-item list counts as the value
        assert response.status == 200
        return
    assert response.status == 400
    assert list(response.body["errorDetail"]) == [parameter]


def test_huge_integer_in_json_is_a_400(admin_api):
    response = admin_api.post("/api/keys", raw='{"scope": ' + "9" * 5000 + "}").assert_envelope()
    assert response.status == 400
    assert response.body["errors"].startswith("The request body is not valid JSON")


def test_disallowed_host_is_a_400_in_the_envelope(anonymous_api):
    response = anonymous_api.get("/api/me", HTTP_HOST="evil.example.com").assert_envelope()
    assert response.status == 400


def test_a_deadlock_is_a_409_to_retry_not_a_500(read_api):
    response = read_api.get("/api/test/deadlock").assert_envelope()
    assert response.status == 409
    assert response.body["errors"] == (
        "This write collided with a concurrent one and nothing was written; retry it."
    )
