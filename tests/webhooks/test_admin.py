"""Webhooks in the admin, as a staff member of one organization sees them."""

import pytest

from tests.conftest import staff_member
from tests.webhooks.conftest import run_worker
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(org):
    return staff_member(org, app_labels=["webhooks"])


def test_endpoints_show_their_success_rate_and_disabled_reason(
    schema, staff, write_api, endpoint, receiver, other_admin_api
):
    other_admin_api.post("/api/webhooks", {"url": "http://127.0.0.1:9/theirs", "events": ["*"]})
    receiver.answer(200, 410)
    write_api.post("/api/records/companies", {"name": "a"})
    write_api.post("/api/records/companies", {"name": "b"})
    run_worker()
    page = staff.get("/admin/webhooks/endpoint/").content.decode()
    assert receiver.url in page and "127.0.0.1:9/theirs" not in page
    assert "50% of 2" in page
    assert "The endpoint answered 410 Gone." in page


def test_deliveries_show_their_attempts_and_can_be_retried(
    schema, staff, write_api, endpoint, receiver
):
    receiver.answer(500, 500, 500, 500, 500, 500, 500, 500)
    write_api.post("/api/records/companies", {"name": "a"})
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    detail = staff.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert detail.count("500") >= 8 and "record.created" in detail
    listing = staff.post(
        "/admin/webhooks/delivery/",
        {"action": "retry_selected", "_selected_action": [str(delivery.pk)]},
        follow=True,
    )
    assert "Queued 1 delivery(ies) for a new attempt." in listing.content.decode()
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempt_count == 9


def test_a_test_event_from_the_admin(staff, endpoint, receiver):
    response = staff.post(
        "/admin/webhooks/endpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint["id"]]},
        follow=True,
    )
    assert f"Test event to {receiver.url}: HTTP 200" in response.content.decode()
    assert receiver.received[0].json["type"] == "webhook.test"


def test_turning_an_endpoint_off_in_the_admin(staff, endpoint, admin_api):
    url = f"/admin/webhooks/endpoint/{endpoint['id']}/change/"
    assert staff.get(url).status_code == 200
    response = staff.post(url, {"description": "paused", "active": ""})
    assert response.status_code == 302
    shown = admin_api.get(f"/api/webhooks/{endpoint['id']}").data
    assert shown["active"] is False and shown["description"] == "paused"


def test_view_only_staff_cannot_send_or_retry(org, write_api, endpoint, receiver):
    from django.contrib.auth.models import Permission, User

    from tests.conftest import STAFF_PASSWORD, admin_login

    viewer = User.objects.create_user("viewer", password=STAFF_PASSWORD, is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    from accounts.services import add_member

    add_member(org=org, user=viewer)
    staff = admin_login("viewer")
    page = staff.get("/admin/webhooks/endpoint/").content.decode()
    assert receiver.url in page and "send_test_event" not in page
    response = staff.post(
        "/admin/webhooks/endpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint["id"]]},
    )
    assert response.status_code in (200, 302)
    assert receiver.received == []
    assert "retry_selected" not in staff.get("/admin/webhooks/delivery/").content.decode()


def test_attempts_show_their_durations_in_rounded_milliseconds(
    schema, staff, write_api, endpoint, receiver
):
    from webhooks.models import Attempt

    write_api.post("/api/records/companies", {"name": "a"})
    run_worker()
    delivery = Delivery.objects.get()
    Attempt.objects.filter(delivery=delivery).update(duration_ms=8.43521799993141)
    page = staff.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "8.4 ms" in page and "8.435" not in page
