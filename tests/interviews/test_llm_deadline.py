"""The whole LLM call ends by its deadline, however the server sends its reply.

A server that sends its headers at once and then a few bytes at a time never trips a per-read
timeout; these tests use the fake LLM's `trickle` mode (8 bytes every 100 ms, so a reply takes
several seconds) over real HTTP, for both providers, the chain and the evaluation.
"""

import time

import httpx
import pytest
from prometheus_client import REGISTRY

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.base import AnsweredQuestion
from interviews.llm.budget import Deadline
from interviews.llm.errors import ProvidersUnavailable
from interviews.llm.providers.remote import RemoteInterviewer
from resilience.breakers import State
from tests.interviews.llm_support import (
    MemoryBreakers,
    anthropic_at,
    context,
    make_chain,
    offline,
    openai_at,
)

# Time allowed past a deadline: thread scheduling and closing the socket on 2 shared cores.
SLACK = 0.4
ANSWER = "I would add an index on the lookup column and check the plan with EXPLAIN."


@pytest.fixture
def trickling(fake: FakeLLMHandle) -> FakeLLMHandle:
    fake.control(mode="trickle", trickle_ms=100)
    return fake


def _provider(dialect: str, fake: FakeLLMHandle, timeout: float) -> RemoteInterviewer:
    make = openai_at if dialect == "openai" else anthropic_at
    return make(fake, timeout=timeout)


def _timeouts(provider: str) -> float:
    labels = {"provider": provider, "outcome": "timeout"}
    return REGISTRY.get_sample_value("llm_calls_total", labels) or 0.0


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_trickle__a_question_ends_at_the_given_deadline(
    trickling: FakeLLMHandle, dialect: str
) -> None:
    provider = _provider(dialect, trickling, timeout=30.0)
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        provider.generate_question(context(), deadline=Deadline.after(1.0))
    assert time.monotonic() - started < 1.0 + SLACK


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_trickle__llm_timeout_caps_a_later_deadline(trickling: FakeLLMHandle, dialect: str) -> None:
    provider = _provider(dialect, trickling, timeout=1.0)
    ctx = context()
    question = offline().generate_question(ctx)
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        provider.follow_up(ctx, question, "Not sure.", deadline=Deadline.after(30.0))
    assert time.monotonic() - started < 1.0 + SLACK


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_trickle__cut_call_is_a_timeout_failure_for_the_breaker(
    trickling: FakeLLMHandle, dialect: str
) -> None:
    breakers = MemoryBreakers(failure_threshold=1)
    chain = make_chain(
        [_provider(dialect, trickling, timeout=1.0), offline()],
        timeout=1.0,
        attempts=1,
        breakers=breakers,
    )
    timeouts = _timeouts(dialect)
    started = time.monotonic()
    question = chain.generate_question(context())
    assert time.monotonic() - started < 1.0 + SLACK
    assert (question.source, question.provider) == ("offline", "offline")
    assert breakers(f"llm.{dialect}").snapshot().state == State.OPEN
    assert _timeouts(dialect) == timeouts + 1


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_trickle__evaluation_ends_within_its_budget(trickling: FakeLLMHandle, dialect: str) -> None:
    chain = make_chain([_provider(dialect, trickling, timeout=0.5)], timeout=0.5, attempts=1)
    answers = (AnsweredQuestion(1, "How do you index?", ("Uses an index",), ANSWER),)
    budget = chain.config.evaluation_budget
    started = time.monotonic()
    with pytest.raises(ProvidersUnavailable) as caught:
        chain.evaluate(role="r", topic="sql", difficulty="medium", answers=answers)
    assert time.monotonic() - started < budget + SLACK
    assert "Timeout" in caught.value.failures[dialect]
