import pytest

CONTACT_LIKE = {
    "api_name": "people",
    "fields": [{"api_name": "email", "type": "email", "unique": True}],
}
COMPANIES = {
    "api_name": "companies",
    "fields": [
        {"api_name": "domain", "type": "text", "unique": True},
        {"api_name": "revenue", "type": "number"},
        {"api_name": "employees", "type": "integer"},
        {"api_name": "public", "type": "boolean"},
        {"api_name": "founded", "type": "date"},
        {"api_name": "last_contact", "type": "datetime"},
        {"api_name": "email", "type": "email"},
        {"api_name": "phone", "type": "phone"},
        {"api_name": "website", "type": "url"},
        {"api_name": "notes", "type": "long_text"},
        {"api_name": "tier", "type": "select", "options": {"choices": ["a", "b", "c"]}},
        {"api_name": "tags", "type": "multi_select", "options": {"choices": ["x", "y", "z"]}},
        {"api_name": "owner", "type": "relationship", "options": {"target": "people"}},
        {
            "api_name": "board",
            "type": "relationship",
            "options": {"target": "people", "many": True},
        },
        {"api_name": "extra", "type": "json"},
    ],
}


@pytest.fixture
def schema(admin_api):
    for definition in (CONTACT_LIKE, COMPANIES):
        response = admin_api.post("/api/objects", definition)
        assert response.status == 201, response.body
    return admin_api
