"""`GET /api/requests` filters by status and method, as the admin's request log does."""

import pytest

pytestmark = pytest.mark.django_db


def logged(api, query: str) -> list[tuple[str, str, int]]:
    response = api.get(f"/api/requests?{query}").assert_envelope()
    assert response.status == 200, response.body
    return [(entry["method"], entry["path"], entry["status"]) for entry in response.data]


def test_the_log_filters_by_status_and_method(write_api):
    write_api.post("/api/records/contacts", {"fields": {"email": "not an email"}})  # 422
    write_api.post("/api/records/contacts", {"fields": {"email": "ada@example.com"}})  # 201
    write_api.get("/api/records/contacts")  # 200
    assert logged(write_api, "status=422") == [("POST", "/api/records/contacts", 422)]
    posts = logged(write_api, "method=POST")
    assert sorted(status for _, _, status in posts) == [201, 422]
    assert logged(write_api, "method=POST&status=201") == [("POST", "/api/records/contacts", 201)]
    assert all(entry[0] == "GET" for entry in logged(write_api, "method=GET"))


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("status=abc", {"status": ["expected an integer."]}),
        ("status=99", {"status": ["must be at least 100."]}),
        ("status=600", {"status": ["must be at most 599."]}),
        (
            "method=get",
            {"method": ["expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS."]},
        ),
        (
            "method=BREW",
            {"method": ["expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS."]},
        ),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(read_api, query, detail):
    response = read_api.get(f"/api/requests?{query}").assert_envelope()
    assert response.status == 400
    assert response.body["errorDetail"] == detail
