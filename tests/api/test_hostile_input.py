"""The hostile-input corpus: every write route and every GET route of the URL configuration
(walked as the isolation test walks it, so a new route is covered the day it is added) gets
input a careless or hostile client sends: lone surrogates and NUL characters in JSON, form and
multipart bodies, in the query string and in headers; JSON nested 10,000 deep; integers past
2**63 in ids, numbers and pagination; huge strings; the wrong Content-Type or none; malformed
JSON; arrays where objects belong and objects where arrays belong; invalid UTF-8; a key twice;
an unknown key.

Each is input the API must refuse, so every answer must be a 4xx (never a 5xx, never a 2xx) in
the contract's error envelope, small, and the database must be exactly as it was before.

Each write route's cases are variations of a body valid for it (valid_bodies(), each checked
by test_every_valid_body_is_accepted: the corpus' answers are refusals of the hostility, not
of a body that was wrong anyway); a write route without one fails the run, naming it."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from accounts.models import ApiKey
from api.models import RequestLog
from tests.api.test_isolation import PATH_PARAMETERS, ROUTES, Route
from tests.webhooks.conftest import receiver  # noqa: F401 - the endpoint delivers to it
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
WRITE_ROUTES = [(route, m) for route in ROUTES for m in route.methods if m in WRITE_METHODS]
GET_ROUTES = [route for route in ROUTES if "get" in route.methods]
# Documents, not API answers: they are not envelopes and read no input, but must not fail.
DOCUMENT_ROUTES = {"api/schema", "api/docs", "api/redoc"}
# The routes that read If-Match; elsewhere the header is ignored, so any value is valid there.
IF_MATCH_ROUTES = {
    "api/records/<str:object_name>/<str:record_id>",
    "api/records/<str:object_name>/<str:record_id>/archive",
    "api/records/<str:object_name>/<str:record_id>/unarchive",
    "api/records/<str:object_name>/<str:record_id>/merge",
}
HEADERS = {"HTTP_X_EXPERIMENTAL": "merge"}  # so the merge route reaches its input
PAST_2_63 = 2**64  # past a signed 64-bit integer, and past PostgreSQL's bigint
HUGE = "x" * 1_000_000
MAX_ERROR_BYTES = 16_384  # an error echoes a value cut short, so it stays small
SURROGATE_UTF8 = b"\xed\xa0\x80"  # U+D800 encoded as if it were a character
BOUNDARY = "HostileBoundary7"


def valid_bodies(values: dict[str, str], hook_url: str) -> dict[tuple[str, str], dict]:
    """A body each write route accepts (checked by test_every_valid_body_is_accepted)."""
    record = "api/records/<str:object_name>/<str:record_id>"
    return {
        ("api/keys", "post"): {"scope": "read", "name": "reporting"},
        ("api/keys/<str:key_id>/revoke", "post"): {},
        ("api/objects", "post"): {
            "api_name": "tickets",
            "singular_name": "Ticket",
            "plural_name": "Tickets",
            "fields": [{"api_name": "priority", "type": "integer"}],
        },
        ("api/objects/<str:object_name>", "patch"): {"singular_name": "Deal", "plural_name": "D"},
        ("api/objects/<str:object_name>", "delete"): {"force": True},
        ("api/objects/<str:object_name>/fields", "post"): {"api_name": "extra", "type": "text"},
        ("api/objects/<str:object_name>/fields/<str:field_name>", "patch"): {"label": "Count"},
        ("api/objects/<str:object_name>/fields/<str:field_name>", "delete"): {},
        ("api/records/<str:object_name>", "post"): {"name": "New", "fields": {"count": 3}},
        ("api/records/<str:object_name>/upsert", "post"): {"name": "Up", "fields": {"count": 2}},
        ("api/records/<str:object_name>/batch", "post"): {
            "operations": [{"op": "create", "name": "Batched", "fields": {"count": 1}}]
        },
        ("api/records/<str:object_name>/search", "post"): {
            "filters": {"fields__count": {"operator": "gt", "value": [1]}}
        },
        (record, "put"): {"name": "Renamed", "fields": {"count": 4}},
        (record, "patch"): {"name": "Renamed", "fields": {"count": 4}},
        (record, "delete"): {},
        (record + "/archive", "post"): {},
        (record + "/unarchive", "post"): {},
        (record + "/merge", "post"): {"from": values["other_record_id"]},
        ("api/webhooks", "post"): {"url": hook_url, "events": ["record.created"]},
        ("api/webhooks/<str:endpoint_id>", "patch"): {"description": "d", "events": ["record.*"]},
        ("api/webhooks/<str:endpoint_id>", "delete"): {},
        ("api/webhooks/<str:endpoint_id>/rotate-secret", "post"): {},
        ("api/webhooks/<str:endpoint_id>/test", "post"): {},
        ("api/webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/retry", "post"): {},
    }


@dataclass
class Tenant:
    """An organization with data of every kind, its admin key, and how to fill each path."""

    raw_key: str
    values: dict[str, str]
    hook_url: str


@pytest.fixture
def tenant(org, make_key, receiver) -> Tenant:  # noqa: F811 - the receiver fixture
    _, raw = make_key(org, "admin")
    revocable, _ = make_key(org, "read", name="to-revoke")
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def created(path: str, body: dict) -> dict:
        response = client.post(path, json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 201, response.content
        return json.loads(response.content)

    created(
        "/api/objects",
        {
            "api_name": "deals",
            "fields": [
                {"api_name": "count", "type": "integer"},
                {"api_name": "amount", "type": "number"},
            ],
        },
    )
    endpoint = created("/api/webhooks", {"url": receiver.url, "events": ["record.*"]})
    deal = created("/api/records/deals", {"name": "Deal", "fields": {"count": 1}})
    other = created("/api/records/deals", {"name": "Other", "fields": {"count": 2}})
    values = {
        "object_name": "deals",
        "field_name": "count",
        "record_id": deal["data"]["id"],
        "other_record_id": other["data"]["id"],
        "key_id": str(revocable.id),
        "endpoint_id": endpoint["data"]["id"],
        "delivery_id": str(Delivery.objects.filter(org=org).first().id),
        "guid": deal["guid"],
    }
    assert set(PATH_PARAMETERS) <= set(values)
    return Tenant(raw_key=raw, values=values, hook_url=receiver.url + "/hook")


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, as stored. Left out: the request log, which is meant to grow
    with every request, refused or not; and a key's `last_used_at`, bookkeeping that a request
    may stamp (at most once a minute) whatever its answer."""
    rows = {}
    for model in apps.get_models():
        if model is RequestLog:
            continue
        values = list(model.objects.order_by("pk").values())
        if model is ApiKey:
            values = [{k: v for k, v in row.items() if k != "last_used_at"} for row in values]
        rows[model._meta.label] = values
    return rows


