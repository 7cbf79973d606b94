"""A contact is addressed by email wherever a record id goes, and an email compares regardless
of case everywhere: relationship values and filters, batch ids, merge, lookups and upserts.
A link written back in the shape it is read ({id, object, name}) is taken by its id."""

import pytest

from records.models import Record
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(admin_api):
    response = admin_api.post(
        "/api/objects",
        {
            "api_name": "pipeline_deals",
            "fields": [
                {
                    "api_name": "champion",
                    "type": "relationship",
                    "options": {"target": "contacts"},
                },
                {
                    "api_name": "people",
                    "type": "relationship",
                    "options": {"target": "contacts", "many": True},
                },
            ],
        },
    )
    assert response.status == 201, response.body
    return "/api/records/pipeline_deals"


@pytest.fixture
def ada(write_api):
    response = write_api.post(
        "/api/records/contacts", {"fields": {"email": "Ada@Analytical.io", "first_name": "Ada"}}
    )
    assert response.status == 201, response.body
    return response.data


@pytest.fixture
def alan(write_api):
    response = write_api.post("/api/records/contacts", {"fields": {"email": "alan@turing.org"}})
    assert response.status == 201, response.body
    return response.data


def test_a_relationship_value_may_be_a_contacts_email_in_any_case(write_api, deals, ada, alan):
    response = write_api.post(
        deals,
        {
            "name": "Engine",
            "fields": {"champion": "ada@analytical.io", "people": ["ALAN@turing.org", ada["id"]]},
        },
    )
    assert response.status == 201, response.body
    fields = response.data["fields"]
    assert fields["champion"] == {"id": ada["id"], "object": "contacts", "name": "Ada"}
    assert [link["id"] for link in fields["people"]] == [alan["id"], ada["id"]]
    stored = Record.objects.get(pk=response.data["id"]).values
    assert "@" not in str(stored)  # ids are stored, never the addresses


def test_an_email_no_contact_has_is_a_422_that_writes_nothing(write_api, deals, ada):
    before = Record.objects.count()
    response = write_api.post(
        deals, {"name": "Engine", "fields": {"champion": "nobody@analytical.io"}}
    ).assert_envelope()
    assert response.status == 422
    assert response.body["errorDetail"] == {
        "fields.champion": ["No contacts record with email nobody@analytical.io."]
    }
    assert Record.objects.count() == before


def test_a_link_in_its_read_shape_is_written_by_its_id(write_api, deals, ada, alan):
    created = write_api.post(
        deals, {"name": "Engine", "fields": {"champion": ada["id"], "people": [alan["id"]]}}
    ).data
    # The record as read, sent back unchanged: every link is {id, object, name}.
    sent_back = {"name": created["name"], "fields": created["fields"]}
    response = write_api.request("PATCH", f"{deals}/{created['id']}", sent_back)
    assert response.status == 200, response.body
    assert response.data["fields"] == created["fields"]
    assert response.data["meta"]["version"] == created["meta"]["version"]  # not a change


def test_a_relationship_filter_takes_an_email_in_any_case(write_api, deals, ada, alan):
    engine = write_api.post(deals, {"name": "Engine", "fields": {"champion": ada["id"]}}).data
    write_api.post(deals, {"name": "Enigma", "fields": {"champion": alan["id"]}})
    found = write_api.get(f"{deals}?fields__champion=ADA@analytical.io").assert_envelope()
    assert found.status == 200
    assert [record["id"] for record in found.data] == [engine["id"]]
    others = write_api.get(f"{deals}?fields__champion__not=ada@analytical.io").data
    assert [record["name"] for record in others] == ["Enigma"]
    nobody = write_api.get(f"{deals}?fields__champion=nobody@analytical.io").assert_envelope()
    assert nobody.status == 200 and nobody.data == []


def test_an_email_filter_ignores_case(write_api, ada, alan):
    for sent in ("ada@analytical.io", "ADA@ANALYTICAL.IO", "Ada@Analytical.io"):
        found = write_api.get(f"/api/records/contacts?fields__email={sent}").assert_envelope()
        assert [record["id"] for record in found.data] == [ada["id"]], sent
    listed = write_api.get("/api/records/contacts?fields__email__in=ADA@analytical.io,x@y.z")
    assert [record["id"] for record in listed.data] == [ada["id"]]
    others = write_api.get("/api/records/contacts?fields__email__not=ada@ANALYTICAL.io").data
    assert [record["id"] for record in others] == [alan["id"]]
    searched = write_api.post(
        "/api/records/contacts/search",
        {"filters": {"fields__email": {"value": ["aDa@analytical.io"]}}},
    )
    assert [record["id"] for record in searched.data] == [ada["id"]]


def test_an_upsert_that_changes_only_the_emails_case_is_no_change(write_api, ada):
    events = Event.objects.count()
    response = write_api.post(
        "/api/records/contacts/upsert", {"fields": {"email": "ADA@analytical.io"}}
    ).assert_envelope()
    assert response.status == 200 and response.body["created"] is False
    assert response.data["id"] == ada["id"]
    assert response.data["fields"]["email"] == "Ada@analytical.io"  # stored as first given
    assert response.data["meta"]["version"] == ada["meta"]["version"]
    assert Event.objects.count() == events  # no record.updated
    batch = write_api.post(
        "/api/records/contacts/batch",
        {"operations": [{"op": "upsert", "fields": {"email": "ada@ANALYTICAL.io"}}]},
    ).assert_envelope()
    assert batch.status == 200
    assert batch.data[0]["data"]["meta"]["version"] == ada["meta"]["version"]
    assert Event.objects.count() == events


def test_batch_ids_and_merge_take_an_email(write_api, ada, alan):
    batch = write_api.post(
        "/api/records/contacts/batch",
        {
            "operations": [
                {"op": "update", "id": "ADA@analytical.io", "fields": {"phone": "+1 555"}}
            ]
        },
    ).assert_envelope()
    assert batch.status == 200 and batch.data[0]["data"]["id"] == ada["id"]
    merged = write_api.post(
        f"/api/records/contacts/{ada['id']}/merge",
        {"from": "ALAN@turing.org"},
        HTTP_X_EXPERIMENTAL="merge",
    ).assert_envelope()
    assert merged.status == 200, merged.body
    assert merged.body["merge"]["merged_id"] == alan["id"]
