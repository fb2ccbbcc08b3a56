"""Fixtures of the sandbox tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from resilience.breakers.registry import reset_registry
from tests.sandbox.fake_piston import FakePiston


@pytest.fixture
def fake(settings: Any) -> Iterator[FakePiston]:
    server = FakePiston()
    settings.SANDBOX_ENGINE = "sandbox.engines.piston.PistonEngine"
    settings.SANDBOX_PISTON_URL = server.url
    settings.SANDBOX_PISTON_TIMEOUT_SECONDS = 1.0
    settings.MAX_RETRY_ATTEMPTS = 2
    settings.RETRY_BASE_DELAY = 0.01
    settings.RETRY_MAX_DELAY = 0.05
    settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
    settings.BREAKERS = {
        "sandbox": {
            "failure_threshold": 3,
            "recovery_timeout": 60,
            "minimum_calls": 100,
            "window_size": 100,
        }
    }
    reset_registry()
    try:
        yield server
    finally:
        reset_registry()
        server.close()
