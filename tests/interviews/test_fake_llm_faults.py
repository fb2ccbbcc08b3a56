"""The fake LLM's fault modes over real HTTP: 500, 429 with Retry-After, hang, malformed, drop,
the fail rate and latency. No database needed."""

import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from interviews.fake_llm.server import FakeLLMHandle
from tests.interviews.fake_llm_client import (
    DIALECTS,
    call,
    question_prompt,
    reply_text,
)
from tests.interviews.llm_support import start_fake
from tests.waiting import wait_for

# --- fault modes ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_error500_mode_answers_500_with_a_provider_error(fake: FakeLLMHandle, dialect: str) -> None:
    fake.control(mode="error500")
    response = call(fake, dialect, json.dumps(question_prompt()))
    assert response.status_code == 500
    body = response.json()
    if dialect == "openai":
        assert body["error"]["type"] == "server_error"
    else:
        assert body["type"] == "error"
        assert body["error"]["type"] == "api_error"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rate_limit_mode_answers_429_with_retry_after(fake: FakeLLMHandle, dialect: str) -> None:
    fake.control(mode="rate_limit")
    response = call(fake, dialect, "hi")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"

    fake.control(retry_after=7)
    assert call(fake, dialect, "hi").headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    ("dialect", "status", "error_type"),
    [("anthropic", 529, "overloaded_error"), ("openai", 503, "server_error")],
)
def test_overloaded_mode_answers_the_providers_overload_status_with_retry_after(
    fake: FakeLLMHandle, dialect: str, status: int, error_type: str
) -> None:
    fake.control(mode="overloaded", retry_after=7)
    response = call(fake, dialect, "hi")
    assert response.status_code == status
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["type"] == error_type


@pytest.mark.parametrize("dialect", DIALECTS)
def test_trickle_mode_sends_headers_at_once_then_the_valid_body_a_few_bytes_at_a_time(
    fake: FakeLLMHandle, dialect: str
) -> None:
    fake.control(mode="trickle", trickle_ms=20)
    path = "/v1/chat/completions" if dialect == "openai" else "/v1/messages"
    headers = {"Authorization": "Bearer k", "x-api-key": "k", "anthropic-version": "2023-06-01"}
    body = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
    started = time.monotonic()
    with fake.client.stream("POST", path, headers=headers, json=body, timeout=5) as response:
        first_byte = time.monotonic() - started
        chunks = list(response.iter_raw())
    total = time.monotonic() - started
    data = b"".join(chunks)
    assert response.status_code == 200
    assert first_byte < 0.5
    # 8 bytes per 20 ms: the body takes at least half its nominal time, in many reads.
    assert total > 0.5 * (len(data) / 8 - 1) * 0.02
    assert len(chunks) > 10
    assert json.loads(data)
    assert fake.status()["by_outcome"] == {"trickle": 1}


def test_hang_is_cut_by_the_client_timeout_and_ok_answers_right_after(fake: FakeLLMHandle) -> None:
    fake.control(mode="hang")
    with pytest.raises(httpx.TimeoutException):
        call(fake, "openai", "hi", timeout=0.5)
    # The control endpoint answers while a request is held.
    assert fake.status()["mode"] == "hang"

    fake.control(mode="ok")
    assert reply_text("openai", call(fake, "openai", "hi", timeout=5))
    wait_for(lambda: fake.status()["hanging"] == 0, 10, "the abandoned request to be let go")
    assert fake.status()["by_outcome"] == {"abandoned": 1, "ok": 1}


@pytest.mark.parametrize(("new_mode", "status"), [("ok", 200), ("error500", 500)])
def test_held_request_answers_in_the_new_mode_when_the_mode_changes(
    fake: FakeLLMHandle, new_mode: str, status: int
) -> None:
    fake.control(mode="hang")
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(call, fake, "anthropic", "hi", timeout=10)
        wait_for(lambda: fake.status()["hanging"] == 1, 10, "the request to be held")
        fake.control(mode=new_mode)
        response = held.result(timeout=10)
    assert response.status_code == status


def test_shutdown_releases_held_requests() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool, httpx.Client(timeout=10) as own_client:
        with contextlib.ExitStack() as stack:
            own = start_fake(stack, mode="hang")
            own_client.base_url = httpx.URL(own.base_url)
            held = pool.submit(call, own, "openai", "hi", client=own_client)
            wait_for(lambda: own.status()["hanging"] == 1, 10, "the request to be held")
            stopping = time.monotonic()
        # uvicorn's own graceful-shutdown backstop is 5 s; a release is far quicker.
        assert time.monotonic() - stopping < 4
        response = held.result(timeout=10)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_malformed_mode_returns_content_that_does_not_parse(
    fake: FakeLLMHandle, dialect: str
) -> None:
    fake.control(mode="malformed")
    text = reply_text(dialect, call(fake, dialect, json.dumps(question_prompt())))
    with pytest.raises(ValueError, match="Expecting value"):
        json.loads(text)
    # Not even a lenient client that cuts out the outermost {...} gets a document.
    with pytest.raises(ValueError, match="Expecting"):
        json.loads(text[text.find("{") : text.rfind("}") + 1])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drop_mode_closes_the_connection_without_a_response(
    fake: FakeLLMHandle, dialect: str
) -> None:
    fake.control(mode="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        call(fake, dialect, "hi")
    fake.control(mode="ok")
    assert reply_text(dialect, call(fake, dialect, "hi"))


def _statuses(fake: FakeLLMHandle, count: int) -> list[int]:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": "Bearer k"}
    path = "/v1/chat/completions"
    return [fake.client.post(path, headers=headers, json=body).status_code for _ in range(count)]


def test_fail_rate_applies_the_fault_to_about_that_share_of_requests(fake: FakeLLMHandle) -> None:
    fake.control(mode="error500", fail_rate=0.5, seed=1234)
    statuses = _statuses(fake, 200)

    failures = statuses.count(500)
    assert failures + statuses.count(200) == 200
    # Binomial(200, 0.5): mean 100, sd ~7; this band is over 5 sd wide on each side.
    assert 60 <= failures <= 140
    assert fake.status()["by_outcome"] == {"ok": 200 - failures, "error500": failures}

    fake.control(seed=1234)
    assert _statuses(fake, 200) == statuses  # a seeded run replays exactly


def test_fail_rate_zero_never_applies_the_fault(fake: FakeLLMHandle) -> None:
    fake.control(mode="drop", fail_rate=0)
    assert _statuses(fake, 20) == [200] * 20


@pytest.mark.parametrize("mode", ["ok", "error500"])
def test_latency_delays_every_answer(fake: FakeLLMHandle, mode: str) -> None:
    fake.control(mode=mode, latency_ms=300)
    started = time.monotonic()
    call(fake, "openai", "hi")
    assert time.monotonic() - started >= 0.25
