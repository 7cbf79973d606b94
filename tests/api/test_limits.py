"""The bounds on what a tenant controls (docs/api.md, "Limits"): past one, a 400 that names the
limit and its setting, and nothing changes. Error bodies stay small."""

import pytest
from django.test import override_settings

from records.models import Field, Object

pytestmark = pytest.mark.django_db


def fields(count: int, prefix: str = "f") -> list[dict]:
    return [{"api_name": f"{prefix}{index}", "type": "text"} for index in range(count)]


def object_count(api) -> int:
    return api.get("/api/objects").assert_envelope().body["pagination"]["total"]


@override_settings(API_MAX_FIELDS_PER_OBJECT=3)
def test_an_object_with_more_inline_fields_than_the_limit_is_a_400(admin_api):
    before = object_count(admin_api)
    response = admin_api.post("/api/objects", {"api_name": "wide", "fields": fields(4)})
    assert response.assert_envelope().status == 400
    assert response.body["errors"] == (
        "The object would have 4 fields, more than an object may have "
        "(the limit is 3, setting API_MAX_FIELDS_PER_OBJECT)."
    )
    assert response.body["errorDetail"] == {
        "fields": ["At most 3 (setting API_MAX_FIELDS_PER_OBJECT)."]
    }
    assert object_count(admin_api) == before
    assert not Object.objects.filter(api_name="wide").exists()
    ok = admin_api.post("/api/objects", {"api_name": "wide", "fields": fields(3)})
    assert ok.assert_envelope().status == 201


@override_settings(API_MAX_FIELDS_PER_OBJECT=3)
def test_adding_a_field_past_the_limit_is_a_400(admin_api):
    created = admin_api.post("/api/objects", {"api_name": "wide", "fields": fields(2)})
    assert created.status == 201
    assert admin_api.post("/api/objects/wide/fields", fields(1, "g")[0]).status == 201
    response = admin_api.post("/api/objects/wide/fields", fields(1, "h")[0])
    assert response.assert_envelope().status == 400
    assert response.body["errors"] == (
        "The object would have 4 fields, more than an object may have "
        "(the limit is 3, setting API_MAX_FIELDS_PER_OBJECT)."
    )
    assert response.body["errorDetail"] == {
        "api_name": ["At most 3 (setting API_MAX_FIELDS_PER_OBJECT)."]
    }
    assert Field.objects.filter(object__api_name="wide").count() == 3


def test_objects_per_organization_are_bounded(admin_api, other_admin_api):
    existing = object_count(admin_api)
    with override_settings(API_MAX_OBJECTS_PER_ORG=existing + 1):
        assert admin_api.post("/api/objects", {"api_name": "one"}).status == 201
        response = admin_api.post("/api/objects", {"api_name": "two"})
        assert response.assert_envelope().status == 400
        assert response.body["errors"] == (
            "The organization already has as many objects as it may have "
            f"(the limit is {existing + 1}, setting API_MAX_OBJECTS_PER_ORG)."
        )
        assert response.body["errorDetail"] == {
            "api_name": [f"At most {existing + 1} (setting API_MAX_OBJECTS_PER_ORG)."]
        }
        assert object_count(admin_api) == existing + 1
        # Per organization: another one is not affected.
        assert other_admin_api.post("/api/objects", {"api_name": "two"}).status == 201


@pytest.fixture
def things(admin_api):
    body = {"api_name": "things", "fields": [{"api_name": "size", "type": "integer"}]}
    assert admin_api.post("/api/objects", body).status == 201
    return admin_api


@override_settings(API_MAX_SEARCH_ANY_GROUPS=2)
def test_any_groups_per_search_are_bounded(things):
    group = {"name": {"operator": "", "value": ["a"]}}
    assert things.post("/api/records/things/search", {"any": [group] * 2}).status == 200
    response = things.post("/api/records/things/search", {"any": [group] * 3})
    assert response.assert_envelope().status == 400
    assert response.body["errors"] == (
        "The search has 3 'any' groups, more than a search may have "
        "(the limit is 2, setting API_MAX_SEARCH_ANY_GROUPS)."
    )
    assert response.body["errorDetail"] == {
        "any": ["At most 2 (setting API_MAX_SEARCH_ANY_GROUPS)."]
    }


