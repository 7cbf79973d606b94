import pytest
from django.test import override_settings

from api.models import RequestLog
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


@override_settings(API_THROTTLE_RATE="5/minute")
def test_ratelimit_headers_count_down(read_api):
    first = read_api.get("/api/me")
    second = read_api.get("/api/me")
    assert first.headers["RateLimit-Limit"] == "5"
    assert first.headers["RateLimit-Remaining"] == "4"
    assert second.headers["RateLimit-Remaining"] == "3"
    assert 1 <= int(first.headers["RateLimit-Reset"]) <= 60


@override_settings(API_THROTTLE_RATE="1/minute")
def test_throttling_is_per_key(org, make_key):
    first = ApiClient(make_key(org, "read")[1])
    second = ApiClient(make_key(org, "read")[1])
    assert first.get("/api/me").status == 200
    assert first.get("/api/me").status == 429
    assert second.get("/api/me").status == 200


@override_settings(API_THROTTLE_RATE="1/minute")
def test_429_carries_headers_and_is_logged(read_api):
    read_api.get("/api/me")
    response = read_api.get("/api/me").assert_envelope()
    assert response.status == 429
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["Retry-After"] == response.headers["RateLimit-Reset"]
    entry = RequestLog.objects.get(guid=response.body["guid"])
    assert entry.status == 429
    assert entry.error == response.body["errors"]


def test_default_rate_is_configured(settings):
    assert settings.API_THROTTLE_RATE == "1200/minute"
