"""Sending: retries on the schedule, the attempt log, 410, failing endpoints, secret rotation,
timeouts and redirects, all against a real receiver."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.webhooks.conftest import run_worker
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


def create_company(api, name="Acme"):
    response = api.post("/api/records/companies", {"name": name})
    assert response.status == 201
    return response.data


def test_three_500s_then_a_200_is_one_success_after_four_attempts(
    schema, write_api, admin_api, receiver, endpoint
):
    receiver.answer(500, 500, (500, "still down"))
    create_company(write_api)
    run_worker()
    assert len(receiver.received) == 4
    assert len({m.headers["webhook-id"] for m in receiver.received}) == 1
    for message in receiver.received:
        Webhook(endpoint["secret"]).verify(message.body, message.headers)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 4)
    assert [a.status_code for a in delivery.attempts.all()] == [500, 500, 500, 200]
    listed = admin_api.get(f"/api/webhooks/{endpoint['id']}/deliveries").data
    assert len(listed) == 1 and listed[0]["status"] == "succeeded"
    attempts = listed[0]["attempts"]
    assert [a["number"] for a in attempts] == [1, 2, 3, 4]
    assert attempts[2]["response_body"] == "still down"
    assert all(a["duration_ms"] >= 0 for a in attempts)


def test_the_schedule_runs_out_and_the_delivery_fails(schema, write_api, receiver, endpoint):
    receiver.answer(*[503] * 8)
    create_company(write_api)
    run_worker()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == (
        "failed",
        8,
        503,
    )
    assert len(receiver.received) == 8


def test_retries_wait_for_their_time(schema, write_api, receiver, endpoint, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    receiver.answer(500)
    create_company(write_api)
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempt_count == 1
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 3 < wait <= 5
    assert len(receiver.received) == 1


def test_a_410_disables_the_endpoint_at_once(
    schema, write_api, admin_api, receiver, endpoint, settings
):
    settings.WEBHOOK_SEND_CONCURRENCY = 1  # so the second is still pending when the 410 comes
    receiver.answer(410)
    create_company(write_api, "First")
    create_company(write_api, "Second")
    run_worker()
    assert len(receiver.received) == 1
    shown = admin_api.get(f"/api/webhooks/{endpoint['id']}").data
    assert shown["active"] is False
    assert shown["disabled_reason"] == "The endpoint answered 410 Gone."
    assert shown["disabled_at"] is not None
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    create_company(write_api, "Third")
    assert Delivery.objects.count() == 2  # a disabled endpoint gets no new deliveries
    turned_on = admin_api.request("PATCH", f"/api/webhooks/{endpoint['id']}", {"active": True})
    assert turned_on.data["active"] is True and turned_on.data["disabled_reason"] is None


def test_an_endpoint_failing_for_five_days_is_disabled(
    schema, write_api, admin_api, receiver, endpoint
):
    Endpoint.objects.filter(pk=endpoint["id"]).update(
        failing_since=timezone.now() - timedelta(days=5, minutes=1)
    )
    receiver.answer(500)
    create_company(write_api)
    run_worker()
    shown = admin_api.get(f"/api/webhooks/{endpoint['id']}").data
    assert shown["active"] is False
    assert shown["disabled_reason"] == "Every delivery failed for 5 days."
    assert len(receiver.received) == 1


def test_a_success_resets_the_failing_clock(schema, write_api, receiver, endpoint):
    receiver.answer(500)
    create_company(write_api)
    run_worker()
    assert Endpoint.objects.get(pk=endpoint["id"]).failing_since is None


def test_after_rotation_old_and_new_secrets_both_verify_until_the_overlap_ends(
    schema, write_api, admin_api, receiver, endpoint
):
    old_secret = endpoint["secret"]
    rotated = admin_api.post(f"/api/webhooks/{endpoint['id']}/rotate-secret")
    assert rotated.status == 200
    new_secret = rotated.data["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    create_company(write_api, "During")
    run_worker()
    message = receiver.received[-1]
    assert message.headers["webhook-signature"].count("v1,") == 2
    for secret in (old_secret, new_secret):
        assert Webhook(secret).verify(message.body, message.headers)["type"] == "record.created"

    Endpoint.objects.filter(pk=endpoint["id"]).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    create_company(write_api, "After")
    run_worker()
    message = receiver.received[-1]
    assert message.headers["webhook-signature"].count("v1,") == 1
    assert Webhook(new_secret).verify(message.body, message.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(message.body, message.headers)


def test_a_slow_receiver_times_out(schema, write_api, receiver, endpoint, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 3600]
    receiver.answer((200, "too late", 1.5))
    create_company(write_api)
    run_worker()
    attempt = Attempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error == "Timed out after 0.5 seconds."
    assert Delivery.objects.get().status == "pending"


def test_redirects_are_not_followed(schema, write_api, receiver, endpoint, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 3600]
    receiver.answer((302, "moved"))
    create_company(write_api)
    run_worker()
    assert len(receiver.received) == 1
    assert Attempt.objects.get().status_code == 302
    assert Delivery.objects.get().status == "pending"


def test_only_the_first_4_kb_of_an_answer_are_kept(schema, write_api, receiver, endpoint):
    receiver.answer((200, "x" * 10_000))
    create_company(write_api)
    run_worker()
    assert len(Attempt.objects.get().response_body) == 4096


def test_an_unreachable_endpoint_is_an_error_then_a_retry(schema, admin_api, write_api):
    response = admin_api.post(
        "/api/webhooks", {"url": "http://127.0.0.1:9/nothing-listens", "events": ["*"]}
    )
    assert response.status == 201
    create_company(write_api)
    assert run_worker() == 8
    attempts = list(Attempt.objects.order_by("number"))
    assert len(attempts) == 8 and all(a.status_code is None for a in attempts)
    assert attempts[0].error.startswith("ConnectionRefusedError")


def test_the_test_route_sends_now_and_answers_with_the_delivery(admin_api, receiver, endpoint):
    response = admin_api.post(f"/api/webhooks/{endpoint['id']}/test")
    assert response.status == 200, response.body
    delivery = response.data
    assert delivery["status"] == "succeeded" and delivery["event_type"] == "webhook.test"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    event = Webhook(endpoint["secret"]).verify(
        receiver.received[0].body, receiver.received[0].headers
    )
    assert event["type"] == "webhook.test" and event["data"]["endpoint_id"] == endpoint["id"]


def test_retry_queues_a_new_attempt_of_any_delivery(admin_api, receiver, endpoint):
    receiver.answer(410)
    failed = admin_api.post(f"/api/webhooks/{endpoint['id']}/test").data
    assert failed["status"] == "failed"
    admin_api.request("PATCH", f"/api/webhooks/{endpoint['id']}", {"active": True})
    retried = admin_api.post(f"/api/webhooks/{endpoint['id']}/deliveries/{failed['id']}/retry")
    assert retried.status == 200 and retried.data["status"] == "pending"
    run_worker()
    again = admin_api.get(f"/api/webhooks/{endpoint['id']}/deliveries").data[0]
    assert again["status"] == "succeeded"
    assert [a["status_code"] for a in again["attempts"]] == [410, 200]
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]


def test_a_busy_endpoint_gets_its_events_on_a_few_kept_alive_connections(
    schema, write_api, receiver, endpoint, settings
):
    settings.WEBHOOK_SEND_CONCURRENCY = 4
    for tag in ("first", "second"):
        operations = [{"op": "create", "name": f"{tag} {index}"} for index in range(30)]
        batch = write_api.post("/api/records/companies/batch", {"operations": operations})
        assert batch.status == 200
        run_worker()
    assert len({m.headers["webhook-id"] for m in receiver.received}) == len(receiver.received)
    per_connection = Counter(message.connection for message in receiver.received)
    assert sum(per_connection.values()) == 60
    assert len(per_connection) <= 4  # at most one per concurrent send, kept between rounds
    assert Delivery.objects.filter(status="succeeded", attempt_count=1).count() == 60
