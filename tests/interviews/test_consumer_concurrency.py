"""A slow LLM on one interview does not hold up the other sockets of the same process."""

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from interviews.fake_llm.server import FakeLLMHandle
from resilience.breakers.registry import reset_registry
from tests.factories import make_interview
from tests.interviews.llm_support import KEY, start_fake
from tests.interviews.ws import connect, recv, until

pytestmark = pytest.mark.django_db(transaction=True)

LLM_LATENCY_MS = 3000


@pytest.fixture
def slow_llm(settings: Any) -> Iterator[FakeLLMHandle]:
    with contextlib.ExitStack() as stack:
        handle = start_fake(stack, latency_ms=LLM_LATENCY_MS)
        settings.LLM_PROVIDERS = ["openai"]
        settings.OPENAI_BASE_URL = f"{handle.base_url}/v1"
        settings.OPENAI_API_KEY = KEY
        settings.LLM_TIMEOUT_SECONDS = 15.0
        settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
        reset_registry()
        try:
            yield handle
        finally:
            reset_registry()


async def test_slow_llm_for_one_candidate__another_is_welcomed_before_it_answers(
    slow_llm: FakeLLMHandle,
) -> None:
    first = await database_sync_to_async(make_interview)()
    second = await database_sync_to_async(make_interview)()
    a = await connect(first.ws_path)
    await a.send_json_to({"type": "hello", "last_seq": 0})
    assert (await recv(a))["type"] == "welcome"
    # A's first question is now being written by the slow LLM...
    a_question = asyncio.create_task(_arrival(a, "question"))
    b = await connect(second.ws_path)
    await b.send_json_to({"type": "hello", "last_seq": 0})
    b_welcome_at, _ = await _arrival(b, "welcome")
    a_question_at, question = await a_question
    # ...and B is welcomed before it arrives: B's join did not queue behind A's LLM call.
    assert b_welcome_at < a_question_at
    assert question["source"] == "llm"
    assert (await until(b, "question"))[-1]["source"] == "llm"
    await a.disconnect()
    await b.disconnect()


async def _arrival(comm: Any, frame_type: str) -> tuple[float, dict[str, Any]]:
    frame = (await until(comm, frame_type))[-1]
    return time.monotonic(), frame
