"""The admin login locks after repeated failures (django-axes, ADMIN_LOGIN_FAILURE_LIMIT):
guessing a password is a handful of tries per cool-off, not thousands a minute."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import STAFF_PASSWORD, admin_login

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password=STAFF_PASSWORD)


def try_login(client: Client, password: str):
    return client.post(LOGIN, {"username": "root", "password": password})


def test_ten_wrong_passwords_then_the_right_one_is_refused(superuser):
    client = Client()
    for _ in range(10):
        assert try_login(client, "wrong").status_code in (200, 429)  # the form again, or locked
    response = try_login(client, STAFF_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Nor from a fresh browser at the same address.
    assert try_login(Client(), STAFF_PASSWORD).status_code == 429


def test_a_few_typos_then_the_right_password_logs_in(superuser, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert try_login(client, "wrong").status_code == 200
    assert try_login(client, STAFF_PASSWORD).status_code == 302
    # ...and forgets them: as many typos again do not lock the account either.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        try_login(Client(), "wrong")
    admin_login("root")


def test_the_lockout_is_per_user_name(superuser):
    User.objects.create_superuser("other", password=STAFF_PASSWORD)
    for _ in range(10):
        try_login(Client(), "wrong")
    admin_login("other")
