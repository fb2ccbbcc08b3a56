"""Fixtures for the resilience tests: an injectable clock, Redis stores on private prefixes."""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from resilience.breakers import registry
from resilience.breakers.stores.base import BreakerStore
from resilience.breakers.stores.memory import MemoryStore
from resilience.breakers.stores.redis import RedisStore
from tests.services import redis_delete_prefix

from .dlq_helpers import CRITICAL_TASK, Webhook


class FakeClock:
    """Whole milliseconds, so stores and breakers agree on every instant exactly."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self.ms = start_ms

    def __call__(self) -> float:
        return self.ms / 1000

    def advance(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def unique_prefix() -> str:
    return f"test:resilience:{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = unique_prefix()
    yield prefix
    redis_delete_prefix(redis_url, prefix)


@pytest.fixture(params=["memory", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Run the test once per store that must behave identically."""
    return str(request.param)


@pytest.fixture
def make_store(
    request: pytest.FixtureRequest, store_kind: str, clock: FakeClock
) -> Callable[[], BreakerStore]:
    """Stores of the current kind on the test clock (Redis: on this test's private prefix)."""

    def make() -> BreakerStore:
        if store_kind == "redis":
            url = request.getfixturevalue("redis_url")
            return RedisStore(url, prefix=request.getfixturevalue("redis_prefix"), clock=clock)
        return MemoryStore(clock=clock)

    return make


@pytest.fixture
def webhook(settings: Any) -> Iterator[Webhook]:
    """A webhook receiver as ALERT_WEBHOOK_URL, an admin to mail, and CRITICAL_TASK critical."""
    hook = Webhook()
    settings.ALERT_WEBHOOK_URL = hook.url
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.CRITICAL_TASKS = [CRITICAL_TASK]
    yield hook
    hook.close()


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """get_breaker() builds its store and policies anew for the test, and forgets them after."""
    registry.reset_registry()
    yield
    registry.reset_registry()
