import uuid

from sandbox.models import RunState, SandboxRun
from sandbox.types import RunResult


def sandbox_run_result(*, run_id: uuid.UUID | str) -> tuple[str, RunResult | None, str]:
    """(state, result once done, error once failed) of a submitted run."""
    run = SandboxRun.objects.only("state", "result", "error").get(id=run_id)
    result = RunResult.from_dict(run.result) if run.state == RunState.DONE and run.result else None
    return run.state, result, run.error