@override_settings(API_MAX_SEARCH_CONDITIONS=3)
def test_conditions_per_search_are_bounded_in_all(things):
    condition = {"operator": "gte", "value": [1]}
    filters = {"fields__size": condition, "name": {"operator": "", "value": ["a"]}}
    groups = [{"fields__size__lt": {"operator": "", "value": [9]}}]
    ok = things.post("/api/records/things/search", {"filters": filters, "any": groups})
    assert ok.status == 200, ok.body
    groups.append({"name": {"operator": "icontains", "value": ["b"]}})
    response = things.post("/api/records/things/search", {"filters": filters, "any": groups})
    assert response.assert_envelope().status == 400
    assert response.body["errors"] == (
        "The search has 4 conditions in all, more than a search may have "
        "(the limit is 3, setting API_MAX_SEARCH_CONDITIONS)."
    )
    assert response.body["errorDetail"] == {
        "filters": ["At most 3 (setting API_MAX_SEARCH_CONDITIONS)."]
    }


@override_settings(API_MAX_IN_VALUES=3)
def test_in_lists_are_bounded_in_the_query_string_and_the_search_body(things):
    assert things.get("/api/records/things?fields__size__in=1,2,3").status == 200
    response = things.get("/api/records/things?fields__size__in=1,2,3,4")
    assert response.assert_envelope().status == 400
    assert response.body["errors"] == (
        "'fields__size__in' has 4 values, more than an 'in' list may have "
        "(the limit is 3, setting API_MAX_IN_VALUES)."
    )
    assert response.body["errorDetail"] == {
        "fields__size__in": ["At most 3 (setting API_MAX_IN_VALUES)."]
    }
    body = {"filters": {"fields__size": {"operator": "in", "value": [1, 2, 3, 4]}}}
    response = things.post("/api/records/things/search", body)
    assert response.assert_envelope().status == 400
    assert response.body["errorDetail"] == {
        "filters.fields__size": ["At most 3 (setting API_MAX_IN_VALUES)."]
    }


def test_the_in_list_limit_defaults_to_1000(things):
    values = ",".join(str(number) for number in range(1001))
    response = things.get(f"/api/records/things?fields__size__in={values}")
    assert response.assert_envelope().status == 400
    assert response.body["errors"].endswith("(the limit is 1,000, setting API_MAX_IN_VALUES).")


def test_a_long_list_of_unknown_keys_is_named_in_part(admin_api):
    body = {"scope": "read", **{f"k{index:02}": 1 for index in range(25)}}
    response = admin_api.post("/api/keys", body)
    assert response.assert_envelope().status == 400
    shown = ", ".join(f"k{index:02}" for index in range(10))
    assert response.body["errors"] == (
        f"Unknown input: {shown} … and 15 more. Valid inputs: scope, name."
    )
    assert response.body["errorDetail"] == {
        f"k{index:02}": ["Unknown input."] for index in range(10)
    }


def test_an_echoed_key_or_value_is_cut(things):
    long_key = "x" * 5000
    response = things.post("/api/records/things/search", {long_key: 1})
    assert response.assert_envelope().status == 400
    cut = "x" * 200 + "…"
    assert response.body["errors"].startswith(f"Unknown input: {cut}. Valid inputs: ")
    assert response.body["errorDetail"] == {cut: ["Unknown input."]}
    assert len(response.raw.content) < 1000

    response = things.get(f"/api/records/things/lookup?name={'n' * 5000}")
    assert response.assert_envelope().status == 404
    assert response.body["errors"] == f"No things record has name = {'n' * 200}…."

    response = things.get(f"/api/records/things?fields__size__{'o' * 5000}=1")
    assert response.assert_envelope().status == 400
    assert len(response.raw.content) < 2500


def test_many_unknown_fields_in_a_record_body_are_named_in_part(things):
    body = {"name": "a", "fields": {f"u{index:02}": 1 for index in range(25)}}
    response = things.post("/api/records/things", body)
    assert response.assert_envelope().status == 422
    named = ", ".join(f"'fields.u{index:02}'" for index in range(10))
    assert response.body["errors"] == f"Invalid values for {named} … and 1 more; see errorDetail."
    assert response.body["errorDetail"] == {
        **{f"fields.u{index:02}": ["Unknown field. Valid fields: size."] for index in range(10)},
        "fields": ["… and 15 more unknown fields."],
    }


def test_echoed_sort_keys_and_ids_are_cut(things):
    response = things.get(f"/api/records/things?sort={'s' * 5000}")
    assert response.assert_envelope().status == 400
    assert response.body["errors"].startswith(
        f"Invalid value for 'sort': unknown key '{'s' * 200}…'; valid keys: "
    )
    response = things.get(f"/api/records/things/{'r' * 3000}")
    assert response.assert_envelope().status == 404
    assert response.body["errors"] == f"No things record with id '{'r' * 200}…'."
