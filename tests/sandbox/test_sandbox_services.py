"""The sandbox task and services when the engine is down: the run waits and retries, then is
marked failed (never a result); a resend after the engine is back runs it."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from sandbox.models import RunState, SandboxRun
from sandbox.selectors import sandbox_run_result
from sandbox.services import sandbox_run_resend, sandbox_run_submit
from sandbox.types import RunStatus
from tests.sandbox.fake_piston import FakePiston
from tests.sandbox.support import LIMITS, add_suite

pytestmark = pytest.mark.django_db(transaction=True)
ADD = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def eager(settings: Any, fake: FakePiston) -> Iterator[FakePiston]:
    from interviewsite.celery import app

    settings.SANDBOX_RUN_RETRIES = 3
    settings.SANDBOX_RUN_RETRY_BASE_SECONDS = 0
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield fake
    finally:
        app.conf.task_always_eager = previous


def test_engine_down__retried_then_failed_without_a_result(eager: FakePiston) -> None:
    eager.mode = "error"
    # Eager: the task runs at commit; its final failure is recorded, not raised here.
    sandbox_run_submit(code=ADD, language="python", tests=add_suite(),
                       limits=replace(LIMITS, wall_seconds=2.5))  # fmt: skip

    run = SandboxRun.objects.get()
    assert run.state == RunState.FAILED
    assert run.result is None
    assert run.attempts == 4  # the first try and SANDBOX_RUN_RETRIES retries
    assert "The engine stayed unavailable" in run.error
    # The breaker opened after 3 failed requests: later attempts never reached Piston.
    assert eager.executions() == 3


def test_engine_back__a_resent_run_is_run(eager: FakePiston, settings: Any) -> None:
    eager.mode = "garbage"
    settings.SANDBOX_RUN_RETRIES = 0
    # Eager: the task runs at commit; its final failure is recorded, not raised here.
    sandbox_run_submit(code=ADD, language="python", tests=add_suite(),
                       limits=replace(LIMITS, wall_seconds=2.5))  # fmt: skip
    run = SandboxRun.objects.get()
    SandboxRun.objects.filter(id=run.id).update(state=RunState.QUEUED)  # as if never sent
    eager.mode = "ok"

    sandbox_run_resend(run_id=run.id)

    state, result, _ = sandbox_run_result(run_id=run.id)
    assert state == RunState.DONE
    assert result is not None
    assert result.status == RunStatus.PASSED
