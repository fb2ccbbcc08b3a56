"""Every JSON error has one envelope; browsers get plain pages; internals only for staff."""

import logging
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = [pytest.mark.urls("tests.monitoring.urls"), pytest.mark.django_db]

ENVELOPE_KEYS = {"code", "message", "retryable", "error_id", "request_id"}
HEX32 = re.compile(r"[0-9a-f]{32}")


def error_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    return dict(body["error"])


@pytest.fixture
def client() -> Client:
    # Answer unhandled errors as production does instead of re-raising them in the test.
    return Client(raise_request_exception=False)


@pytest.fixture
def staff_client() -> Client:
    staff = User.objects.create_user("ops", password="x", is_staff=True)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    return client


def test_404_under_api__envelope_without_technical_message(client: Client) -> None:
    response = client.get("/api/nothing-here/", HTTP_X_REQUEST_ID="trace-404")
    error = error_of(response)
    assert response.status_code == 404
    assert set(error) == ENVELOPE_KEYS
    assert error["code"] == "not_found"
    assert error["retryable"] is False
    assert error["request_id"] == "trace-404"
    assert HEX32.fullmatch(error["error_id"])


def test_404_for_a_json_client_anywhere__envelope(client: Client) -> None:
    response = client.get("/no/such/page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_404_in_a_browser__plain_page_without_internals(client: Client) -> None:
    response = client.get("/no/such/page/", HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in page
    assert "URLconf" not in page
    assert "no/such/page" not in page


def test_403__envelope(client: Client) -> None:
    response = client.get("/api/test/forbidden/")
    error = error_of(response)
    assert response.status_code == 403
    assert (error["code"], error["retryable"]) == ("forbidden", False)


def test_413__content_length_over_the_limit_is_refused_before_the_view(
    client: Client, settings: Any
) -> None:
    settings.MAX_REQUEST_SIZE_BYTES = 100
    response = client.post("/api/test/post/", data=b"x" * 101, content_type="text/plain")
    error = error_of(response)
    assert response.status_code == 413
    assert (error["code"], error["retryable"]) == ("request_too_large", False)
    small = client.post("/api/test/post/", data=b"x" * 100, content_type="text/plain")
    assert small.json() == {"bytes": 100}


def test_429__typed_rate_limit_error_is_retryable_with_retry_after(client: Client) -> None:
    response = client.get("/api/test/rate-limited/")
    error = error_of(response)
    assert response.status_code == 429
    assert (error["code"], error["message"], error["retryable"]) == (
        "rate_limited",
        "Slow down.",
        True,
    )
    assert response["Retry-After"] == "30"


def test_503__open_circuit_breaker_is_service_unavailable_and_retryable(client: Client) -> None:
    response = client.get("/api/test/breaker-open/")
    error = error_of(response)
    assert response.status_code == 503
    assert (error["code"], error["retryable"]) == ("service_unavailable", True)
    assert "llm.openai" not in error["message"]
    assert response["Retry-After"] == "13"


def test_500__error_id_in_the_envelope_and_in_the_log_line_with_the_traceback(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="monitoring.errors"):
        response = client.get("/api/test/crash/")
    error = error_of(response)
    assert response.status_code == 500
    assert set(error) == ENVELOPE_KEYS
    assert error["code"] == "internal_error"
    assert "boom" not in response.content.decode()
    [record] = [r for r in caplog.records if r.name == "monitoring.errors"]
    assert record.error_id == error["error_id"]  # type: ignore[attr-defined]
    assert error["error_id"] in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    django_500s = [r for r in caplog.records if r.name == "django.request"]
    assert django_500s == [], "logged once, with the traceback, not again without it"


def test_500_in_a_browser__plain_page_with_the_reference_only(client: Client) -> None:
    response = client.get("/page/crash/", HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "boom" not in page
    assert "Traceback" not in page
    assert re.search(r"Reference: <code>[0-9a-f]{32}</code>", page)


def test_405_on_a_json_path__envelope_keeps_the_allow_header(client: Client) -> None:
    response = client.get("/api/test/post/")
    error = error_of(response)
    assert response.status_code == 405
    assert error["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"


def test_csrf_failure_on_a_json_path__envelope() -> None:
    response = Client(enforce_csrf_checks=True).post("/api/test/post/", data={})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_technical_message__present_for_staff(staff_client: Client) -> None:
    response = staff_client.get("/api/test/crash/")
    assert error_of(response)["technical_message"] == "RuntimeError: boom: internal detail"


def test_technical_message__present_with_debug_for_anyone(client: Client, settings: Any) -> None:
    settings.DEBUG = True
    response = client.get("/api/test/breaker-open/")
    technical = error_of(response)["technical_message"]
    assert technical.startswith("BreakerOpen: circuit breaker 'llm.openai' is open")


def test_technical_message__absent_for_signed_in_non_staff(client: Client) -> None:
    client.force_login(User.objects.create_user("candidate", password="x"))
    for path in ("/api/test/crash/", "/api/test/breaker-open/", "/api/nothing-here/"):
        assert "technical_message" not in error_of(client.get(path))


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["0", "*", "a/b/c", "application/json, 0"])
def test_health__malformed_accept_header__400_envelope_not_500(client: Client, accept: str) -> None:
    for path in ("/health/live/", "/health/ready/"):
        response = client.get(path, HTTP_ACCEPT=accept)
        assert response.status_code == 400, path
        assert error_of(response)["code"] == "bad_request"
