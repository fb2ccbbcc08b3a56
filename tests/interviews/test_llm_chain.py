"""The failover chain over real HTTP: order, breakers, retries, the deadline, the question bank
and the fallbacks. Two fake servers stand in for two independent providers."""

import ast
import contextlib
import time
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm import gateway
from interviews.llm.base import AnsweredQuestion, GeneratedQuestion
from interviews.llm.budget import llm_step
from interviews.llm.errors import ProvidersUnavailable
from interviews.llm.fallback import EXPERIENCE_QUESTIONS, fallback_question
from resilience.breakers import State
from tests.interviews.llm_support import (
    MemoryBreakers,
    anthropic_at,
    context,
    make_chain,
    offline,
    openai_at,
    reset,
    seed_for,
    start_fake,
)

LONG_ANSWER = "I profile first, then fix the hottest path and measure again. " * 5
SLACK = 1.0  # seconds allowed on top of a deadline for a busy shared machine


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeLLMHandle, FakeLLMHandle]]:
    with contextlib.ExitStack() as stack:
        yield start_fake(stack), start_fake(stack)


@pytest.fixture
def fake(servers: tuple[FakeLLMHandle, FakeLLMHandle]) -> FakeLLMHandle:
    return reset(servers[0])


@pytest.fixture
def other(servers: tuple[FakeLLMHandle, FakeLLMHandle]) -> FakeLLMHandle:
    return reset(servers[1])


class DictBank:
    """A minimal question bank: what the question cache will plug in."""

    def __init__(self) -> None:
        self.stored: list[GeneratedQuestion] = []

    def get(
        self, *, difficulty: str, language: str, topic: str, exclude: Collection[str] = ()
    ) -> GeneratedQuestion | None:
        return next((q for q in self.stored if q.text not in exclude), None)

    def put(
        self, *, difficulty: str, language: str, topic: str, question: GeneratedQuestion
    ) -> None:
        self.stored.append(question)


class BrokenBank(DictBank):
    def get(
        self, *, difficulty: str, language: str, topic: str, exclude: Collection[str] = ()
    ) -> GeneratedQuestion | None:
        raise ConnectionError("cache backend down")


def _fallbacks(kind: str) -> float:
    return REGISTRY.get_sample_value("llm_fallbacks_total", {"kind": kind}) or 0.0


def test_provider_two_answers__when_provider_one_is_down(
    fake: FakeLLMHandle, other: FakeLLMHandle
) -> None:
    fake.control(mode="error500")
    chain = make_chain([openai_at(fake), anthropic_at(other)])
    question = chain.generate_question(context())
    assert (question.source, question.provider) == ("llm", "anthropic")
    assert fake.status()["by_outcome"] == {"error500": 3}, "three attempts, then the next one"
    assert other.status()["by_outcome"] == {"ok": 1}


def test_rate_limit__retry_waits_retry_after_then_succeeds(fake: FakeLLMHandle) -> None:
    fake.control(mode="rate_limit", retry_after=1, fail_rate=0.5, seed=seed_for([True, False], 0.5))
    chain = make_chain([openai_at(fake)], timeout=3.0)
    started = time.monotonic()
    question = chain.generate_question(context())
    elapsed = time.monotonic() - started
    assert question.source == "llm"
    assert fake.status()["by_outcome"] == {"rate_limit": 1, "ok": 1}
    assert 0.95 <= elapsed < 3.0, "waited about Retry-After (1 s), not the 10 ms back-off"


def test_rate_limit_beyond_the_deadline__gives_up_at_once_instead_of_sleeping(
    fake: FakeLLMHandle,
) -> None:
    # Retry-After (5 s) is within RETRY_MAX_DELAY (10 s), but not within the step's 1 s.
    fake.control(mode="rate_limit", retry_after=5)
    chain = make_chain([openai_at(fake)], timeout=1.0, max_delay=10.0)
    started = time.monotonic()
    question = chain.generate_question(context())
    assert question.source == "fallback"
    assert time.monotonic() - started < 1.0
    assert fake.status()["by_outcome"] == {"rate_limit": 1}


