"""`GET /api/events` polled incrementally: `after=<event id>` gives what came since, oldest
first; `created_at` ranges; an unknown type is a 400 naming the types."""

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks.models import Event

pytestmark = pytest.mark.django_db


def create(api, name: str) -> dict:
    response = api.post("/api/records/contacts", {"fields": {"email": f"{name}@example.com"}})
    assert response.status == 201, response.body
    return response.data


def ids(response) -> list[str]:
    assert response.status == 200, response.body
    return [event["id"] for event in response.data]


def test_after_a_cursor_the_events_since_come_oldest_first(write_api):
    for name in ("a", "b", "c"):
        create(write_api, name)
    newest_first = ids(write_api.get("/api/events"))
    assert len(newest_first) == 3
    oldest = newest_first[-1]
    since = write_api.get(f"/api/events?after={oldest}").assert_envelope()
    assert ids(since) == list(reversed(newest_first[:-1]))
    assert since.body["pagination"]["total"] == 2
    # A poll loop: one page at a time, the last id read is the next cursor.
    create(write_api, "d")
    page = ids(write_api.get(f"/api/events?after={oldest}&limit=1"))
    seen = list(page)
    while page:
        page = ids(write_api.get(f"/api/events?after={seen[-1]}&limit=1"))
        seen += page
    assert seen == list(reversed(ids(write_api.get("/api/events"))))[1:]
    assert ids(write_api.get(f"/api/events?after={seen[-1]}")) == []


def test_created_at_bounds_the_events(write_api):
    create(write_api, "old")
    create(write_api, "new")
    old, new = Event.objects.order_by("id")
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(write_api.get(f"/api/events?created_at__gte={since}")) == [new.public_id]
    assert ids(write_api.get(f"/api/events?created_at__lt={since}")) == [old.public_id]


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        (
            "type=record.nope",
            {
                "type": [
                    "unknown event type; the types are record.created, record.updated, "
                    "record.deleted, record.archived, record.unarchived, webhook.test."
                ]
            },
        ),
        ("after=nope", {"after": ["expected an event's id (evt_…)."]}),
        ("after=evt_123", {"after": ["expected an event's id (evt_…)."]}),
        (
            "created_at__gte=yesterday",
            {"created_at__gte": ["expected a date and time in ISO 8601."]},
        ),
        (
            "created_at__gte=2026-01-01T00:00:00",
            {"created_at__gte": ["expected a time zone (Z or ±hh:mm)."]},
        ),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(read_api, query, detail):
    response = read_api.get(f"/api/events?{query}").assert_envelope()
    assert response.status == 400
    assert response.body["errorDetail"] == detail


def test_a_known_type_filters(write_api):
    create(write_api, "a")
    assert len(ids(write_api.get("/api/events?type=record.created"))) == 1
    assert ids(write_api.get("/api/events?type=record.deleted")) == []
