"""`/api/keys`: list, create (raw key once), revoke; admin scope; another org's key is a 404."""

import pytest

from accounts.models import ApiKey
from accounts.services import hash_key
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_create_shows_the_raw_key_once_and_stores_only_its_hash(admin_api, org):
    response = admin_api.post("/api/keys", {"scope": "read", "name": "zapier"}).assert_envelope()
    assert response.status == 201
    raw = response.data["key"]
    stored = ApiKey.objects.get(pk=response.data["id"])
    assert stored.org == org and stored.scope == "read" and stored.name == "zapier"
    assert stored.hashed_key == hash_key(raw) and raw not in stored.hashed_key
    assert ApiClient(raw).get("/api/me").status == 200
    listing = admin_api.get("/api/keys").assert_envelope()
    assert raw not in listing.raw.content.decode()
    assert "key" not in listing.data[0]


def test_list_shows_prefix_scope_and_times_newest_first(admin_api, org, make_key):
    make_key(org, "read", name="older")
    newer, _ = make_key(org, "write", name="newer")
    response = admin_api.get("/api/keys").assert_envelope()
    names = [item["name"] for item in response.data]
    assert names.index("newer") < names.index("older")
    assert response.body["pagination"] == {"total": 3, "limit": 100, "offset": 0}
    item = next(item for item in response.data if item["name"] == "newer")
    assert set(item) == {
        "id",
        "name",
        "prefix",
        "scope",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked",
    }
    assert item["prefix"] == newer.prefix and item["scope"] == "write"


def test_list_sorts(admin_api, org, make_key):
    make_key(org, "read", name="b")
    make_key(org, "read", name="a")
    names = [item["name"] for item in admin_api.get("/api/keys?sort=name").data]
    assert names == sorted(names)
    bad = admin_api.get("/api/keys?sort=secret").assert_envelope()
    assert bad.status == 400
    assert bad.body["errorDetail"] == {
        "sort": ["unknown key 'secret'; valid keys: created_at, last_used_at, name."]
    }


def test_list_does_not_show_another_orgs_keys(admin_api, other_org, make_key):
    make_key(other_org, "admin", name="theirs")
    response = admin_api.get("/api/keys").assert_envelope()
    assert "theirs" not in [item["name"] for item in response.data]


def test_revoke_is_idempotent_and_takes_effect(admin_api, org, make_key):
    api_key, raw = make_key(org, "read")
    first = admin_api.post(f"/api/keys/{api_key.id}/revoke").assert_envelope()
    assert first.status == 200 and first.data["revoked"] is True
    second = admin_api.post(f"/api/keys/{api_key.id}/revoke/").assert_envelope()
    assert second.status == 200 and second.data["revoked_at"] == first.data["revoked_at"]
    assert ApiClient(raw).get("/api/me").status == 401


def test_revoking_another_orgs_key_is_404_and_changes_nothing(admin_api, other_org, make_key):
    theirs, raw = make_key(other_org, "read")
    response = admin_api.post(f"/api/keys/{theirs.id}/revoke").assert_envelope()
    assert response.status == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert ApiClient(raw).get("/api/me").status == 200


@pytest.mark.parametrize("key_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00"])
def test_revoking_an_unknown_key_is_404(admin_api, key_id):
    response = admin_api.post(f"/api/keys/{key_id}/revoke").assert_envelope()
    assert response.status == 404


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({}, 400, None),
        ({"name": "x"}, 400, None),
        (
            {"scope": "root"},
            422,
            {"scope": ['"root" is not a scope; use one of read, write, admin.']},
        ),
        ({"scope": 7}, 422, {"scope": ['"7" is not a scope; use one of read, write, admin.']}),
        (
            {"scope": "read", "name": "x" * 201},
            422,
            {"name": ["Ensure this field has no more than 200 characters."]},
        ),
        ({"scope": "read", "name": {"a": 1}}, 422, {"name": ["Not a valid string."]}),
        ({"scope": "read", "name": None}, 422, {"name": ["This field may not be null."]}),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(admin_api, body, status, detail):
    before = ApiKey.objects.count()
    response = admin_api.post("/api/keys", body).assert_envelope()
    assert response.status == status
    if status == 400:
        assert response.body["missingInputVars"] == ["scope"]
        assert response.body["errors"] == "Required input is missing: scope."
        assert "errorDetail" not in response.body
    else:
        assert response.body["errorDetail"] == detail
        name, problems = next(iter(detail.items()))
        assert response.body["errors"] == f"Invalid value for '{name}': {problems[0]}"
    assert ApiKey.objects.count() == before


def test_several_bad_values_are_named_together(admin_api):
    response = admin_api.post("/api/keys", {"scope": "x", "name": ["y"]}).assert_envelope()
    assert response.status == 422
    assert response.body["errors"] == "Invalid values for 'scope', 'name'; see errorDetail."
    assert set(response.body["errorDetail"]) == {"scope", "name"}


def test_missing_and_wrong_together_is_a_400_that_lists_both(admin_api):
    response = admin_api.post("/api/keys", {"name": ["y"]}).assert_envelope()
    assert response.status == 400
    assert response.body["missingInputVars"] == ["scope"]
    assert response.body["errorDetail"] == {"name": ["Not a valid string."]}


def test_create_query_count(admin_api, django_assert_num_queries):
    admin_api.get("/api/me")
    with django_assert_num_queries(3):  # key lookup, insert, request log
        assert admin_api.post("/api/keys", {"scope": "read"}).status == 201


def test_create_refuses_unknown_inputs(admin_api):
    before = ApiKey.objects.count()
    response = admin_api.post("/api/keys", {"scope": "read", "colour": "red"}).assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == "Unknown input: colour. Valid inputs: scope, name."
    assert response.body["errorDetail"] == {"colour": ["Unknown input."]}
    assert ApiKey.objects.count() == before


def test_create_body_must_be_an_object(admin_api):
    response = admin_api.post("/api/keys", ["read"]).assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == "The request body must be a JSON object."


def test_list_query_count_does_not_grow_with_keys(
    admin_api, org, make_key, django_assert_num_queries
):
    admin_api.get("/api/keys")
    # key lookup + count + page + request log
    with django_assert_num_queries(4):
        admin_api.get("/api/keys")
    for _ in range(20):
        make_key(org, "read")
    with django_assert_num_queries(4):
        assert len(admin_api.get("/api/keys").data) == 21


def test_revoke_query_count(admin_api, org, make_key, django_assert_num_queries):
    api_key, _ = make_key(org, "read")
    admin_api.get("/api/me")
    # key lookup + find the key + revoke + request log
    with django_assert_num_queries(4):
        admin_api.post(f"/api/keys/{api_key.id}/revoke")
