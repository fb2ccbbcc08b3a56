"""Runs through the `sandbox` Celery queue: submit (validate, store, enqueue on commit), execute
(in the worker), fail. The task in sandbox/tasks.py is a thin wrapper around these."""

import logging
import uuid

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from sandbox.conf import sandbox_settings
from sandbox.engines import get_engine
from sandbox.models import RunState, SandboxRun
from sandbox.types import EngineRejected, InvalidRunRequest, Limits, RunResult, TestSuite
from sandbox.validation import validate_run_request

logger = logging.getLogger(__name__)


def sandbox_run_submit(
    *, code: str | bytes, language: str, tests: TestSuite, limits: Limits | None = None
) -> uuid.UUID:
    """Store the run and queue it on the `sandbox` queue once committed; its id at once.

    Bad input raises InvalidRunRequest here, before anything is stored or queued.
    """
    conf = sandbox_settings()
    limits = limits or conf.limits
    text = validate_run_request(code=code, language=language, tests=tests, limits=limits,
                                conf=conf)  # fmt: skip
    run = SandboxRun.objects.create(
        language=language, code=text, tests=tests.to_dict(), limits=limits.to_dict()
    )
    run_id = str(run.id)
    transaction.on_commit(lambda: _enqueue(run_id))
    return run.id


def _enqueue(run_id: str) -> None:
    from sandbox.tasks import run_code

    try:
        run_code.delay(run_id=run_id)
    except (KombuOperationalError, OSError):
        # The row is committed: a broker outage must not turn the submit into an error. The
        # run stays queued; sandbox_run_resend sends it again.
        logger.exception("could not enqueue sandbox run %s (is the broker down?)", run_id)


def sandbox_run_resend(*, run_id: uuid.UUID | str) -> None:
    """Queue a run again (one the broker lost while it was queued)."""
    _enqueue(str(run_id))


def sandbox_run_execute(*, run_id: uuid.UUID | str) -> SandboxRun:
    """Run it on the configured engine and store the result. A finished run is left alone (a
    redelivered task does no work twice); EngineUnavailable propagates for the task to retry."""
    # Claimed in one UPDATE, so two deliveries of the same task never both run it at once
    # (a redelivered task after a worker died finds it running and runs it again).
    claimed = SandboxRun.objects.filter(
        id=run_id, state__in=(RunState.QUEUED, RunState.RUNNING)
    ).update(state=RunState.RUNNING, started_at=timezone.now())
    run = SandboxRun.objects.get(id=run_id)
    if not claimed:
        return run
    SandboxRun.objects.filter(id=run_id).update(attempts=run.attempts + 1)
    suite = TestSuite.from_dict(run.tests)
    try:
        result = get_engine().run(run.code, run.language, suite, Limits.from_dict(run.limits))
    except (InvalidRunRequest, EngineRejected) as exc:
        # No retry fixes these: the settings changed since the submit, or the engine's own
        # configuration refuses the run. Recorded, and logged for the operator.
        logger.error("sandbox run %s cannot run: %s", run_id, exc)
        return sandbox_run_fail(run_id=run_id, reason=str(exc))
    return _finish(run_id, result)


def _finish(run_id: uuid.UUID | str, result: RunResult) -> SandboxRun:
    SandboxRun.objects.filter(id=run_id, state=RunState.RUNNING).update(
        state=RunState.DONE, result=result.to_dict(), finished_at=timezone.now()
    )
    return SandboxRun.objects.get(id=run_id)


def sandbox_run_fail(*, run_id: uuid.UUID | str, reason: str) -> SandboxRun:
    SandboxRun.objects.filter(id=run_id).exclude(state=RunState.DONE).update(
        state=RunState.FAILED, error=reason[:2000], finished_at=timezone.now()
    )
    return SandboxRun.objects.get(id=run_id)
