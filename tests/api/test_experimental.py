import pytest

from api.experimental import register_feature, unregister_feature
from tests.api.routes import TEST_FEATURE

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.routes")]


@pytest.fixture(autouse=True)
def test_feature():
    register_feature(TEST_FEATURE, "A feature that exists only in tests.")
    yield
    unregister_feature(TEST_FEATURE)


def test_gated_route_without_the_header_is_a_400_naming_the_flag(read_api):
    response = read_api.get("/api/test/experimental").assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == (
        "This is the experimental feature 'test-feature': send the header "
        "'X-Experimental: test-feature' to use it."
    )
    assert response.body["errorDetail"] == {"X-Experimental": ["Send 'test-feature' to opt in."]}


def test_gated_route_with_the_header_works(read_api):
    response = read_api.get(
        "/api/test/experimental", HTTP_X_EXPERIMENTAL="other, Test-Feature"
    ).assert_envelope()
    assert response.status == 200 and response.data == {"experimental": True}


def test_gated_parameter(read_api):
    assert read_api.get("/api/test/experimental-parameter").status == 200
    assert read_api.get("/api/test/experimental-parameter?fancy=1").status == 400
    response = read_api.get(
        "/api/test/experimental-parameter?fancy=1", HTTP_X_EXPERIMENTAL=TEST_FEATURE
    )
    assert response.status == 200 and response.data == {"fancy": True}


def test_gated_route_still_needs_a_key(anonymous_api):
    response = anonymous_api.get(
        "/api/test/experimental", HTTP_X_EXPERIMENTAL=TEST_FEATURE
    ).assert_envelope()
    assert response.status == 401


def test_feature_names_are_case_insensitive(read_api):
    register_feature("Mixed-Case", "x")
    try:
        response = read_api.get(
            "/api/test/experimental-parameter?fancy=1",
            HTTP_X_EXPERIMENTAL="MIXED-case, test-feature",
        )
        assert response.status == 200
    finally:
        unregister_feature("Mixed-Case")


def test_experimental_lists_the_flags_that_exist(read_api):
    response = read_api.get("/api/experimental").assert_envelope()
    assert response.status == 200
    assert {
        "name": TEST_FEATURE,
        "description": "A feature that exists only in tests.",
        "header": f"X-Experimental: {TEST_FEATURE}",
    } in response.data
    assert response.body["pagination"]["total"] == len(response.data)


def test_experimental_query_count(read_api, django_assert_num_queries):
    read_api.get("/api/me")
    with django_assert_num_queries(2):  # key lookup, request log
        read_api.get("/api/experimental")