def test_hang__is_cut_at_the_timeout_and_the_rest_of_the_chain_is_skipped(
    fake: FakeLLMHandle,
) -> None:
    fake.control(mode="hang")
    chain = make_chain([openai_at(fake), anthropic_at(fake), offline()], timeout=1.0)
    started = time.monotonic()
    question = chain.generate_question(context())
    elapsed = time.monotonic() - started
    # The offline interviewer does no I/O, so it still answers after the deadline.
    assert (question.source, question.provider) == ("offline", "offline")
    assert 0.85 <= elapsed < 1.0 + SLACK  # 10 % of the step is kept back for the fallback
    assert fake.status()["by_path"] == {"/v1/chat/completions": 1}, "anthropic had no time left"


def test_open_breaker__candidate_gets_the_fallback_without_any_request(
    fake: FakeLLMHandle,
) -> None:
    fake.control(mode="error500")
    breakers = MemoryBreakers(failure_threshold=3)
    chain = make_chain([openai_at(fake)], breakers=breakers)
    assert chain.generate_question(context()).source == "fallback"
    assert breakers("llm.openai").snapshot().state == State.OPEN
    requests = fake.status()["requests"]
    started = time.monotonic()
    question = chain.generate_question(context(index=2))
    assert time.monotonic() - started < 0.5
    assert (question.source, question.provider) == ("fallback", "fallback")
    assert fake.status()["requests"] == requests


def test_malformed_twice__falls_through_and_counts_one_breaker_failure(
    fake: FakeLLMHandle,
) -> None:
    fake.control(mode="malformed")
    breakers = MemoryBreakers()
    chain = make_chain([openai_at(fake), offline()], breakers=breakers)
    assert chain.generate_question(context()).source == "offline"
    assert fake.status()["requests"] == 2, "the reply and its one repair; never retried"
    snapshot = breakers("llm.openai").snapshot()
    assert (snapshot.calls, snapshot.failures) == (1, 1)


def test_malformed_then_valid__repaired_answer_is_an_llm_question(fake: FakeLLMHandle) -> None:
    fake.control(mode="malformed", fail_rate=0.5, seed=seed_for([True, False], 0.5))
    breakers = MemoryBreakers()
    chain = make_chain([openai_at(fake)], breakers=breakers)
    assert chain.generate_question(context()).source == "llm"
    assert breakers("llm.openai").snapshot().failures == 0


def test_dropped_connection__is_retried_on_a_new_connection(fake: FakeLLMHandle) -> None:
    fake.control(mode="drop", fail_rate=0.5, seed=seed_for([True, False], 0.5))
    question = make_chain([openai_at(fake)]).generate_question(context())
    assert question.source == "llm"
    assert fake.status()["by_outcome"] == {"drop": 1, "ok": 1}


def test_fallback_questions__differ_by_index_and_never_repeat_an_asked_one(
    fake: FakeLLMHandle,
) -> None:
    fake.control(mode="error500")
    chain = make_chain([openai_at(fake)], attempts=1)
    before = _fallbacks("question_generation")
    asked: list[str] = []
    for index in range(1, len(EXPERIENCE_QUESTIONS) + 3):
        question = chain.generate_question(context(index=index, previous_questions=tuple(asked)))
        assert question.source == "fallback"
        assert question.text not in asked
        asked.append(question.text)
    assert _fallbacks("question_generation") == before + len(asked)
    first, second = fallback_question(context(index=1)), fallback_question(context(index=2))
    assert first.text != second.text
    again = fallback_question(context(index=2, previous_questions=(second.text,)))
    assert again.text not in (second.text,)


def test_question_bank__fed_by_llm_questions_and_served_when_all_providers_fail(
    fake: FakeLLMHandle,
) -> None:
    bank = DictBank()
    chain = make_chain([openai_at(fake)], bank=bank, attempts=1)
    fresh = chain.generate_question(context())
    assert bank.stored == [fresh]
    fake.control(mode="error500")
    cached = chain.generate_question(context(index=2))
    assert (cached.source, cached.text, cached.provider) == ("cache", fresh.text, "openai")
    # Never a repeat: with its only question already asked, the bank misses.
    repeat = chain.generate_question(context(index=2, previous_questions=(fresh.text,)))
    assert repeat.source == "fallback"


