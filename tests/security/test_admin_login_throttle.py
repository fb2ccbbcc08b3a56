"""The admin login locks out a username from an address after repeated wrong passwords
(django-axes): the lock-out is logged, holds even for the right password, leaves other users
and other addresses alone, and `axes_reset` lifts it."""

import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.security.helpers import fresh_address

LOGIN = "/admin/login/"
PASSWORD = "right-password-123"
LIMIT = 3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_limit(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("ops-axes", password=PASSWORD, is_staff=True)


def _login(address: str, username: str, password: str) -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_wrong_passwords__lock_out_that_user_from_that_address(
    staff: User, caplog: pytest.LogCaptureFixture
) -> None:
    address = fresh_address()
    with caplog.at_level(logging.WARNING):
        wrong = [_login(address, staff.username, "wrong").status_code for _ in range(30)]
    right = _login(address, staff.username, PASSWORD)

    assert wrong[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, with its error
    assert set(wrong[LIMIT - 1 :]) == {429}
    assert right.status_code == 429, "locked out: even the right password is refused"
    assert "_auth_user_id" not in right.client.session
    locked = [r for r in caplog.records if "locking out" in r.getMessage().lower()]
    assert locked, "the lock-out is logged"
    assert locked[0].levelno == logging.WARNING
    assert staff.username in locked[0].getMessage()
    assert address in locked[0].getMessage()


def test_lock_out__is_per_user_and_address(staff: User) -> None:
    other = User.objects.create_user("ops-other", password=PASSWORD, is_staff=True)
    address = fresh_address()
    for _ in range(LIMIT):
        _login(address, staff.username, "wrong")

    same_user_elsewhere = _login(fresh_address(), staff.username, PASSWORD)
    other_user_here = _login(address, other.username, PASSWORD)

    assert same_user_elsewhere.status_code == 302  # signed in
    assert other_user_here.status_code == 302


def test_axes_reset__unlocks(staff: User) -> None:
    address = fresh_address()
    for _ in range(LIMIT):
        _login(address, staff.username, "wrong")
    assert _login(address, staff.username, PASSWORD).status_code == 429

    call_command("axes_reset_username", staff.username)

    assert _login(address, staff.username, PASSWORD).status_code == 302


def test_force_login_and_a_correct_first_login__unaffected(staff: User) -> None:
    client = Client(REMOTE_ADDR=fresh_address())
    response = client.post(LOGIN, {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