@dataclass(frozen=True)
class Case:
    """One hostile request: its body (None: none), Content-Type (None: no header), query
    string, extra headers (WSGI names) and path values replacing the tenant's."""

    name: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    path_values: tuple[tuple[str, str], ...] = ()


def leaves(value: Any, kind: type, path: tuple = ()) -> Iterator[tuple]:
    """The paths to every value of `kind` inside `value`, depth first, in key order."""
    if isinstance(value, kind) and not isinstance(value, bool) and path:
        yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, kind, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, kind, (*path, index))


def replaced(body: dict, kind: type, new: Callable[[Any], Any], fallback_key: str) -> dict:
    """`body` with its first value of `kind` replaced by new(old); without one, a
    `fallback_key` set to new(None) (an unknown key: refused, whatever its value)."""
    copy = json.loads(json.dumps(body))
    for path in leaves(copy, kind):
        parent = copy
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = new(parent[path[-1]])
        return copy
    copy[fallback_key] = new(None)
    return copy


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: a surrogate goes as a \ud800 escape


def multipart(name: str, value: bytes, *, closed: bool = True) -> tuple[bytes, str]:
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + (f"\r\n--{BOUNDARY}--\r\n".encode() if closed else b"\r\n")
    )
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def body_cases(body: dict) -> list[Case]:
    """The hostile variants of a valid JSON body, in every encoding."""
    text = json.dumps(body)
    marker = replaced(body, str, lambda _: "MARKER", "name")
    first_key = next(iter(body), "name")
    mp_surrogate, mp_type = multipart("name", SURROGATE_UTF8)
    mp_invalid, _ = multipart("name", b"\xff\xfe")
    mp_nul, _ = multipart("name", b"a\x00b")
    mp_unclosed, _ = multipart("name", b"x", closed=False)

    def swap_shape(value: Any) -> Any:
        return {"0": value} if isinstance(value, list) else [value]

    # The first list inside the body made an object, else the first object made a list, else
    # a list where records take their `fields` object (an unknown key elsewhere).
    kind = next((k for k in (list, dict) if any(leaves(body, k))), None)
    if kind is not None:
        swapped = replaced(body, kind, swap_shape, "unused")
    else:
        swapped = {**body, "fields": ["not", "an", "object"]}
    return [
        Case(
            "json: lone surrogate in a value",
            as_json(replaced(body, str, lambda _: "\ud800", "name")),
        ),
        Case("json: lone surrogate in a key", as_json({**body, "\udc00": 1})),
        Case("json: NUL in a value", as_json(replaced(body, str, lambda _: "a\x00b", "name"))),
        Case("json: nested 10,000 deep", f'{{"name": {"[" * 10_000}{"]" * 10_000}}}'.encode()),
        Case(
            "json: integer past 2**63",
            as_json(replaced(body, int, lambda _: PAST_2_63, "limit")),
        ),
        Case(
            "json: integer past 2**63 where a string belongs",
            as_json(replaced(body, str, lambda _: PAST_2_63, "name")),
        ),
        Case("json: huge string", as_json(replaced(body, str, lambda _: HUGE, "name"))),
        Case("json: malformed", text[:-1].encode()),
        Case("json: array where the object belongs", as_json([body])),
        Case("json: array and object swapped inside", as_json(swapped)),
        Case("json: invalid UTF-8", as_json(marker).replace(b"MARKER", b"\xff\xfe")),
        Case(
            "json: a key twice",
            (f'{{"{first_key}": null, {text[1:]}' if body else '{"a": 1, "a": 1}').encode(),
        ),
        Case("json: unknown key", as_json({**body, "no_such_input": 1})),
        Case("Content-Type text/plain", text.encode(), "text/plain"),
        Case("Content-Type application/xml", b"<name>x</name>", "application/xml"),
        Case("no Content-Type", text.encode(), None),
        Case("form: lone surrogate", b"name=%ED%A0%80", "application/x-www-form-urlencoded"),
        Case("form: invalid UTF-8", b"name=%FF", "application/x-www-form-urlencoded"),
        Case("form: NUL", b"name=a%00b", "application/x-www-form-urlencoded"),
        Case("multipart: lone surrogate", mp_surrogate, mp_type),
        Case("multipart: invalid UTF-8", mp_invalid, mp_type),
        Case("multipart: NUL", mp_nul, mp_type),
        Case("multipart: not closed", mp_unclosed, mp_type),
        Case("query: lone surrogate", text.encode(), query="name=%ED%A0%80"),
        Case("query: invalid UTF-8", text.encode(), query="name=%FF"),
        Case("query: NUL", text.encode(), query="name=%00"),
        Case("query: unknown parameter", text.encode(), query="no_such_parameter=1"),
        Case(
            "header: lone surrogate in Idempotency-Key",
            text.encode(),
            headers=(("HTTP_IDEMPOTENCY_KEY", SURROGATE_UTF8.decode("latin-1")),),
        ),
        Case(
            "header: NUL in Idempotency-Key",
            text.encode(),
            headers=(("HTTP_IDEMPOTENCY_KEY", "a\x00b"),),
        ),
        *authorization_cases(text.encode()),
    ]


