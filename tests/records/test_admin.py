"""The records admin as staff use it: only their organizations, a typed form per object, saves
through the services, archive actions."""

import re

import pytest

from records.models import Object, Record
from tests.conftest import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(org):
    return staff_member(org, app_labels=["records"])


@pytest.fixture
def acme(schema, write_api):
    person = write_api.post("/api/records/people", {"name": "Jane Roe"}).data
    record = write_api.post(
        "/api/records/companies",
        {
            "name": "Zenith",
            "fields": {"tier": "a", "founded": "2001-02-03", "owner": person["id"], "revenue": 10},
        },
    ).data
    return record, person


@pytest.fixture
def theirs(other_admin_api):
    other_admin_api.post(
        "/api/objects", {"api_name": "secrets", "fields": [{"api_name": "code", "type": "text"}]}
    )
    return other_admin_api.post("/api/records/secrets", {"name": "Hidden Co"}).data


def form_data(page: str) -> dict[str, object]:
    """What a browser would submit from the change form: inputs (checked boxes only) and the
    selected options."""
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for attributes, body in re.findall(r"<select([^>]*)>(.*?)</select>", page, re.S):
        name = re.search(r'name="([^"]+)"', attributes).group(1)
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        if "multiple" in attributes:
            data[name] = chosen
        else:
            data[name] = chosen[0] if chosen else ""
    return data


def test_staff_browse_an_objects_records_with_its_fields_as_columns(staff, acme, theirs):
    companies = Object.objects.get(api_name="companies")
    page = staff.get(f"/admin/records/record/?object={companies.pk}").content.decode()
    assert "Zenith" in page and "Revenue" in page and "Tier" in page
    assert "Hidden Co" not in page
    everything = staff.get("/admin/records/record/").content.decode()
    assert "Hidden Co" not in everything and "secrets" not in everything
    assert "Hidden Co" not in staff.get("/admin/records/record/?q=Hidden").content.decode()
    assert staff.get(f"/admin/records/record/{theirs['id']}/change/").status_code == 302
    objects = staff.get("/admin/records/object/").content.decode()
    assert "companies" in objects and "secrets" not in objects


def test_typed_form_saves_through_the_service(staff, acme):
    record, person = acme
    url = f"/admin/records/record/{record['id']}/change/"
    page = staff.get(url).content.decode()
    assert 'type="date"' in page and 'value="2001-02-03"' in page
    assert '<option value="a" selected>a</option>' in page
    assert "Jane Roe" in page  # the relationship picker lists the target's records
    data = form_data(page)
    data.update({"name": "Zenith Inc", "value_tier": "b", "value_revenue": "12.5"})
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Record.objects.get(pk=record["id"])
    assert saved.name == "Zenith Inc" and saved.version == 2
    stored = {
        field.api_name: saved.values.get(field.key)
        for field in saved.object.fields.all()
        if field.key in saved.values
    }
    assert stored == {"tier": "b", "founded": "2001-02-03", "owner": person["id"], "revenue": 12.5}


def test_a_value_the_service_refuses_comes_back_as_a_form_error(staff, acme, write_api):
    record, _ = acme
    write_api.post("/api/records/companies", {"name": "Other", "fields": {"domain": "taken.com"}})
    url = f"/admin/records/record/{record['id']}/change/"
    data = form_data(staff.get(url).content.decode())
    data["value_domain"] = "taken.com"
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "Already used by record" in response.content.decode()
    assert Record.objects.get(pk=record["id"]).version == 1


