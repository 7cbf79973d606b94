"""The batch's statements alone (make bench's floor for the batch API) write what a batch
request writes: its records, as the scratch object's, and one `record.created` event each."""

import pytest
from django.db import connection

from bench import data, writes
from records.models import Record
from webhooks.models import Event

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]


def _database_url() -> str:
    settings = connection.settings_dict
    return (
        f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )


def test_the_batch_statements_write_the_batchs_records_and_events(org, admin_api):
    for definition in (data.COMPANIES, data.deals_object(), data.deals_object(writes.SCRATCH)):
        assert admin_api.post("/api/objects", definition).status == 201
    company = admin_api.post("/api/records/companies", {"name": "Acme"}).data["id"]
    operations = [{"op": "create", **deal} for deal in data.deals([company], 3)]
    response = admin_api.post("/api/records/deals/batch", {"operations": operations})
    assert [result["status"] for result in response.data] == [201, 201, 201]
    events_before = Event.objects.filter(org=org, type="record.created").count()

    rows, seconds = writes.statements(_database_url(), org.slug, 3, batch_size=2, seconds=60)

    assert rows == 3 and seconds > 0
    copied = Record.objects.filter(object__api_name=writes.SCRATCH)
    assert sorted(copied.values_list("name", flat=True)) == [
        "Deal 000000",
        "Deal 000001",
        "Deal 000002",
    ]
    scratch_keys = {f.key for f in copied.first().object.fields.all()}
    assert all(set(record.values) <= scratch_keys for record in copied)
    assert Event.objects.filter(org=org, type="record.created").count() == events_before + 3
    listed = admin_api.get(
        f"/api/records/{writes.SCRATCH}?fields__stage__in=qualified,proposal,negotiation,won,lost"
    )
    assert len(listed.data) == 3  # the value index has them: the same triggers fired
