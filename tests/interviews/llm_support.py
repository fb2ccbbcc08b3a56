"""Helpers shared by the test_llm_* modules (this module holds no tests).

Everything here is real: the fake LLM over HTTP, real providers, real breakers on a fresh
in-memory store. Nothing of the gateway is mocked.
"""

import contextlib
import errno
import json
import random
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from interviews.fake_llm.server import FakeLLMHandle, run_fake_llm_in_thread
from interviews.llm.bank import QuestionBank
from interviews.llm.base import InterviewerProvider, QuestionContext
from interviews.llm.chain import ChainConfig, InterviewerChain
from interviews.llm.guarded import GuardedProvider, RetryPolicy
from interviews.llm.offline import OfflineInterviewer, load_bank
from interviews.llm.pool import LIMITS, ProviderPool
from interviews.llm.providers.anthropic import AnthropicInterviewer
from interviews.llm.providers.openai import OpenAIInterviewer
from interviews.llm.providers.remote import RemoteInterviewer
from interviews.llm.transport import DeadlineTransport
from resilience.breakers import Breaker, BreakerPolicy
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.stores.base import BreakerStore
from resilience.breakers.stores.memory import MemoryStore

# The range reserved for this project's LLM tests, clear of developers' own services.
TEST_PORTS = range(18100, 18200)
KEY = "test-key"


def start_fake(stack: contextlib.ExitStack, **options: Any) -> FakeLLMHandle:
    for port in TEST_PORTS:
        try:
            return stack.enter_context(run_fake_llm_in_thread(port=port, **options))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    pytest.fail(f"no free port in {TEST_PORTS}")


def reset(fake: FakeLLMHandle) -> FakeLLMHandle:
    # A request a previous test abandoned in "hang" would otherwise wake up on the mode change
    # below and be counted in this test's outcomes; the server notices the hang-up quickly.
    deadline = time.monotonic() + 5
    while fake.status()["hanging"] and time.monotonic() < deadline:
        time.sleep(0.02)
    fake.control(
        mode="ok",
        latency_ms=0,
        fail_rate=1.0,
        retry_after=1,
        trickle_ms=500,
        seed=None,
        broken_code=False,
        reset_counts=True,
    )
    return fake


def seed_for(faulty: Sequence[bool], fail_rate: float) -> int:
    """A seed under which the fake's fault dice come up `faulty` for its next requests.

    The fake rolls `random.Random(seed).random() < fail_rate` once per LLM request.
    """
    for seed in range(10_000):
        rng = random.Random(seed)
        if [rng.random() < fail_rate for _ in faulty] == list(faulty):
            return seed
    raise AssertionError(f"no seed gives {faulty}")


class RecordingTransport(DeadlineTransport):
    """The real transport, keeping every request it sends (what the provider put on the wire)."""

    def __init__(self) -> None:
        super().__init__(limits=LIMITS)
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return super().handle_request(request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def openai_at(
    fake: FakeLLMHandle, *, timeout: float = 1.0, transport: RecordingTransport | None = None
) -> OpenAIInterviewer:
    return OpenAIInterviewer(
        base_url=f"{fake.base_url}/v1",
        api_key=KEY,
        model="gpt-test",
        timeout=timeout,
        pool=_pool("openai", transport),
    )


def anthropic_at(
    fake: FakeLLMHandle, *, timeout: float = 1.0, transport: RecordingTransport | None = None
) -> AnthropicInterviewer:
    return AnthropicInterviewer(
        base_url=fake.base_url,
        api_key=KEY,
        model="claude-test",
        timeout=timeout,
        pool=_pool("anthropic", transport),
    )


def offline() -> OfflineInterviewer:
    """The offline interviewer with its bank loaded, as the gateway builds it at start-up."""
    load_bank()
    return OfflineInterviewer()


def _pool(name: str, transport: RecordingTransport | None) -> ProviderPool:
    # A pool per test: connections never leak from one fake server to the next.
    if transport is None:
        return ProviderPool(name)
    return ProviderPool(name, transport=lambda: transport)


class MemoryBreakers:
    """Real breakers with fixed policies on a fresh in-memory store (no database needed), or
    on `store` (e.g. a RedisStore: one instance per simulated process)."""

    def __init__(self, *, store: BreakerStore | None = None, **policy: Any) -> None:
        self.store = store or MemoryStore()
        self.policy = policy
        self.breakers: dict[str, Breaker] = {}

    def __call__(self, name: str) -> Breaker:
        if name not in self.breakers:
            policies = StaticPolicies(BreakerPolicy(name=name, **self.policy).validate())
            self.breakers[name] = Breaker(name, store=self.store, policies=policies)
        return self.breakers[name]


def make_chain(
    providers: Sequence[InterviewerProvider | RemoteInterviewer],
    *,
    timeout: float = 1.0,
    attempts: int = 3,
    base_delay: float = 0.01,
    max_delay: float = 2.0,
    breakers: MemoryBreakers | None = None,
    bank: QuestionBank | None = None,
) -> InterviewerChain:
    """A chain as the gateway builds one: each remote provider wrapped once, as a guarded
    provider on `breakers`; any other provider as it is."""
    retry = RetryPolicy(attempts=attempts, base_delay=base_delay, max_delay=max_delay)
    breakers = breakers or MemoryBreakers()
    guarded = [
        GuardedProvider(p, retry=retry, breakers=breakers) if isinstance(p, RemoteInterviewer)
        else p
        for p in providers
    ]  # fmt: skip
    config = ChainConfig(timeout=timeout, evaluation_budget=4 * timeout)
    return InterviewerChain(guarded, config=config, question_bank=bank)


def context(**overrides: Any) -> QuestionContext:
    fields: dict[str, Any] = {
        "role": "Backend engineer",
        "topic": "python",
        "difficulty": "medium",
        "language": "en",
        "index": 1,
        "total": 3,
    }
    fields.update(overrides)
    return QuestionContext(**fields)


def last_user_document(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON document carried by the last user message of a recorded request."""
    user = [m for m in body["messages"] if m["role"] == "user"]
    document: dict[str, Any] = json.loads(user[-1]["content"])
    return document


def system_prompt(body: dict[str, Any]) -> str:
    """The system prompt of a recorded request, in either dialect."""
    if "system" in body:
        return str(body["system"])
    return str(next(m["content"] for m in body["messages"] if m["role"] == "system"))