def test_question_bank_failure__is_a_miss_not_an_outage(fake: FakeLLMHandle) -> None:
    fake.control(mode="error500")
    chain = make_chain([openai_at(fake)], bank=BrokenBank(), attempts=1)
    assert chain.generate_question(context()).source == "fallback"


def test_follow_up__from_the_llm_with_its_source_or_none_when_all_fail(
    fake: FakeLLMHandle,
) -> None:
    chain = make_chain([openai_at(fake)], attempts=1)
    question = chain.generate_question(context())
    follow_up = chain.follow_up_question(context(), question, "Not sure.")
    assert follow_up is not None
    assert (follow_up.source, follow_up.provider) == ("llm", "openai")
    assert chain.follow_up(context(), question, LONG_ANSWER) is None
    fake.control(mode="error500")
    before = _fallbacks("default")
    assert chain.follow_up(context(), question, "Not sure.") is None
    assert _fallbacks("default") == before + 1


def test_one_step__follow_up_and_next_question_share_one_timeout(fake: FakeLLMHandle) -> None:
    fake.control(mode="hang")
    chain = make_chain([openai_at(fake)], timeout=1.0)
    question = GeneratedQuestion("Why?", ("Because",), "llm", "openai")
    started = time.monotonic()
    with llm_step(1.0):
        assert chain.follow_up(context(), question, "Not sure.") is None
        assert chain.generate_question(context(index=2)).source == "fallback"
    assert time.monotonic() - started < 1.0 + SLACK
    assert fake.status()["requests"] == 1, "the question had no budget left to wait on"


def _answers() -> tuple[AnsweredQuestion, ...]:
    return (AnsweredQuestion(1, "Why profile?", ("Measures first",), LONG_ANSWER),)


def test_evaluate__llm_result_is_labelled_with_its_provider(fake: FakeLLMHandle) -> None:
    chain = make_chain([openai_at(fake), offline()])
    result = chain.evaluate(role="r", topic="python", difficulty="medium", answers=_answers())
    assert result.method == "llm:openai"
    assert result.details["repaired"] is False


def test_evaluate__a_hanging_provider_leaves_the_next_one_its_share(
    fake: FakeLLMHandle, other: FakeLLMHandle
) -> None:
    fake.control(mode="hang")
    chain = make_chain([openai_at(fake), anthropic_at(other)], timeout=0.5)  # budget 2 s
    started = time.monotonic()
    result = chain.evaluate(role="r", topic="python", difficulty="medium", answers=_answers())
    assert result.method == "llm:anthropic"
    assert time.monotonic() - started < 2.0 + SLACK


def test_evaluate__offline_is_the_last_resort(fake: FakeLLMHandle) -> None:
    fake.control(mode="error500")
    chain = make_chain([openai_at(fake), offline()], attempts=1)
    result = chain.evaluate(role="r", topic="python", difficulty="medium", answers=_answers())
    assert result.method == "offline-heuristic"


def test_evaluate__no_provider_able__raises_providers_unavailable(
    fake: FakeLLMHandle, other: FakeLLMHandle
) -> None:
    fake.control(mode="error500")
    other.control(mode="malformed")
    chain = make_chain([openai_at(fake), anthropic_at(other)], attempts=2)
    with pytest.raises(ProvidersUnavailable) as caught:
        chain.evaluate(role="r", topic="python", difficulty="medium", answers=_answers())
    assert set(caught.value.failures) == {"openai", "anthropic"}
    assert "HTTPStatusError" in caught.value.failures["openai"]
    assert "MalformedReply" in caught.value.failures["anthropic"]


def test_llm_package__no_function_level_imports_hide_an_import_circle() -> None:
    # The cache adapter, the pre-warm source, the chain and the gateway import one another at
    # module level only: an import tucked into a function is how a circle hides.
    package = Path(gateway.__file__).parent
    hidden = [
        f"{path.name}:{node.lineno} {node.module}"
        for path in sorted(package.glob("*.py"))
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith(("interviews.llm.gateway", "interviews.llm.chain"))
    ]
    assert hidden == []
