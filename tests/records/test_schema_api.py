"""The schema API: objects and fields, admin scope to change, breaking changes refused."""

import pytest

from records.models import Field, Object, Record
from webhooks.models import Event

pytestmark = pytest.mark.django_db

COMPANIES = {
    "api_name": "companies",
    "singular_name": "Company",
    "plural_name": "Companies",
    "fields": [
        {"api_name": "domain", "type": "text", "unique": True},
        {"api_name": "revenue", "type": "number"},
        {"api_name": "tier", "type": "select", "options": {"choices": ["a", "b", "c"]}},
    ],
}


@pytest.fixture
def companies(admin_api):
    response = admin_api.post("/api/objects", COMPANIES).assert_envelope()
    assert response.status == 201, response.body
    return response.data


def test_create_object_with_inline_fields(companies):
    assert companies["api_name"] == "companies"
    assert companies["is_system"] is False
    assert [field["api_name"] for field in companies["fields"]] == ["domain", "revenue", "tier"]
    tier = companies["fields"][2]
    assert tier == {
        "api_name": "tier",
        "label": "Tier",
        "type": "select",
        "required": False,
        "unique": False,
        "description": "",
        "options": {"choices": ["a", "b", "c"]},
        "aliases": [],
        "is_system": False,
        "value_schema": {"type": "string", "enum": ["a", "b", "c"]},
    }
    assert companies["fields"][1]["value_schema"] == {"type": "number"}


def test_list_and_retrieve(read_api, companies):
    listing = read_api.get("/api/objects").assert_envelope()
    assert [obj["api_name"] for obj in listing.data] == ["companies", "contacts"]
    assert listing.body["pagination"]["total"] == 2
    one = read_api.get("/api/objects/companies").assert_envelope()
    assert one.data == companies


def test_read_and_write_keys_cannot_change_the_schema(read_api, write_api, companies):
    for api in (read_api, write_api):
        response = api.post("/api/objects", {"api_name": "deals"}).assert_envelope()
        assert response.status == 403
        assert api.request("PATCH", "/api/objects/companies", {"description": "x"}).status == 403
        assert api.request("DELETE", "/api/objects/companies").status == 403


def test_duplicate_api_name_is_a_409(admin_api, companies):
    response = admin_api.post("/api/objects", {"api_name": "companies"}).assert_envelope()
    assert response.status == 409
    assert response.body["errors"] == "An object with api_name 'companies' already exists."


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({}, 400, "Required input is missing: api_name."),
        (
            {"api_name": "Bad Name"},
            422,
            "'api_name' must match ^[a-z][a-z0-9_]{0,62}$ (lower case, digits, underscores).",
        ),
        (  # taken as sent: neither trimmed to 'deals' nor let through by re.match's `$`
            {"api_name": "deals\n"},
            422,
            "'api_name' must match ^[a-z][a-z0-9_]{0,62}$ (lower case, digits, underscores).",
        ),
        (
            {"api_name": "x" * 64},
            422,
            "Invalid value for 'api_name': Ensure this field has no more than 63 characters.",
        ),
        (
            {"api_name": "deals", "colour": 1},
            400,
            "Unknown input: colour. Valid inputs: api_name, singular_name, plural_name, "
            "description, fields.",
        ),
        ({"api_name": "deals", "fields": [{"api_name": "x", "type": "money"}]}, 422, None),
        (
            {"api_name": "deals", "fields": [{"api_name": "name", "type": "text"}]},
            422,
            "'name' is a built-in part of every record; choose another api_name.",
        ),
        (
            {"api_name": "deals", "fields": [{"api_name": "t", "type": "select"}]},
            422,
            "A select field needs options.choices: a list of strings.",
        ),
        (
            {
                "api_name": "deals",
                "fields": [
                    {"api_name": "o", "type": "relationship", "options": {"target": "nope"}}
                ],
            },
            422,
            "Relationship target object 'nope' does not exist.",
        ),
        (
            {
                "api_name": "deals",
                "fields": [{"api_name": "a", "type": "text"}, {"api_name": "a", "type": "number"}],
            },
            422,
            "Field api_name 'a' is given twice.",
        ),
        (
            {"api_name": "deals\u0000"},
            400,
            "The request body contains a NUL character (\\u0000), which is not allowed.",
        ),
    ],
)
def test_bad_object_definitions_change_nothing(admin_api, body, status, errors):
    objects, fields = Object.objects.count(), Field.objects.count()
    response = admin_api.post("/api/objects", body).assert_envelope()
    assert response.status == status, response.body
    if errors:
        assert response.body["errors"] == errors
    assert (Object.objects.count(), Field.objects.count()) == (objects, fields)


