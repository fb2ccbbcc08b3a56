"""The Piston client against a fake that speaks Piston's v2 API: results, limits, its error and
timeout shapes, and the `sandbox` breaker opening and then failing fast."""

import time
from dataclasses import replace
from typing import Any

import pytest

from sandbox.engines.piston import PistonEngine
from sandbox.types import (
    EngineRejected,
    EngineUnavailable,
    InvalidRunRequest,
    Limit,
    RunStatus,
    TestCase,
    TestSuite,
)
from tests.sandbox.fake_piston import FakePiston
from tests.sandbox.support import LIMITS, add_suite, one_case

pytestmark = pytest.mark.django_db
# Within the fake's own run-timeout cap of 3 s, as a real Piston has one.
PISTON_LIMITS = replace(LIMITS, wall_seconds=2.5)
ADD = "def add(a, b):\n    return a + b\n"


def engine() -> PistonEngine:
    return PistonEngine()


def test_runtimes__listed_from_the_server(fake: FakePiston) -> None:
    languages = {r["language"]: r["version"] for r in engine().runtimes()}

    assert languages == {"python": "3.10.0", "javascript": "18.15.0"}


def test_python_run__per_test_results_reached_outside(fake: FakePiston) -> None:
    code = "def add(a, b):\n    print('adding', a, b)\n    return a + b if a > 0 else 0\n"
    result = engine().run(code, "python", add_suite(), PISTON_LIMITS)

    assert result.status == RunStatus.FAILED
    assert [(t.name, t.passed, t.output, t.error) for t in result.tests] == [
        ("small", True, "adding 1 2\n", ""),
        ("negative", False, "adding -4 1\n", "Expected -3, got 0."),
        ("large", True, f"adding {10**12} 1\n", ""),
    ]
    assert result.engine == "piston"
    assert result.extra["version"] == "3.10.0"


def test_javascript_run(fake: FakePiston) -> None:
    result = engine().run("const add = (a, b) => a + b;", "javascript", add_suite(), PISTON_LIMITS)

    assert result.status == RunStatus.PASSED, result


def test_sql_run__on_sqlite_in_pistons_python_runtime(fake: FakePiston) -> None:
    suite = TestSuite("", (TestCase("one", ("CREATE TABLE t (x); INSERT INTO t VALUES (2);",),
                                    [[4]]),))  # fmt: skip
    result = engine().run("SELECT x * 2 FROM t", "sql", suite, PISTON_LIMITS)

    assert result.status == RunStatus.PASSED, result


def test_printed_result_lines__never_pass(fake: FakePiston) -> None:
    forged = '{"kind": "test", "index": 1, "ok": true, "value": -3}'
    code = f"print('{forged}')\ndef add(a, b):\n    return 0\n"
    result = engine().run(code, "python", add_suite(), PISTON_LIMITS)

    assert result.passed_count == 0
    assert forged in result.stdout


def test_run_past_the_wall_limit__timeout_from_pistons_status(fake: FakePiston) -> None:
    code = "import time\ndef solve():\n    time.sleep(30)\n"
    result = engine().run(code, "python", one_case(), PISTON_LIMITS)

    assert (result.status, result.limit) == (RunStatus.TIMEOUT, Limit.WALL_TIME), result


def test_unknown_runtime__pistons_400_message_and_the_breaker_stays_closed(
    fake: FakePiston, settings: Any
) -> None:
    settings.SANDBOX_PISTON_RUNTIMES = {"python": "9.9.9"}
    for _ in range(4):  # more than the failure threshold
        with pytest.raises(EngineRejected, match=r"python-9\.9\.9 runtime is unknown"):
            engine().run(ADD, "python", add_suite(), PISTON_LIMITS)

    assert fake.executions() == 4  # every call reached Piston; none was retried


def test_server_errors__retried_then_the_breaker_opens_and_fails_fast(fake: FakePiston) -> None:
    fake.mode = "error"
    with pytest.raises(EngineUnavailable, match="500"):
        engine().run(ADD, "python", add_suite(), PISTON_LIMITS)
    assert fake.executions() == 2  # MAX_RETRY_ATTEMPTS
    with pytest.raises(EngineUnavailable):
        engine().run(ADD, "python", add_suite(), PISTON_LIMITS)  # the third failure opens it

    sent = fake.executions()
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="breaker is open") as caught:
        engine().run(ADD, "python", add_suite(), PISTON_LIMITS)

    assert fake.executions() == sent  # nothing reached Piston
    assert time.monotonic() - started < 0.5
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 60


def test_a_hung_server__the_client_gives_up_at_its_timeout(fake: FakePiston) -> None:
    fake.mode, fake.delay = "slow", 10.0
    limits = replace(PISTON_LIMITS, wall_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="timed out"):
        engine().run(ADD, "python", add_suite(), limits)

    # Two attempts of wall + SANDBOX_PISTON_TIMEOUT_SECONDS each, and a short back-off.
    assert time.monotonic() - started < 2 * (0.5 + 1.0) + 1.0


def test_a_reply_that_is_not_json__counts_against_piston(fake: FakePiston) -> None:
    fake.mode = "garbage"
    for _ in range(3):
        with pytest.raises(EngineUnavailable, match="not JSON"):
            engine().run(ADD, "python", add_suite(), PISTON_LIMITS)

    with pytest.raises(EngineUnavailable, match="breaker is open"):
        engine().run(ADD, "python", add_suite(), PISTON_LIMITS)


def test_pistons_internal_error__the_engines_failure_never_the_codes(fake: FakePiston) -> None:
    fake.mode = "internal"
    with pytest.raises(EngineUnavailable, match="Piston's sandbox failed: box setup failed"):
        engine().run(ADD, "python", add_suite(), PISTON_LIMITS)


def test_bad_input__refused_before_any_request(fake: FakePiston) -> None:
    with pytest.raises(InvalidRunRequest, match="NUL byte"):
        engine().run("def add(a, b):\x00", "python", add_suite(), PISTON_LIMITS)

    assert fake.requests == []