def authorization_cases(body: bytes | None) -> list[Case]:
    return [
        Case(
            f"header: {name} in Authorization",
            body,
            headers=(("HTTP_AUTHORIZATION", "Bearer rb_" + value),),
        )
        for name, value in (
            ("lone surrogate", SURROGATE_UTF8.decode("latin-1")),
            ("NUL", "a\x00b"),
            ("huge value", "x" * 100_000),
        )
    ]


# Route-specific refusals beyond the generic variations: numbers past 2**63 where the route
# reads a window or an id, and the shapes its body nests.
EXTRA_BODIES: dict[tuple[str, str], list[tuple[str, dict]]] = {
    ("api/records/<str:object_name>/search", "post"): [
        ("limit past 2**63", {"limit": PAST_2_63}),
        ("offset past 2**63", {"offset": PAST_2_63}),
        (
            "an `in` value past 2**63",
            {"filters": {"fields__count": {"operator": "in", "value": [PAST_2_63]}}},
        ),
        ("`any` an object", {"any": {"name": {"operator": "", "value": ["x"]}}}),
        ("`filters` a list", {"filters": [{"name": {"operator": "", "value": ["x"]}}]}),
    ],
    ("api/records/<str:object_name>/batch", "post"): [
        ("an id past 2**63", {"operations": [{"op": "update", "id": PAST_2_63, "fields": {}}]}),
        ("operations an object", {"operations": {"op": "create", "name": "x"}}),
        ("an operation a list", {"operations": [["create", "x"]]}),
    ],
    ("api/objects", "post"): [
        ("fields an object", {"api_name": "tickets", "fields": {"api_name": "x", "type": "text"}}),
    ],
    ("api/webhooks", "post"): [
        ("events an object", {"url": "http://127.0.0.1:9/h", "events": {"0": "record.created"}}),
    ],
}