def test_update_object_names(admin_api, companies):
    response = admin_api.request(
        "PATCH", "/api/objects/companies", {"plural_name": "Firms", "description": "Ours"}
    ).assert_envelope()
    assert response.status == 200
    assert (response.data["plural_name"], response.data["description"]) == ("Firms", "Ours")
    refused = admin_api.request("PATCH", "/api/objects/companies", {"api_name": "firms"})
    assert refused.status == 400


def test_delete_object_removes_its_records_when_confirmed(admin_api, companies, org):
    obj = Object.objects.get(api_name="companies")
    Record.objects.create(org=org, object=obj, name="Acme")
    # With records, a delete must be confirmed (force=true): issue "silent deletes".
    refused = admin_api.request("DELETE", "/api/objects/companies").assert_envelope()
    assert refused.status == 409 and refused.body["errorDetail"] == {"records": 1}
    assert Record.objects.count() == 1
    response = admin_api.request("DELETE", "/api/objects/companies?force=true").assert_envelope()
    assert response.status == 200 and response.data == {"id": "companies", "deleted": True}
    assert not Object.objects.filter(api_name="companies").exists()
    assert not Record.objects.exists()
    assert admin_api.get("/api/objects/companies").status == 404


def test_another_orgs_objects_are_404_everywhere(admin_api, other_admin_api, companies):
    assert [o["api_name"] for o in other_admin_api.get("/api/objects").data] == ["contacts"]
    for method, path in [
        ("GET", "/api/objects/companies"),
        ("PATCH", "/api/objects/companies"),
        ("DELETE", "/api/objects/companies"),
        ("GET", "/api/objects/companies/fields"),
        ("POST", "/api/objects/companies/fields"),
        ("GET", "/api/objects/companies/fields/domain"),
        ("PATCH", "/api/objects/companies/fields/domain"),
        ("DELETE", "/api/objects/companies/fields/domain"),
    ]:
        # GET and DELETE take no body here (one would be a 400 before the lookup).
        response = other_admin_api.request(
            method, path, {"label": "x"} if method not in ("GET", "DELETE") else None
        )
        assert response.assert_envelope().status == 404, (method, path, response.body)
    assert Field.objects.filter(api_name="domain").exists()


def test_add_and_list_fields(admin_api, companies):
    response = admin_api.post(
        "/api/objects/companies/fields", {"api_name": "founded", "type": "date", "label": "Founded"}
    ).assert_envelope()
    assert response.status == 201 and response.data["type"] == "date"
    names = [field["api_name"] for field in admin_api.get("/api/objects/companies/fields").data]
    assert names == ["domain", "revenue", "tier", "founded"]


def test_rename_keeps_the_old_name_as_alias(admin_api, companies):
    response = admin_api.request(
        "PATCH", "/api/objects/companies/fields/revenue", {"api_name": "arr"}
    ).assert_envelope()
    assert response.status == 200
    assert response.data["api_name"] == "arr" and response.data["aliases"] == ["revenue"]
    by_old = admin_api.get("/api/objects/companies/fields/revenue").assert_envelope()
    assert by_old.status == 200 and by_old.data["api_name"] == "arr"
    clash = admin_api.post("/api/objects/companies/fields", {"api_name": "revenue", "type": "text"})
    assert clash.status == 409


