"""Errors a newcomer meets stay clear and small: JSON sent as a form says so, and many
unknown inputs are named in part, with a count of the rest."""

import pytest

pytestmark = pytest.mark.django_db


def test_json_sent_as_a_form_says_it_was_read_as_a_form(write_api):
    # What `curl -d '{"name":"T"}'` sends: no Content-Type of its own, so a form.
    response = write_api.request(
        "POST",
        "/api/records/contacts",
        raw='{"name":"T"}',
        content_type="application/x-www-form-urlencoded",
    ).assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == (
        'Unknown input: {"name":"T"}. Valid inputs: name, fields. The body was read as a form '
        "(Content-Type: application/x-www-form-urlencoded); to send JSON, set "
        "Content-Type: application/json."
    )


def test_json_unknown_inputs_get_no_form_hint(write_api):
    response = write_api.post("/api/records/contacts", {"nme": "T"}).assert_envelope()
    assert response.status == 400
    assert response.body["errors"] == "Unknown input: nme. Valid inputs: name, fields."


def test_many_unknown_parameters_are_named_in_part(admin_api):
    query = "&".join(f"unknown_parameter_{i:04d}=1" for i in range(900))
    for path in ("/api/keys", "/api/objects", "/api/events", "/api/webhooks"):
        response = admin_api.get(f"{path}?{query}").assert_envelope()
        assert response.status == 400
        assert len(response.raw.content) < 2_000, path
        assert "… and 890 more" in response.body["errors"]
        assert len(response.body["errorDetail"]) == 10


def test_many_lookup_keys_are_named_in_part(write_api):
    query = "&".join(f"key_{i:04d}=1" for i in range(900))
    response = write_api.get(f"/api/records/contacts/lookup?{query}").assert_envelope()
    assert response.status == 400
    assert len(response.raw.content) < 2_000
    assert len(response.body["errorDetail"]["keys"]) == 10


def test_200000_unknown_field_keys_answer_small(write_api):
    fields = {f"nope_{i}": 1 for i in range(200_000)}
    fields["email"] = "ada@example.com"
    response = write_api.post("/api/records/contacts", {"fields": fields}).assert_envelope()
    assert response.status == 422
    assert len(response.raw.content) < 4_000
    detail = response.body["errorDetail"]
    assert len(detail) == 11  # ten named, and the count of the rest
    assert detail["fields"] == ["… and 199990 more unknown fields."]
