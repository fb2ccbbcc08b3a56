"""The fake LLM's settings: its fault mode and knobs, checked the same way whether they come
from the `fake_llm` command line or a `POST /_control`, and its request counters.

Only the server's event loop touches a FakeLLMState (fake_server.py), so it needs no locks.
"""

import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MODES = (
    "ok",
    "error500",
    "rate_limit",
    "overloaded",
    "hang",
    "malformed",
    "drop",
    "trickle",
    "echo",
)
CONTROL_FIELDS = (
    "mode",
    "latency_ms",
    "fail_rate",
    "retry_after",
    "trickle_ms",
    "seed",
    "reset_counts",
    "obey_injections",
    "broken_code",
)
TRICKLE_BYTES = 8  # bytes per trickle chunk; a slow provider's stream looks the same


class ControlError(ValueError):
    """A bad option or control change; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _number(name: str, value: object, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(name, f"{name} must be a number, got {value!r}")
    if math.isnan(value) or not low <= value <= high or math.isinf(value):
        bounds = f"between {low:g} and {high:g}" if high != math.inf else f">= {low:g}"
        raise ControlError(name, f"{name} must be a finite number {bounds}, got {value!r}")
    return float(value)


def validate_settings(changes: Mapping[str, object]) -> dict[str, Any]:
    """A checked copy of `changes`, shared by the command line and the control endpoint."""
    unknown = sorted(set(changes) - set(CONTROL_FIELDS))
    if unknown:
        allowed = ", ".join(CONTROL_FIELDS)
        raise ControlError(unknown[0], f"unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    checked: dict[str, Any] = {}
    if "mode" in changes:
        if changes["mode"] not in MODES:
            raise ControlError(
                "mode", f"mode must be one of {', '.join(MODES)}, got {changes['mode']!r}"
            )
        checked["mode"] = changes["mode"]
    if "latency_ms" in changes:
        checked["latency_ms"] = _number("latency_ms", changes["latency_ms"], 0)
    if "trickle_ms" in changes:
        checked["trickle_ms"] = _number("trickle_ms", changes["trickle_ms"], 1)
    if "fail_rate" in changes:
        checked["fail_rate"] = _number("fail_rate", changes["fail_rate"], 0, 1)
    if "retry_after" in changes:
        value = changes["retry_after"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ControlError("retry_after", f"retry_after must be an integer >= 0, got {value!r}")
        checked["retry_after"] = value
    if "seed" in changes:
        seed = changes["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ControlError("seed", f"seed must be an integer or null, got {seed!r}")
        checked["seed"] = seed
    if "obey_injections" in changes:
        if not isinstance(changes["obey_injections"], bool):
            raise ControlError("obey_injections", "obey_injections must be true or false")
        checked["obey_injections"] = changes["obey_injections"]
    if "broken_code" in changes:
        if not isinstance(changes["broken_code"], bool):
            raise ControlError("broken_code", "broken_code must be true or false")
        checked["broken_code"] = changes["broken_code"]
    if "reset_counts" in changes:
        if not isinstance(changes["reset_counts"], bool):
            raise ControlError("reset_counts", "reset_counts must be true or false")
        checked["reset_counts"] = changes["reset_counts"]
    return checked


@dataclass
class FakeLLMState:
    mode: str = "ok"
    latency_ms: float = 0.0
    fail_rate: float = 1.0  # share of requests the current fault mode applies to
    retry_after: int = 1
    trickle_ms: float = 500.0  # pause between TRICKLE_BYTES-byte chunks in "trickle" mode
    seed: int | None = None  # fixes the fail_rate dice for reproducible runs
    # The worst-case model: it does what instructions inside a candidate's answer say
    # (fake_content.evaluate), so tests can prove the server's caps hold without its help.
    obey_injections: bool = False
    # Coding questions whose reference solution fails its own tests (fake_llm/coding.py).
    broken_code: bool = False
    requests: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    by_task: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    hanging: int = 0  # requests currently held by "hang"
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def apply(self, checked: Mapping[str, Any]) -> None:
        for name in (
            "mode",
            "latency_ms",
            "fail_rate",
            "retry_after",
            "trickle_ms",
            "obey_injections",
            "broken_code",
        ):
            if name in checked:
                setattr(self, name, checked[name])
        if "seed" in checked:
            self.seed = checked["seed"]
            self.rng.seed(self.seed)
        if checked.get("reset_counts"):
            self.requests = 0
            for counter in (self.by_path, self.by_task, self.by_outcome):
                counter.clear()

    def snapshot(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "latency_ms": self.latency_ms,
            "fail_rate": self.fail_rate,
            "retry_after": self.retry_after,
            "trickle_ms": self.trickle_ms,
            "seed": self.seed,
            "obey_injections": self.obey_injections,
            "broken_code": self.broken_code,
            "requests": self.requests,
            "by_path": dict(self.by_path),
            "by_task": dict(self.by_task),
            "by_outcome": dict(self.by_outcome),
            "hanging": self.hanging,
        }


def make_state(**options: Any) -> FakeLLMState:
    state = FakeLLMState()
    state.apply(validate_settings(options))
    return state
