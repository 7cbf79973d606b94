"""The shared list parameters, through a real list (`/api/requests`)."""

import pytest

from api.query import MAX_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_made(read_api, settings):
    guids = [read_api.get("/api/me").body["guid"] for _ in range(5)]
    settings.API_REQUEST_LOG_ENABLED = False  # the listings below must not add rows
    return guids


def page(api, query):
    response = api.get(f"/api/requests?{query}").assert_envelope()
    assert response.status == 200, response.body
    return response


def test_limit_and_offset(read_api, requests_made):
    response = page(read_api, "limit=2&offset=1")
    assert response.body["pagination"] == {"total": 5, "limit": 2, "offset": 1}
    assert [item["guid"] for item in response.data] == list(reversed(requests_made))[1:3]


def test_limit_above_1000_is_clamped(read_api, requests_made):
    response = page(read_api, "limit=5000")
    assert response.body["pagination"]["limit"] == 1000


def test_limit_zero_returns_only_the_total(read_api, requests_made):
    response = page(read_api, "limit=0")
    assert response.data == []
    assert response.body["pagination"]["total"] == 5


def test_page_and_page_size_agree_with_limit_and_offset(read_api, requests_made):
    by_page = page(read_api, "page=2&page_size=2")
    by_offset = page(read_api, "limit=2&offset=2")
    assert (
        by_page.body["pagination"]
        == by_offset.body["pagination"]
        == {
            "total": 5,
            "limit": 2,
            "offset": 2,
        }
    )
    assert [i["guid"] for i in by_page.data] == [i["guid"] for i in by_offset.data]


def test_offset_past_the_end_is_empty(read_api, requests_made):
    response = page(read_api, "offset=100")
    assert response.data == [] and response.body["pagination"]["total"] == 5


@pytest.mark.parametrize(
    ("query", "parameter", "problem"),
    [
        ("limit=-1", "limit", "must be at least 0."),
        ("limit=abc", "limit", "expected an integer."),
        ("limit=1.5", "limit", "expected an integer."),
        ("limit=", None, None),
        ("offset=-5", "offset", "must be at least 0."),
        ("offset=9223372036854775808", "offset", "must be at most 9223372036854775807."),
        ("offset=" + "9" * 40, "offset", "expected an integer."),
        ("page=0", "page", "must be at least 1."),
        ("page_size=0", "page_size", "must be at least 1."),
        ("limit=1&page_size=1", "page_size", "use either limit or page_size, not both."),
        ("offset=1&page=1", "page", "use either offset or page, not both."),
        ("limit=1&limit=2", "limit", "give it once."),
        (
            "sort=colour",
            "sort",
            "unknown key 'colour'; valid keys: created_at, duration_ms, status.",
        ),
        ("limit=%EF%BC%91", "limit", "expected an integer."),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(read_api, query, parameter, problem):
    response = read_api.get(f"/api/requests?{query}").assert_envelope()
    if parameter is None:  # an empty value means the default
        assert response.status == 200
        return
    assert response.status == 400
    assert response.body["errors"] == f"Invalid value for '{parameter}': {problem}"
    assert response.body["errorDetail"] == {parameter: [problem]}


def test_offset_at_the_maximum_is_accepted(read_api, requests_made):
    response = page(read_api, "offset=9223372036854775807")
    assert response.data == []


def test_page_is_bounded_on_its_own_so_the_document_can_say_so(read_api):
    """The last page whose offset fits at any page size is accepted; past it, a 400 naming
    the bound (it used to depend on the page size, which no OpenAPI bound can express)."""
    last = MAX_PAGE
    response = read_api.get(f"/api/requests?page={last}&page_size=1000").assert_envelope()
    assert response.status == 200
    assert response.body["pagination"]["offset"] == (last - 1) * 1000
    response = read_api.get(f"/api/requests?page={last + 1}").assert_envelope()
    assert response.status == 400
    assert response.body["errorDetail"] == {"page": [f"must be at most {last}."]}
