"""A search's `filters` (and each `any` group) may give one key a list of conditions, ANDed:
a range on one field is `gte` and `lte` on it."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def companies(schema, write_api):
    for name, employees in (("Tiny", 3), ("Small", 12), ("Mid", 40), ("Big", 900)):
        response = write_api.post(
            "/api/records/companies", {"name": name, "fields": {"employees": employees}}
        )
        assert response.status == 201, response.body
    return "/api/records/companies/search"


def names(response) -> list[str]:
    assert response.status == 200, response.body
    return sorted(record["name"] for record in response.data)


def test_a_list_of_conditions_on_one_key_is_a_range(write_api, companies):
    both = [{"operator": "gte", "value": [10]}, {"operator": "lte", "value": [50]}]
    response = write_api.post(companies, {"filters": {"fields__employees": both}})
    assert names(response) == ["Mid", "Small"]
    assert response.body["pagination"]["total"] == 2


def test_a_list_works_inside_an_any_group_too(write_api, companies):
    body = {
        "any": [
            {"fields__employees": [{"operator": "gt", "value": 2}, {"operator": "lt", "value": 4}]},
            {"name": {"value": "Big"}},
        ]
    }
    assert names(write_api.post(companies, body)) == ["Big", "Tiny"]


def test_a_bad_condition_in_a_list_is_a_400_naming_its_position(write_api, companies):
    body = {"filters": {"fields__employees": [{"operator": "gte", "value": 1}, {"op": "lt"}]}}
    response = write_api.post(companies, body).assert_envelope()
    assert response.status == 400
    assert response.body["errorDetail"] == {
        "filters.fields__employees.1": [
            'expected {"operator": "…", "value": […]}, or a list of them.'
        ]
    }


def test_conditions_in_lists_count_toward_the_search_limit(write_api, companies, settings):
    settings.API_MAX_SEARCH_CONDITIONS = 3
    many = [{"operator": "gte", "value": 1}] * 4
    response = write_api.post(companies, {"filters": {"fields__employees": many}})
    assert response.assert_envelope().status == 400
    assert "API_MAX_SEARCH_CONDITIONS" in response.body["errors"]


def test_the_document_shows_the_list_form(anonymous_api):
    document = anonymous_api.get("/api/schema?format=json").body
    schemas = document["components"]["schemas"]
    filters = schemas["RecordSearchRequest"]["properties"]["filters"]
    assert filters["additionalProperties"] == {
        "$ref": "#/components/schemas/FilterConditionsRequest"
    }
    assert schemas["FilterConditionsRequest"]["oneOf"] == [
        {"$ref": "#/components/schemas/FilterConditionRequest"},
        {"type": "array", "items": {"$ref": "#/components/schemas/FilterConditionRequest"}},
    ]
