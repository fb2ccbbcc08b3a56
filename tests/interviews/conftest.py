"""Fixtures shared by the interviews tests that talk to the fake LLM over real HTTP."""

import contextlib
from collections.abc import Iterator

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from tests.interviews.llm_support import reset, start_fake


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeLLMHandle]:
    """One fake LLM server per test module (a module may define its own `fake` instead)."""
    with contextlib.ExitStack() as stack:
        yield start_fake(stack)


@pytest.fixture
def fake(fake_server: FakeLLMHandle) -> FakeLLMHandle:
    """The module's fake LLM, back to answering normally with its counters at zero."""
    return reset(fake_server)