def test_add_a_record_for_an_object(staff, schema):
    companies = Object.objects.get(api_name="companies")
    page = staff.get(f"/admin/records/record/add/?object={companies.pk}").content.decode()
    assert 'name="value_revenue"' in page
    data = form_data(page)
    data.update({"object": str(companies.pk), "name": "Newco", "value_revenue": "3"})
    response = staff.post(f"/admin/records/record/add/?object={companies.pk}", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Record.objects.get(name="Newco")
    assert list(created.values.values()) == [3]


def test_archive_and_unarchive_actions(staff, acme):
    record, _ = acme
    staff.post(
        "/admin/records/record/", {"action": "archive_selected", "_selected_action": [record["id"]]}
    )
    archived = Record.objects.get(pk=record["id"])
    assert archived.archived_at is not None and archived.version == 2
    assert "Zenith" not in staff.get("/admin/records/record/").content.decode()
    assert "Zenith" in staff.get("/admin/records/record/?archived=true").content.decode()
    staff.post(
        "/admin/records/record/?archived=true",
        {"action": "unarchive_selected", "_selected_action": [record["id"]]},
    )
    assert Record.objects.get(pk=record["id"]).archived_at is None


def test_relationship_picker_searches_the_target_objects_records(staff, acme, theirs, write_api):
    write_api.post("/api/records/people", {"name": "Jack Doe"})
    write_api.post("/api/records/companies", {"name": "Jade Corp"})
    people = Object.objects.get(api_name="people")
    record, _ = acme
    page = staff.get(f"/admin/records/record/{record['id']}/change/").content.decode()
    assert f'data-ajax--url="/admin/autocomplete/?object={people.pk}"' in page
    response = staff.get(
        "/admin/autocomplete/",
        {
            "object": str(people.pk),
            "term": "Ja",
            "app_label": "records",
            "model_name": "uniquevalue",
            "field_name": "record",
        },
    )
    assert response.status_code == 200
    names = sorted(item["text"] for item in response.json()["results"])
    assert names == ["Jack Doe", "Jane Roe"]  # not the company "Jade Corp"


@pytest.mark.parametrize("value", ["junk", "%00", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_object_parameter_is_ignored_not_a_crash(staff, acme, value):
    assert staff.get(f"/admin/records/record/?object={value}").status_code == 200
    assert staff.get(f"/admin/records/record/add/?object={value}").status_code == 200


def test_the_admin_filters_with_the_apis_field_filters(staff, acme, write_api):
    write_api.post("/api/records/companies", {"name": "Small Co", "fields": {"revenue": 1}})
    companies = Object.objects.get(api_name="companies")
    base = f"/admin/records/record/?object={companies.pk}"
    page = staff.get(f"{base}&fields__revenue__gte=5").content.decode()
    assert "Zenith" in page and "Small Co" not in page
    assert "fields__revenue__gte=5" in page  # shown as an active filter
    bad = staff.get(f"{base}&fields__revenue__like=5")
    assert bad.status_code == 302 and "e=1" in bad["Location"]


def test_saving_unchanged_keeps_datetimes_to_the_microsecond(staff, schema, write_api):
    record = write_api.post(
        "/api/records/companies",
        {"name": "Timely", "fields": {"last_contact": "2024-05-05T10:11:12.345Z"}},
    ).data
    url = f"/admin/records/record/{record['id']}/change/"
    data = form_data(staff.get(url).content.decode())
    assert data["value_last_contact"] == "2024-05-05T10:11:12.345000"
    assert staff.post(url, data).status_code == 302
    after = write_api.get(f"/api/records/companies/{record['id']}").data
    assert after["fields"]["last_contact"] == "2024-05-05T10:11:12.345000Z"


def test_staff_manage_objects_and_fields_through_the_services(staff, org, other_org):
    form = staff.get("/admin/records/object/add/").content.decode()
    assert other_org.name not in form
    response = staff.post(
        "/admin/records/object/add/",
        {
            "org": str(org.pk),
            "api_name": "deals",
            "singular_name": "Deal",
            "plural_name": "Deals",
            "description": "",
            "fields-TOTAL_FORMS": "0",
            "fields-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deals = Object.objects.get(org=org, api_name="deals")
    bad = staff.post(
        "/admin/records/object/add/",
        {
            "org": str(org.pk),
            "api_name": "Bad Name",
            "singular_name": "x",
            "plural_name": "x",
            "fields-TOTAL_FORMS": "0",
            "fields-INITIAL_FORMS": "0",
        },
    )
    assert bad.status_code == 200
    assert "Expected lower case letters, digits and underscores" in bad.content.decode()

    added = staff.post(
        "/admin/records/field/add/",
        {
            "object": str(deals.pk),
            "api_name": "amount",
            "label": "Amount",
            "type": "number",
            "description": "",
            "options": "{}",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    field = deals.fields.get(api_name="amount")
    assert len(field.key) == 32  # made by the service
    Record.objects.create(org=org, object=deals, name="d", values={field.key: 5})
    retype = staff.post(
        f"/admin/records/field/{field.pk}/change/",
        {
            "api_name": "amount",
            "label": "Amount",
            "type": "text",
            "description": "",
            "options": "{}",
        },
    )
    assert retype.status_code == 200
    assert "1 record(s) have a value for" in retype.content.decode()
    field.refresh_from_db()
    assert field.type == "number"


def choices_of(page: str, name: str) -> list[str]:
    """The labels of a select's options, but the empty one."""
    body = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]*)</option>', body)


@pytest.fixture
def two_orgs_companies(schema, write_api, other_org, other_admin_api):
    """A company in each organization, of objects both named Companies."""
    other_admin_api.post(
        "/api/objects", {"api_name": "companies", "fields": [{"api_name": "code", "type": "text"}]}
    )
    ours = write_api.post("/api/records/companies", {"name": "Zenith"}).data
    theirs = other_admin_api.post("/api/records/companies", {"name": "Initech"}).data
    return ours, theirs


def test_staff_of_two_orgs_see_each_object_with_its_organization(
    staff, org, other_org, two_orgs_companies
):
    from django.contrib.auth.models import User

    from accounts.services import add_member

    add_member(org=other_org, user=User.objects.get(username="staff"))
    _, theirs = two_orgs_companies
    add = staff.get("/admin/records/record/add/").content.decode()
    objects = choices_of(add, "object")
    assert "Companies (Acme Inc)" in objects and "Companies (Globex)" in objects
    assert "Companies" not in objects
    field_add = staff.get("/admin/records/field/add/").content.decode()
    assert "Companies (Globex)" in choices_of(field_add, "object")

    records = staff.get("/admin/records/record/").content.decode()
    assert "Companies (Acme Inc)" in records and "Companies (Globex)" in records
    fields = staff.get("/admin/records/field/").content.decode()
    assert "Companies (Acme Inc)" in fields and "Companies (Globex)" in fields

    record_page = staff.get(f"/admin/records/record/{theirs['id']}/change/").content.decode()
    assert "<h2>Initech (Globex)</h2>" in record_page
    companies = Object.objects.get(org=org, api_name="companies")
    object_page = staff.get(f"/admin/records/object/{companies.pk}/change/").content.decode()
    assert "<h2>Companies (Acme Inc)</h2>" in object_page
    field = companies.fields.get(api_name="domain")
    field_page = staff.get(f"/admin/records/field/{field.pk}/change/").content.decode()
    assert "<h2>companies.domain (Acme Inc)</h2>" in field_page


def test_staff_of_one_org_see_plain_labels(staff, org, two_orgs_companies):
    add = staff.get("/admin/records/record/add/").content.decode()
    assert "Companies" in choices_of(add, "object")
    assert "(Acme Inc)" not in add and "Globex" not in add
    ours, _ = two_orgs_companies
    record_page = staff.get(f"/admin/records/record/{ours['id']}/change/").content.decode()
    assert "<h2>Zenith</h2>" in record_page


def test_search_finds_records_by_their_text_values_in_the_users_orgs_only(
    staff, schema, write_api, other_admin_api
):
    write_api.post(
        "/api/records/companies",
        {"name": "Linux Foundation", "fields": {"domain": "kernel.org", "notes": "unindexed"}},
    )
    write_api.post(
        "/api/records/companies",
        {"name": "Example", "fields": {"email": "Sales@Example.com", "website": "https://ex.io"}},
    )
    other_admin_api.post(
        "/api/objects", {"api_name": "secrets", "fields": [{"api_name": "code", "type": "text"}]}
    )
    other_admin_api.post(
        "/api/records/secrets", {"name": "Hidden Co", "fields": {"code": "kernel.org"}}
    )

    def found(term: str) -> list[str]:
        page = staff.get("/admin/records/record/", {"q": term}).content.decode()
        return [name for name in ("Linux Foundation", "Example", "Hidden Co") if name in page]

    assert found("kernel.org") == ["Linux Foundation"]
    assert found("KERNEL") == ["Linux Foundation"]
    assert found("sales@example") == ["Example"]
    assert found("ex.io") == ["Example"]
    assert found("linux kernel") == ["Linux Foundation"]  # one word in the name, one in a value
    assert found("linux example") == []
    assert found("Hidden") == []
    assert found("50%") == []
