"""Fixtures of the sandbox tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.fake_piston import FakePiston, piston_engine


@pytest.fixture
def fake(settings: Any) -> Iterator[FakePiston]:
    breaker = {"failure_threshold": 3, "recovery_timeout": 60, "minimum_calls": 100}
    with piston_engine(
        settings, MAX_RETRY_ATTEMPTS=2, BREAKERS={"sandbox": {**breaker, "window_size": 100}}
    ) as server:
        yield server
