"""A provider's Retry-After holds it back for every caller in every process until it expires.

The fake LLM answers 429 (or 529/503 "overloaded") with a Retry-After over real HTTP; each
"process" is a chain with its own breakers on its own client of one real Redis store.
"""

import contextlib
import email.utils
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.pool import ProviderPool
from interviews.llm.providers.anthropic import AnthropicInterviewer
from interviews.llm.providers.openai import OpenAIInterviewer
from interviews.llm.providers.remote import RemoteInterviewer
from resilience.breakers import State
from resilience.breakers.stores.redis import RedisStore
from tests.interviews.llm_support import (
    KEY,
    MemoryBreakers,
    anthropic_at,
    context,
    make_chain,
    offline,
    openai_at,
)
from tests.services import redis_delete_prefix

# High enough that one failure never opens the breaker by itself: only the hold can.
POLICY: dict[str, Any] = {
    "failure_threshold": 50,
    "recovery_timeout": 20.0,
    "recovery_timeout_max": 120.0,
}


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    prefix = f"test:retry-after:{time.monotonic_ns()}"
    yield prefix
    redis_delete_prefix(redis_url, prefix)


def _process(redis_url: str, prefix: str) -> MemoryBreakers:
    """The breakers of one process: its own Redis client, the shared state."""
    return MemoryBreakers(store=RedisStore(redis_url, prefix=prefix), **POLICY)


def _provider(dialect: str, fake: FakeLLMHandle) -> RemoteInterviewer:
    make = openai_at if dialect == "openai" else anthropic_at
    return make(fake, timeout=2.0)


def _holds(breaker: str) -> float:
    labels = {"breaker": breaker}
    return REGISTRY.get_sample_value("resilience_breaker_retry_after_seconds_count", labels) or 0.0


@pytest.mark.parametrize(
    ("dialect", "mode"),
    [("openai", "rate_limit"), ("anthropic", "rate_limit"), ("anthropic", "overloaded")],
)
def test_retry_after__holds_the_provider_back_in_every_process_until_it_expires(
    fake: FakeLLMHandle, redis_url: str, prefix: str, dialect: str, mode: str
) -> None:
    fake.control(mode=mode, retry_after=7)
    one, two = _process(redis_url, prefix), _process(redis_url, prefix)
    name = f"llm.{dialect}"
    holds = _holds(name)
    first = make_chain([_provider(dialect, fake), offline()], attempts=1, breakers=one)
    second = make_chain([_provider(dialect, fake), offline()], attempts=1, breakers=two)

    assert first.generate_question(context()).source == "offline"
    assert fake.status()["requests"] == 1
    for chain in (second, first, second):  # the next step here, another candidate elsewhere
        question = chain.generate_question(context(index=2))
        assert (question.source, question.degraded) == ("offline", True)
    assert fake.status()["requests"] == 1, "nobody called before the Retry-After expired"
    snapshot = two(name).snapshot()
    assert snapshot.state == State.OPEN
    assert 6.0 < snapshot.retry_after <= 7.0
    assert _holds(name) == holds + 1


def test_retry_after__once_expired_the_next_caller_gets_through(
    fake: FakeLLMHandle, redis_url: str, prefix: str
) -> None:
    fake.control(mode="rate_limit", retry_after=1)
    one, two = _process(redis_url, prefix), _process(redis_url, prefix)
    first = make_chain([openai_at(fake), offline()], attempts=1, breakers=one)
    second = make_chain([openai_at(fake), offline()], attempts=1, breakers=two)
    assert first.generate_question(context()).source == "offline"
    fake.control(mode="ok")
    assert second.generate_question(context()).source == "offline", "still held"
    time.sleep(1.1)
    question = second.generate_question(context())
    assert (question.source, question.provider) == ("llm", "openai")
    assert fake.status()["by_outcome"] == {"rate_limit": 1, "ok": 1}


def _scripted(status: int, headers: dict[str, str]) -> Callable[[], httpx.BaseTransport]:
    """A transport answering every request with `status` and `headers` (header variants the
    fake LLM does not send: HTTP dates, no header at all)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, json={"error": {"message": "busy"}})

    return lambda: httpx.MockTransport(handler)


def _http_date(seconds: float) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("status", "headers", "low", "high"),
    [
        (429, {"retry-after": "30"}, 29.0, 30.0),  # lower-case header name
        (503, {"Retry-After": "12"}, 11.0, 12.0),
        (429, {"Retry-After": "date in 40 s"}, 30.0, 40.0),  # an HTTP date
        (529, {}, 19.0, 20.0),  # overloaded, no figure: the recovery timeout
        (429, {"Retry-After": "86400"}, 119.0, 120.0),  # a day: capped at recovery_timeout_max
    ],
)
def test_retry_after_variants__hold_for_what_was_asked_within_the_cap(
    status: int, headers: dict[str, str], low: float, high: float
) -> None:
    if headers.get("Retry-After") == "date in 40 s":  # made now: collection was a while ago
        headers = {"Retry-After": _http_date(40)}
    breakers = MemoryBreakers(**POLICY)
    pool = ProviderPool("anthropic", transport=_scripted(status, headers))
    provider = AnthropicInterviewer(
        base_url="http://127.0.0.1:9", api_key=KEY, model="m", timeout=1.0, pool=pool
    )
    chain = make_chain([provider, offline()], attempts=1, breakers=breakers)
    assert chain.generate_question(context()).source == "offline"
    snapshot = breakers("llm.anthropic").snapshot()
    assert snapshot.state == State.OPEN
    assert low < snapshot.retry_after <= high


@pytest.mark.parametrize(("status", "headers"), [(429, {"Retry-After": "0"}), (500, {})])
def test_no_retry_after__no_hold(status: int, headers: dict[str, str]) -> None:
    breakers = MemoryBreakers(**POLICY)
    pool = ProviderPool("openai", transport=_scripted(status, headers))
    provider = OpenAIInterviewer(
        base_url="http://127.0.0.1:9/v1", api_key=KEY, model="m", timeout=1.0, pool=pool
    )
    chain = make_chain([provider, offline()], attempts=1, breakers=breakers)
    with contextlib.suppress(Exception):
        chain.generate_question(context())
    assert breakers("llm.openai").snapshot().state == State.CLOSED