def test_breaking_changes_are_a_409_with_a_count(admin_api, companies, org):
    obj = Object.objects.get(api_name="companies")
    revenue = Field.objects.get(object=obj, api_name="revenue")
    tier = Field.objects.get(object=obj, api_name="tier")
    Record.objects.create(org=org, object=obj, name="A", values={revenue.key: 5, tier.key: "a"})
    Record.objects.create(org=org, object=obj, name="B", values={tier.key: "a"})

    retype = admin_api.request(
        "PATCH", "/api/objects/companies/fields/revenue", {"type": "text"}
    ).assert_envelope()
    assert retype.status == 409
    assert retype.body["errors"].startswith("1 record(s) have a value for 'revenue'")

    drop_choice = admin_api.request(
        "PATCH", "/api/objects/companies/fields/tier", {"options": {"choices": ["b", "c"]}}
    ).assert_envelope()
    assert drop_choice.status == 409
    assert drop_choice.body["errors"].startswith("2 record(s) use the choice(s) a")

    require = admin_api.request(
        "PATCH", "/api/objects/companies/fields/revenue", {"required": True}
    ).assert_envelope()
    assert require.status == 409
    assert require.body["errors"].startswith("1 record(s) have no value for 'revenue'")

    revenue.refresh_from_db()
    tier.refresh_from_db()
    assert revenue.type == "number" and not revenue.required
    assert tier.options["choices"] == ["a", "b", "c"]

    add_choice = admin_api.request(
        "PATCH",
        "/api/objects/companies/fields/tier",
        {"options": {"choices": ["a", "b", "c", "d"]}},
    )
    assert add_choice.status == 200


def test_delete_field_clears_values(admin_api, companies, org):
    obj = Object.objects.get(api_name="companies")
    revenue = Field.objects.get(object=obj, api_name="revenue")
    record = Record.objects.create(org=org, object=obj, name="A", values={revenue.key: 5})
    response = admin_api.request(
        "DELETE", "/api/objects/companies/fields/revenue"
    ).assert_envelope()
    assert response.status == 200 and response.data["api_name"] == "revenue"
    record.refresh_from_db()
    assert record.values == {}
    assert admin_api.get("/api/objects/companies/fields/revenue").status == 404


def test_list_objects_query_count(admin_api, companies, django_assert_num_queries):
    admin_api.get("/api/me")
    with django_assert_num_queries(5):  # key, count, page, fields, log
        admin_api.get("/api/objects")
    for index in range(5):
        admin_api.post(
            "/api/objects", {"api_name": f"o{index}", "fields": [{"api_name": "x", "type": "text"}]}
        )
    with django_assert_num_queries(5):
        assert len(admin_api.get("/api/objects").data) == 7  # with contacts


def test_a_forced_object_delete_writes_each_records_deleted_event(admin_api, write_api, companies):
    ids = [
        write_api.post("/api/records/companies", {"name": name}).data["id"]
        for name in ("Acme", "Globex")
    ]
    refused = admin_api.request("DELETE", "/api/objects/companies").assert_envelope()
    assert refused.status == 409
    assert refused.body["errors"].startswith("'companies' has 2 records.")
    assert not Event.objects.filter(type="record.deleted").exists()
    bad = admin_api.request("DELETE", "/api/objects/companies?force=yes").assert_envelope()
    assert bad.status == 400 and bad.body["errorDetail"] == {"force": ["expected true or false."]}
    deleted = admin_api.request("DELETE", "/api/objects/companies?force=true").assert_envelope()
    assert deleted.status == 200 and deleted.data == {"id": "companies", "deleted": True}
    events = Event.objects.filter(type="record.deleted", object_name="companies")
    assert sorted(event.record_id for event in events) == sorted(ids)
    assert {event.payload["data"]["name"] for event in events} == {"Acme", "Globex"}


def test_an_empty_object_is_deleted_without_force(admin_api, companies):
    response = admin_api.request("DELETE", "/api/objects/companies").assert_envelope()
    assert response.status == 200 and response.data == {"id": "companies", "deleted": True}
