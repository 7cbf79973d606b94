"""Strict input, checked where bodies and query strings are parsed, so every route gets it:
a lone surrogate is a 422 naming the input, a key twice in one JSON object a 400, a JSON value
of the wrong type a 422 (never coerced), a form body or query string that is not UTF-8 a 400
(never U+FFFD), and a malformed multipart body a 400 (never read as empty)."""

import pytest

from accounts.models import ApiKey
from records.models import Object, Record

pytestmark = pytest.mark.django_db

SURROGATE_PROBLEM = "Contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text."


def surrogate_error(path: str, where: str = "request body") -> dict:
    return {
        "errors": f"Invalid value for '{path}' in the {where}: it contains a lone surrogate "
        "(\\ud800-\\udfff), which is not Unicode text.",
        "errorDetail": {path: [SURROGATE_PROBLEM]},
    }


def error_of(response) -> dict:
    response.assert_envelope()
    return {key: response.body[key] for key in ("errors", "errorDetail") if key in response.body}


@pytest.fixture
def notes(admin_api, write_api):
    body = {"api_name": "notes", "fields": [{"api_name": "text", "type": "text"}]}
    assert admin_api.post("/api/objects", body).status == 201
    first = write_api.post("/api/records/notes", {"name": "first"})
    second = write_api.post("/api/records/notes", {"name": "second"})
    assert first.status == second.status == 201
    return first.data["id"], second.data["id"]


def raw_json(api, method: str, path: str, text: str, **headers):
    return api.request(method, path, raw=text.encode(), **headers)


