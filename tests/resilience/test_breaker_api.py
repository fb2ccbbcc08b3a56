"""The public API: get_breaker and call()."""

import ast
import logging
from pathlib import Path

import pytest
from django.test import override_settings

import resilience.breakers
from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy, Transition, get_breaker
from resilience.breakers.machine import Machine
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.state import State
from resilience.breakers.stores.base import BreakerStore, Operation, T
from resilience.breakers.stores.memory import MemoryStore
from resilience.models import BreakerConfig

from .conftest import FakeClock

MEMORY_STORE = "resilience.breakers.stores.memory.MemoryStore"


def breaker_with(p: BreakerPolicy, clock: FakeClock | None = None) -> Breaker:
    if clock is None:
        return Breaker(p.name, store=MemoryStore(), policies=StaticPolicies(p))
    return Breaker(p.name, store=MemoryStore(clock=clock), policies=StaticPolicies(p), clock=clock)


@pytest.mark.django_db
@override_settings(
    BREAKER_STORE=MEMORY_STORE,
    BREAKER_DEFAULTS={"failure_threshold": 4, "recovery_timeout": 5.0},
    BREAKERS={"llm.openai": {"critical": True, "failure_threshold": 6}},
)
def test_get_breaker__one_per_name_config_created_from_settings_defaults(
    fresh_registry: None,
) -> None:
    breaker = get_breaker("llm.openai")
    assert get_breaker("llm.openai") is breaker
    assert breaker.policy.failure_threshold == 6
    config = BreakerConfig.objects.get(name="llm.openai")
    assert (config.failure_threshold, config.recovery_timeout, config.critical) == (6, 5.0, True)
    other = get_breaker("llm.anthropic")
    assert other.policy.failure_threshold == 4


@pytest.mark.parametrize("name", ["", "LLM.OpenAI", "llm openai", "../keys", "x" * 101])
def test_get_breaker__rejects_names_unfit_for_keys_and_labels(name: str) -> None:
    with pytest.raises(ValueError, match="invalid breaker name"):
        get_breaker(name)


def test_call__sync_overrun_of_call_timeout_counts_as_failure_but_returns(
    clock: FakeClock,
) -> None:
    policy = BreakerPolicy(name="sync.slow", failure_threshold=1, call_timeout=2.0)
    breaker = breaker_with(policy, clock)

    def slow() -> str:
        clock.advance(2.5)
        return "late answer"

    assert breaker.call(slow) == "late answer"
    assert breaker.snapshot().state == State.OPEN


class BrokenStore(BreakerStore):
    """A store whose every operation raises: the breaker must let calls through."""

    def update(self, name: str, operation: Operation[T]) -> T:
        raise RuntimeError("store is broken")

    def read(self, name: str) -> tuple[Machine, int]:
        raise RuntimeError("store is broken")


def test_store_errors__fail_open_and_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    breaker = Breaker(
        "broken", store=BrokenStore(), policies=StaticPolicies(BreakerPolicy(name="broken"))
    )
    with caplog.at_level(logging.ERROR, logger="resilience.breakers.breaker"):
        assert [breaker.call(lambda i=i: i) for i in range(3)] == [0, 1, 2]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # a traceback once, not once per call
    assert "store acquire failed" in errors[0].getMessage()


def test_listener_errors__never_reach_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    def listener(transition: Transition) -> None:
        raise RuntimeError("event log unavailable")

    policy = BreakerPolicy(name="noisy", failure_threshold=1)
    breaker = Breaker(
        "noisy", store=MemoryStore(), policies=StaticPolicies(policy), listener=listener
    )
    with caplog.at_level(logging.ERROR), pytest.raises(TimeoutError):
        breaker.call(lambda: (_ for _ in ()).throw(TimeoutError()))
    assert "transition listener failed" in caplog.text
    with pytest.raises(BreakerOpen):
        breaker.call(lambda: None)


# The breakers' Django side, which imports the breaker code, and the store that keeps state in
# a model (loaded by its dotted path, like Django's database session backend).
DJANGO_SIDE = {"models", "services", "selectors", "admin", "checks", "database"}


def test_breaker_code__never_imports_its_models_or_services() -> None:
    # The registry gets its listener and its policy source from ResilienceConfig.ready instead
    # of importing them back (no import circle).
    package = Path(resilience.breakers.__file__).parent
    side = {f"resilience.breakers.{name}" for name in DJANGO_SIDE} | {"resilience.models"}
    imported: list[str] = []
    for path in sorted(package.rglob("*.py")):
        if path.stem in DJANGO_SIDE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported += [f"{path.name}: {node.module}"]
            elif isinstance(node, ast.Import):
                imported += [f"{path.name}: {alias.name}" for alias in node.names]
    assert [line for line in imported if line.split(": ")[1] in side] == []
    assert [line for line in imported if "resilience.breakers" in line]  # the walk found code
