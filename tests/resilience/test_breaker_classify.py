"""Which outcomes count against a dependency."""

import asyncio

import httpx
import pytest

from resilience.breakers import BreakerOpen, Outcome, classify_exception


def http_error(code: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "https://api.example/v1")
    response = httpx.Response(code, request=request)
    return httpx.HTTPStatusError(f"HTTP {code}", request=request, response=response)


class ApiError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"status {status_code}")
        self.status_code = status_code


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422])
def test_client_error_statuses__count_as_success(code: int) -> None:
    assert classify_exception(http_error(code)) == Outcome.SUCCESS
    assert classify_exception(ApiError(code)) == Outcome.SUCCESS


@pytest.mark.parametrize("code", [408, 425, 429, 500, 502, 503, 504])
def test_overload_and_server_statuses__count_as_failure(code: int) -> None:
    assert classify_exception(http_error(code)) == Outcome.FAILURE
    assert classify_exception(ApiError(code)) == Outcome.FAILURE


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
        TimeoutError(),
        ConnectionResetError(),
        RuntimeError("unexpected"),
    ],
)
def test_transport_errors_and_unknown_exceptions__count_as_failure(exc: Exception) -> None:
    assert classify_exception(exc) == Outcome.FAILURE


@pytest.mark.parametrize(
    "exc", [asyncio.CancelledError(), KeyboardInterrupt(), BreakerOpen("downstream", 3.0)]
)
def test_cancellation_and_nested_breakers__are_ignored(exc: BaseException) -> None:
    assert classify_exception(exc) == Outcome.IGNORED


def test_malformed_request__is_our_fault_not_the_dependencys() -> None:
    assert classify_exception(httpx.UnsupportedProtocol("ftp://")) == Outcome.SUCCESS