@pytest.mark.parametrize(
    ("method", "path", "text", "input_name"),
    [
        ("POST", "/api/records/notes", '{"name": "a\\ud800b"}', "name"),
        (
            "POST",
            "/api/records/notes",
            '{"name": "a", "fields": {"text": "\\udfff"}}',
            "fields.text",
        ),
        (
            "POST",
            "/api/records/notes",
            '{"name": "a", "fields": {"te\\ud800xt": "x"}}',
            "fields.te\ufffdxt",
        ),
        (
            "POST",
            "/api/records/notes/search",
            '{"filters": {"name": {"operator": "", "value": ["\\ud800"]}}}',
            "filters.name.value.0",
        ),
        ("POST", "/api/records/notes/upsert", '{"name": "\\ud83d"}', "name"),
        (
            "POST",
            "/api/records/notes/batch",
            '{"operations": [{"op": "create", "name": "\\ud800"}]}',
            "operations.0.name",
        ),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_a_422_naming_the_input(
    notes, write_api, method, path, text, input_name
):
    before = Record.objects.count()
    response = raw_json(write_api, method, path, text)
    assert response.status == 422
    assert error_of(response) == surrogate_error(input_name)
    assert Record.objects.count() == before


@pytest.mark.parametrize("escape", ["\\uDC00", "\\udbff", "\\uD800\\u0041"])
def test_a_lone_surrogate_escaped_in_upper_or_lower_case_is_a_422(notes, write_api, escape):
    before = Record.objects.count()
    response = raw_json(write_api, "POST", "/api/records/notes", f'{{"name": "a{escape}"}}')
    assert response.status == 422
    assert error_of(response) == surrogate_error("name")
    assert Record.objects.count() == before


def test_a_surrogate_pair_escaped_is_one_character(notes, write_api):
    response = raw_json(write_api, "POST", "/api/records/notes", '{"name": "\\uD83D\\ude00"}')
    assert response.status == 201, response.body
    assert response.data["name"] == "\U0001f600"


def test_a_lone_surrogate_in_merge_and_key_bodies_is_a_422(notes, write_api, admin_api):
    survivor, _ = notes
    response = raw_json(
        write_api,
        "POST",
        f"/api/records/notes/{survivor}/merge",
        '{"from": "\\ud800"}',
        HTTP_X_EXPERIMENTAL="merge",
    )
    assert response.status == 422
    assert error_of(response) == surrogate_error("from")
    keys = ApiKey.objects.count()
    response = raw_json(admin_api, "POST", "/api/keys", '{"scope": "read\\udc00"}')
    assert response.status == 422
    assert error_of(response) == surrogate_error("scope")
    assert ApiKey.objects.count() == keys


@pytest.mark.parametrize(
    ("query", "input_name"),
    [("name=%ED%A0%80", "name"), ("fields__text%ED%B0%80=x", "fields__text\ufffd")],
)
def test_a_lone_surrogate_in_a_query_string_is_a_422(notes, read_api, query, input_name):
    response = read_api.get(f"/api/records/notes?{query}")
    assert response.status == 422
    assert error_of(response) == surrogate_error(input_name, "query string")
    response = read_api.get(f"/api/events?{query}")
    assert response.status == 422
    assert error_of(response) == surrogate_error(input_name, "query string")


def test_a_lone_surrogate_in_a_form_body_is_a_422(notes, write_api, admin_api):
    form = "application/x-www-form-urlencoded"
    response = write_api.post("/api/records/notes", raw="name=%ED%A0%80", content_type=form)
    assert response.status == 422
    assert error_of(response) == surrogate_error("name")
    response = admin_api.post("/api/keys", raw="scope=read&name=%ED%BF%BF", content_type=form)
    assert response.status == 422
    assert error_of(response) == surrogate_error("name")


@pytest.mark.parametrize("path", ["/api/keys", "/api/objects"])
def test_a_key_twice_in_one_json_object_is_a_400(admin_api, path):
    keys, objects = ApiKey.objects.count(), Object.objects.count()
    text = '{"scope": "read", "api_name": "a", "name": "x", "name": "y"}'
    response = raw_json(admin_api, "POST", path, text)
    assert response.status == 400
    assert error_of(response) == {
        "errors": "The request body has the key 'name' twice in one object; send each key once."
    }
    assert (ApiKey.objects.count(), Object.objects.count()) == (keys, objects)


def test_a_key_twice_in_a_nested_object_is_a_400(notes, write_api):
    text = '{"name": "a", "fields": {"text": "x", "text": "y"}}'
    response = raw_json(write_api, "POST", "/api/records/notes", text)
    assert response.status == 400
    assert error_of(response) == {
        "errors": "The request body has the key 'text' twice in one object; send each key once."
    }


@pytest.mark.parametrize(
    ("path", "body", "name", "problem"),
    [
        ("/api/keys", {"scope": "read", "name": 0}, "name", "Not a valid string."),
        ("/api/keys", {"scope": "read", "name": 1.5}, "name", "Not a valid string."),
        ("/api/objects", {"api_name": 12}, "api_name", "Not a valid string."),
        (
            "/api/objects",
            {"api_name": "a", "description": ["x"]},
            "description",
            "Not a valid string.",
        ),
        (
            "/api/objects/notes/fields",
            {"api_name": "flag", "type": "boolean", "required": "true"},
            "required",
            "Must be a valid boolean.",
        ),
        (
            "/api/webhooks",
            {"url": "https://example.com/hook", "events": [1]},
            "events",
            "Not a valid string.",
        ),
    ],
)
def test_a_json_value_of_the_wrong_type_is_a_422_not_coerced(
    notes, admin_api, path, body, name, problem
):
    keys, objects = ApiKey.objects.count(), Object.objects.count()
    response = admin_api.post(path, body)
    assert response.status == 422
    assert error_of(response) == {
        "errors": f"Invalid value for '{name}': {problem}",
        "errorDetail": {name: [problem]},
    }
    assert (ApiKey.objects.count(), Object.objects.count()) == (keys, objects)


def test_form_bodies_still_send_text(admin_api):
    form = "application/x-www-form-urlencoded"
    response = admin_api.post("/api/keys", raw="scope=read&name=7", content_type=form)
    assert response.status == 201
    assert response.data["name"] == "7"


@pytest.mark.parametrize("raw", ["scope=read&name=%FF", "scope=read&name=\xff"])
@pytest.mark.parametrize("path", ["/api/keys", "/api/objects"])
def test_a_form_body_that_is_not_utf8_is_a_400(admin_api, path, raw):
    keys = ApiKey.objects.count()
    body = raw.encode("latin-1")
    response = admin_api.post(path, raw=body, content_type="application/x-www-form-urlencoded")
    assert response.status == 400
    message = response.assert_envelope().body["errors"]
    assert message in (
        "The request body is not valid UTF-8.",
        "The request body is not valid UTF-8: a %-escape decodes to no character.",
    )
    assert ApiKey.objects.count() == keys


@pytest.mark.parametrize("path", ["/api/records/notes", "/api/events"])
def test_a_query_string_that_is_not_utf8_is_a_400(notes, read_api, path):
    response = read_api.get(f"{path}?name=%FF")
    assert response.status == 400
    assert error_of(response) == {
        "errors": "The query string is not valid UTF-8: a %-escape decodes to no character."
    }


MALFORMED_MULTIPART = [
    b"scope=read",  # no parts at all
    b'--XyZ\r\nContent-Disposition: form-data; name="scope"\r\n\r\nread\r\n',  # never closed
]


@pytest.mark.parametrize("body", MALFORMED_MULTIPART)
@pytest.mark.parametrize("path", ["/api/keys", "/api/objects"])
def test_a_malformed_multipart_body_is_a_400(admin_api, path, body):
    keys, objects = ApiKey.objects.count(), Object.objects.count()
    response = admin_api.post(path, raw=body, content_type="multipart/form-data; boundary=XyZ")
    assert response.status == 400
    assert error_of(response) == {
        "errors": "The multipart body is malformed: its parts must open with '--<boundary>' "
        "and the body must end with '--<boundary>--'."
    }
    assert (ApiKey.objects.count(), Object.objects.count()) == (keys, objects)


def test_a_well_formed_multipart_body_is_read(admin_api):
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="scope"\r\n\r\nread\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nm\r\n--XyZ--\r\n'
    )
    response = admin_api.post(
        "/api/keys", raw=body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert response.status == 201
    assert response.data["name"] == "m"


def test_wrong_types_are_named_with_the_other_errors(admin_api):
    response = admin_api.post("/api/keys", {"scope": "x", "name": 0})
    assert response.status == 422
    assert error_of(response) == {
        "errors": "Invalid values for 'scope', 'name'; see errorDetail.",
        "errorDetail": {
            "scope": ['"x" is not a scope; use one of read, write, admin.'],
            "name": ["Not a valid string."],
        },
    }
    response = admin_api.post("/api/keys", {"name": 0})
    assert response.status == 400
    assert response.body["missingInputVars"] == ["scope"]
    assert response.body["errorDetail"] == {"name": ["Not a valid string."]}


def multipart_part(name: bytes, value: bytes) -> bytes:
    return (
        b'--XyZ\r\nContent-Disposition: form-data; name="'
        + name
        + b'"\r\n\r\n'
        + value
        + b"\r\n--XyZ--\r\n"
    )


@pytest.mark.parametrize(
    ("name", "value", "input_name"),
    [
        (b"name", b"a\xed\xa0\x80b", "name"),  # U+D800 encoded as if it were a character
        (b"fields.text", b"\xed\xbf\xbf", "fields.text"),
        (b"n\xed\xa0\x80me", b"x", "n\ufffdme"),  # in the name: shown replaced
    ],
)
def test_a_lone_surrogate_in_a_multipart_part_is_a_422_naming_it(
    notes, write_api, name, value, input_name
):
    response = write_api.post(
        "/api/records/notes",
        raw=multipart_part(name, value),
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert response.status == 422
    assert error_of(response) == surrogate_error(input_name)
    assert Record.objects.count() == 2


def test_a_multipart_value_that_is_not_utf8_is_a_400_not_replacement_characters(notes, write_api):
    response = write_api.post(
        "/api/records/notes",
        raw=multipart_part(b"name", b"\xff\xfe"),
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert response.status == 400
    assert error_of(response) == {
        "errors": "The multipart body is not valid UTF-8: a part's name or value holds bytes "
        "that decode to no character."
    }
    assert Record.objects.count() == 2


@pytest.mark.parametrize(
    "value",
    [
        "lone \ud800 surrogate",  # as a server that decodes headers would pass it
        "lone \xed\xa0\x80 surrogate",  # as WSGI passes its UTF-8 bytes: Latin-1
    ],
)
@pytest.mark.parametrize(
    ("header", "shown"),
    [("HTTP_IDEMPOTENCY_KEY", "Idempotency-Key"), ("HTTP_IF_MATCH", "If-Match")],
)
def test_a_lone_surrogate_in_a_header_is_a_422_naming_it(notes, write_api, value, header, shown):
    first, _ = notes
    response = write_api.request(
        "PATCH", f"/api/records/notes/{first}", {"name": "changed"}, **{header: f'"{value}"'}
    )
    assert response.status == 422
    assert error_of(response) == surrogate_error(shown, where="headers")
    assert Record.objects.get(pk=first).name == "first"