def extra_cases(route: Route, method: str) -> list[Case]:
    return [
        Case(f"json: {name}", as_json(body))
        for name, body in EXTRA_BODIES.get((route.path, method), [])
    ]


def if_match_cases(body: dict) -> list[Case]:
    text = json.dumps(body).encode()
    return [
        Case(
            "header: lone surrogate in If-Match",
            text,
            headers=(("HTTP_IF_MATCH", '"' + SURROGATE_UTF8.decode("latin-1") + '"'),),
        ),
        Case("header: NUL in If-Match", text, headers=(("HTTP_IF_MATCH", '"1\x00"'),)),
        Case(
            "header: integer past 2**63 in If-Match",
            text,
            headers=(("HTTP_IF_MATCH", f'"{PAST_2_63}"'),),
        ),
    ]


def id_cases(route: Route, body: bytes | None) -> list[Case]:
    """Each id of the path replaced by an integer past 2**63, then by a huge string."""
    cases = []
    for param in route.params:
        for label, value in (("integer past 2**63", str(PAST_2_63)), ("huge string", "x" * 5000)):
            cases.append(Case(f"path: {label} as {param}", body, path_values=((param, value),)))
    return cases


def query_cases(*, public: bool) -> list[Case]:
    """The hostile query strings of a GET (and the body a GET may carry); and, where the route
    is not public (a public one ignores credentials), hostile credentials."""
    return [
        Case("query: lone surrogate", query="limit=%ED%A0%80"),
        Case("query: lone surrogate in a key", query="%ED%A0%80=1"),
        Case("query: invalid UTF-8", query="limit=%FF"),
        Case("query: NUL", query="limit=1%00"),
        Case("query: offset past 2**63", query=f"offset={PAST_2_63}"),
        Case("query: page past 2**63", query=f"page={PAST_2_63}"),
        Case("query: limit not an integer", query="limit=" + "9" * 5000 + "x"),
        Case("query: huge value", query="offset=" + "x" * 100_000),
        Case("query: unknown parameter", query="no_such_parameter=1"),
        Case("body: malformed JSON", b'{"limit": '),
        Case("body: nested 10,000 deep", b'{"limit": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
        Case("body: lone surrogate", b'{"limit": "\\ud800"}'),
        Case("body: Content-Type text/plain", b"limit=1", "text/plain"),
        *([] if public else authorization_cases(None)),
    ]


def send(tenant: Tenant, method: str, route: Route, case: Case):
    values = {**tenant.values, **dict(case.path_values)}
    path = route.fill(values) + (f"?{case.query}" if case.query else "")
    extra = {**HEADERS, "HTTP_AUTHORIZATION": f"Bearer {tenant.raw_key}", **dict(case.headers)}
    client = Client(raise_request_exception=False)
    if case.body is None:
        return client.generic(method.upper(), path, **extra)
    # An empty CONTENT_TYPE is what a WSGI server passes for a request without the header.
    content_type = case.content_type or ""
    return client.generic(method.upper(), path, case.body, content_type, **extra)


def problems_with(response) -> str | None:
    """What is wrong with the answer to a request that must be refused, or None."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}: {response.content[:300]!r}"
    if len(response.content) > MAX_ERROR_BYTES:
        return f"an error of {len(response.content)} bytes"
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"not JSON: {response.content[:300]!r}"
    envelope_ok = (
        response.headers.get("Content-Type", "").startswith("application/json")
        and body.get("success") is False
        and isinstance(body.get("errors"), str)
        and body["errors"]
        and body.get("guid") == response.headers.get("X-Request-Id")
        and "Traceback" not in response.content.decode("utf-8", "replace")
    )
    return None if envelope_ok else f"not the error envelope: {response.content[:300]!r}"


def run_corpus(tenant: Tenant, method: str, route: Route, cases: list[Case]) -> None:
    """Sends each case and checks its answer and the database; each in a transaction rolled
    back afterwards, so that a case that wrongly changed something does not hide the next."""
    before = snapshot()
    failures = []
    for case in cases:
        with transaction.atomic():
            response = send(tenant, method, route, case)
            problem = problems_with(response)
            if problem is None and snapshot() != before:
                problem = "the database changed"
            transaction.set_rollback(True)
        if problem is not None:
            failures.append(f"{method.upper()} /{route.path} [{case.name}]: {problem}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def bodies(tenant) -> dict[tuple[str, str], dict]:
    return valid_bodies(tenant.values, tenant.hook_url)


def test_the_corpus_reaches_every_route():
    assert len(WRITE_ROUTES) >= 20 and len(GET_ROUTES) >= 15
    # Every route takes only parameters the tenant fixture fills (the isolation test's rule).
    for route in ROUTES:
        assert set(route.params) <= set(PATH_PARAMETERS), route


@pytest.mark.parametrize(("route", "method"), WRITE_ROUTES, ids=lambda v: str(v))
def test_every_valid_body_is_accepted(route, method, tenant, bodies):
    """The control: the corpus' bodies start from one the route accepts."""
    assert (route.path, method) in bodies, (
        f"{method.upper()} /{route.path} has no valid body in valid_bodies(): add one, so that "
        "the hostile-input corpus covers it."
    )
    case = Case("valid", as_json(bodies[route.path, method]))
    response = send(tenant, method, route, case)
    assert response.status_code < 300, (method, route.path, response.content[:500])


@pytest.mark.parametrize(("route", "method"), WRITE_ROUTES, ids=lambda v: str(v))
def test_hostile_bodies_are_refused_and_change_nothing(route, method, tenant, bodies):
    assert (route.path, method) in bodies, f"{method.upper()} /{route.path}: no valid body"
    body = bodies[route.path, method]
    cases = body_cases(body) + extra_cases(route, method) + id_cases(route, as_json(body))
    if route.path in IF_MATCH_ROUTES:
        cases += if_match_cases(body)
    run_corpus(tenant, method, route, cases)


@pytest.mark.parametrize("route", GET_ROUTES, ids=str)
def test_hostile_queries_are_refused_and_change_nothing(route, tenant):
    public = route.view.authentication_classes == []  # the index: no key needed
    cases = query_cases(public=public) + id_cases(route, None)
    if route.path in DOCUMENT_ROUTES:
        # Not the API's envelope, but never a server error whatever the query says.
        for case in cases:
            response = send(tenant, "get", route, case)
            assert response.status_code < 500, (route.path, case.name)
        return
    run_corpus(tenant, "get", route, cases)
