"""Optimistic concurrency: one record's answers carry its version as a strong `ETag`, and a
write with an `If-Match` that no longer matches is a 412 that changes nothing."""

import pytest

from records.models import Record

pytestmark = pytest.mark.django_db

OPT_IN = {"HTTP_X_EXPERIMENTAL": "merge"}


@pytest.fixture
def api(admin_api):
    created = admin_api.post("/api/objects", {"api_name": "companies"})
    assert created.status == 201, created.body
    return admin_api


def create(api, name: str = "Acme") -> dict:
    response = api.post("/api/records/companies", {"name": name}).assert_envelope()
    assert response.status == 201, response.body
    return response.data


def events(api) -> int:
    return api.get("/api/events?limit=0").body["pagination"]["total"]


def test_one_record_carries_its_version_as_a_strong_etag(api):
    created = api.post("/api/records/companies", {"name": "Acme"})
    assert created.headers["ETag"] == '"1"'
    path = f"/api/records/companies/{created.data['id']}"
    assert api.get(path).headers["ETag"] == '"1"'
    assert api.get(f"{path}?select=-meta").headers["ETag"] == '"1"'
    assert api.request("PATCH", path, {"name": "B"}).headers["ETag"] == '"2"'
    assert api.request("PUT", path, {"name": "C"}).headers["ETag"] == '"3"'
    assert api.post(f"{path}/archive").headers["ETag"] == '"4"'
    assert api.post(f"{path}/unarchive").headers["ETag"] == '"5"'
    other = create(api, "Acme dup")
    merged = api.post(f"{path}/merge", {"from": other["id"]}, **OPT_IN)
    assert merged.status == 200
    assert merged.headers["ETag"] == f'"{merged.data["meta"]["version"]}"'
    assert "ETag" not in api.get("/api/records/companies").headers  # a list has none
    assert "ETag" not in api.request("DELETE", path).headers


def stale_write(api, route: str, path: str, other_id: str, if_match: str):
    headers = {"HTTP_IF_MATCH": if_match}
    if route == "PUT":
        return api.request("PUT", path, {"name": "Changed"}, **headers)
    if route == "PATCH":
        return api.request("PATCH", path, {"name": "Changed"}, **headers)
    if route == "DELETE":
        return api.request("DELETE", path, **headers)
    if route == "merge":
        return api.post(f"{path}/merge", {"from": other_id}, **headers, **OPT_IN)
    return api.post(f"{path}/{route}", **headers)


ROUTES = ["PUT", "PATCH", "DELETE", "archive", "unarchive", "merge"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_stale_if_match_is_a_412_that_changes_nothing(api, route):
    record = create(api)
    other = create(api, "Other")
    path = f"/api/records/companies/{record['id']}"
    api.request("PATCH", path, {"name": "Acme 2"})  # someone else's write: version 2
    if route == "unarchive":
        api.post(f"{path}/archive")  # version 3
    before = Record.objects.get(pk=record["id"])
    events_before = events(api)

    response = stale_write(api, route, path, other["id"], '"1"').assert_envelope()

    assert response.status == 412
    assert {k: v for k, v in response.body.items() if k != "guid"} == {
        "success": False,
        "errors": f"The record {record['id']} has changed: it is at version {before.version}, "
        "not the one this write expected. Read it again and retry; nothing was changed.",
        "errorDetail": {"current_version": before.version},
    }
    after = Record.objects.get(pk=record["id"])
    assert (after.version, after.name, after.archived_at, after.values) == (
        before.version,
        before.name,
        before.archived_at,
        before.values,
    )
    assert Record.objects.filter(pk=other["id"]).exists()
    assert events(api) == events_before


@pytest.mark.parametrize("route", ROUTES)
def test_a_current_if_match_lets_the_write_through(api, route):
    record = create(api)
    other = create(api, "Other")
    path = f"/api/records/companies/{record['id']}"
    if route == "unarchive":
        api.post(f"{path}/archive")
    current = api.get(path).headers["ETag"]

    response = stale_write(api, route, path, other["id"], current).assert_envelope()

    assert response.status == 200, response.body
    if route == "DELETE":
        assert response.data == {"id": record["id"], "deleted": True}
        assert not Record.objects.filter(pk=record["id"]).exists()
    else:
        version = Record.objects.get(pk=record["id"]).version
        if route == "merge":  # nothing to fill in, no link moved: the survivor is as it was
            assert not Record.objects.filter(pk=other["id"]).exists()
        else:
            assert version == int(current.strip('"')) + 1
        assert response.headers["ETag"] == f'"{version}"'
        assert response.data["meta"]["version"] == version


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ("*", 200),
        ('"7", "2"', 200),  # any of a list
        ('"7",, "2",', 200),  # empty list elements are allowed
        ('W/"2"', 412),  # If-Match compares strongly: a weak tag never matches
        ('"x2"', 412),  # an entity tag that is no version of this record
        ('"2", W/"3"', 200),
    ],
)
def test_if_match_forms(api, if_match, status):
    record = create(api)
    path = f"/api/records/companies/{record['id']}"
    api.request("PATCH", path, {"name": "Acme 2"})
    response = api.request("PATCH", path, {"name": "Acme 3"}, HTTP_IF_MATCH=if_match)
    assert response.status == status, response.body
    assert Record.objects.get(pk=record["id"]).version == (3 if status == 200 else 2)


# (A lone surrogate is a 422 naming the header, as anywhere: tests/api/test_strict_input.py.)
@pytest.mark.parametrize("if_match", ["2", "", '"2" "3"', '"2', '*, "2"', 'w/"2"', "\u00e9"])
def test_a_malformed_if_match_is_a_400_that_changes_nothing(api, if_match):
    record = create(api)
    path = f"/api/records/companies/{record['id']}"
    response = api.request("PATCH", path, {"name": "B"}, HTTP_IF_MATCH=if_match).assert_envelope()
    assert response.status == 400
    problem = 'expected "*" or entity tags in double quotes, such as "3" (the ETag you read).'
    assert {k: v for k, v in response.body.items() if k != "guid"} == {
        "success": False,
        "errors": f"Invalid value for 'If-Match': {problem}",
        "errorDetail": {"If-Match": [problem]},
    }
    assert Record.objects.get(pk=record["id"]).version == 1


def test_if_match_on_a_missing_record_is_its_404(api):
    response = api.request(
        "PATCH",
        "/api/records/companies/0192c1e2-0000-7000-8000-000000000000",
        {},
        HTTP_IF_MATCH="*",
    )
    assert response.status == 404


def test_a_stale_if_match_on_an_archived_record_is_a_412_before_the_409(api):
    record = create(api)
    path = f"/api/records/companies/{record['id']}"
    api.post(f"{path}/archive")
    response = api.request("PATCH", path, {"name": "B"}, HTTP_IF_MATCH='"1"')
    assert response.status == 412
    current = api.request("PATCH", path, {"name": "B"}, HTTP_IF_MATCH='"2"')
    assert current.status == 409  # archived: the precondition held, the change is refused


def test_if_match_and_idempotency_key_together(api):
    record = create(api)
    path = f"/api/records/companies/{record['id']}"
    headers = {"HTTP_IF_MATCH": '"1"', "HTTP_IDEMPOTENCY_KEY": "patch-1"}
    first = api.request("PATCH", path, {"name": "B"}, **headers)
    retry = api.request("PATCH", path, {"name": "B"}, **headers)
    assert (first.status, retry.status) == (200, 200)  # the replay, not a 412
    assert retry.raw.content == first.raw.content
    assert retry.headers["ETag"] == '"2"'
    assert retry.headers["Idempotent-Replayed"] == "true"
