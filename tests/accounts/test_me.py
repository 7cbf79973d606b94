import pytest

from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_me_shows_organization_key_prefix_and_scope(org, make_key):
    api_key, raw = make_key(org, "write", name="ci")
    response = ApiClient(raw).get("/api/me").assert_envelope()
    assert response.status == 200
    assert response.data["organization"] == {"id": str(org.id), "name": org.name, "slug": org.slug}
    key = response.data["api_key"]
    assert key["prefix"] == api_key.prefix and raw.startswith(key["prefix"] + "_")
    assert key["scope"] == "write"
    assert key["name"] == "ci"
    assert raw not in response.raw.content.decode()


def test_me_query_count(org, make_key, django_assert_num_queries):
    _, raw = make_key(org, "read")
    api = ApiClient(raw)
    api.get("/api/me")  # the first use writes last_used_at
    # key lookup (with its organization) + the request-log row
    with django_assert_num_queries(2):
        assert api.get("/api/me").status == 200
