"""An LLM's coding question is used only once its reference solution passes its own tests in
the sandbox. The solution is code like any other: it runs through the `sandbox` queue
(sandbox.services), never in the process that asked the LLM, and the check waits for it no
longer than the step's deadline."""

import time

from interviews.coding.spec import CodingSpec
from interviews.llm.budget import Deadline
from sandbox.models import RunState
from sandbox.selectors import sandbox_run_result
from sandbox.services import sandbox_run_submit
from sandbox.types import InvalidRunRequest, RunStatus

POLL_SECONDS = 0.1


def coding_reference_problem(spec: CodingSpec, *, deadline: Deadline) -> str | None:
    """None when the reference solution passes every test, else why the question is unusable."""
    try:
        run_id = sandbox_run_submit(
            code=spec.solution, language=spec.language, tests=spec.suite(hidden=True)
        )
    except InvalidRunRequest as exc:
        return f"its tests cannot run: {exc}"
    while True:
        state, result, error = sandbox_run_result(run_id=run_id)
        if state == RunState.DONE and result is not None:
            break
        if state == RunState.FAILED:
            return f"the sandbox could not run its solution: {error}"
        if deadline.expired():
            return "its reference solution could not be tested in time"
        time.sleep(min(POLL_SECONDS, max(deadline.remaining(), 0)))
    if result.status is not RunStatus.PASSED:
        failed = [t.name for t in result.tests if not t.passed]
        detail = f"; failed: {', '.join(failed)}" if failed else f": {result.message}"
        return f"its reference solution does not pass its own tests ({result.status}{detail})"
    return None
