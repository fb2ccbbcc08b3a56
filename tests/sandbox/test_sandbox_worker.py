"""Runs through the `sandbox` queue with a real Redis broker and a real Celery worker process
consuming only that queue: submit returns an id at once, the worker runs the code in the local
runner and stores the result; hostile code leaves the worker serving the next run."""

import socket
import uuid
from collections.abc import Iterator

import pytest

from interviewsite.celery import app
from sandbox.models import RunState, SandboxRun
from sandbox.selectors import sandbox_run_result
from sandbox.services import sandbox_run_submit
from sandbox.types import InvalidRunRequest, Limit, RunStatus
from tests.e2e.stack import base_env, database_url, stack
from tests.sandbox.support import LIMITS, add_suite, one_case
from tests.services import require_postgres, require_redis_url
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One worker on the `sandbox` queue only, on the test database; yields its node name."""
    url = require_redis_url()
    require_postgres()
    logs = tmp_path_factory.mktemp("sandbox-worker")
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=url,
        VAR_DIR=str(logs / "var"),
    )
    name = f"sandbox-{uuid.uuid4().hex[:8]}"
    with stack(env, logs) as running:
        running.celery_worker_answering(name, concurrency=2, queues="sandbox")
        yield f"{name}@{socket.gethostname()}"


def _done(run_id: uuid.UUID) -> SandboxRun | None:
    run = SandboxRun.objects.get(id=run_id)
    return run if run.state in (RunState.DONE, RunState.FAILED) else None


def test_submit__queued_at_once_then_run_by_the_sandbox_worker(worker: str) -> None:
    run_id = sandbox_run_submit(
        code="def add(a, b):\n    return a + b\n", language="python", tests=add_suite(),
        limits=LIMITS,
    )  # fmt: skip
    assert SandboxRun.objects.get(id=run_id).state in (RunState.QUEUED, RunState.RUNNING,
                                                        RunState.DONE)  # fmt: skip

    wait_for(lambda: _done(run_id), 60, "the run to finish")
    state, result, error = sandbox_run_result(run_id=run_id)

    assert (state, error) == (RunState.DONE, "")
    assert result is not None
    assert result.status == RunStatus.PASSED
    assert [t.name for t in result.tests] == ["small", "negative", "large"]
    assert result.extra["isolated"] is True


def test_hostile_runs__each_stopped_and_the_worker_serves_the_next(worker: str) -> None:
    hostile = {
        "import os\ndef solve():\n    while True:\n        os.fork()\n": Limit.PROCESSES,
        "import time\ndef solve():\n    time.sleep(60)\n": Limit.WALL_TIME,
        "def solve():\n    return len(bytearray(4 * 2**30))\n": Limit.MEMORY,
    }
    ids = {
        sandbox_run_submit(code=code, language="python", tests=one_case(), limits=LIMITS): limit
        for code, limit in hostile.items()
    }
    after = sandbox_run_submit(code="def add(a, b):\n    return a + b\n", language="python",
                               tests=add_suite(), limits=LIMITS)  # fmt: skip

    for run_id, limit in ids.items():
        wait_for(lambda: _done(run_id), 60, f"hostile run {limit} to finish")  # noqa: B023 (used at once)
        _, result, _ = sandbox_run_result(run_id=run_id)
        assert result is not None
        assert result.limit == limit, result
    wait_for(lambda: _done(after), 60, "the run after them")
    assert sandbox_run_result(run_id=after)[1].status == RunStatus.PASSED  # type: ignore[union-attr]
    assert app.control.ping(destination=[worker], timeout=2.0)


def test_bad_input__refused_at_submit_and_nothing_queued(worker: str) -> None:
    before = SandboxRun.objects.count()
    with pytest.raises(InvalidRunRequest, match="NUL byte"):
        sandbox_run_submit(code="def add(a, b):\x00", language="python", tests=add_suite())

    assert SandboxRun.objects.count() == before
