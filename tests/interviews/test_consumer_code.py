"""The coding frames over the real consumer (WebsocketCommunicator): `run_tests` answers
`code_queued` at once, the socket follows the submission until the worker's result arrives as
`code_result` (visible tests in full, hidden ones as counts); `submit_code` is also the
answer; bad frames get clear errors naming the run."""

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from interviews.models import Interview, Submission
from interviews.services.submissions import submission_test
from tests.interviews.coding_support import at_coding_question, hard_coded, spec_of
from tests.interviews.ws import connect, until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _setup() -> tuple[Interview, str]:
    from interviews.services.interviews import interview_reissue_token

    interview = at_coding_question()
    created = interview_reissue_token(interview=interview)
    return interview, created.ws_path


@database_sync_to_async
def _work_queue() -> list[str]:
    """What a `sandbox` worker does with every queued submission (the test plays the worker)."""
    return [submission_test(submission_id=s.pk).status for s in Submission.objects.all()]


async def _joined() -> tuple[Any, Interview]:
    interview, path = await _setup()
    comm = await connect(path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    return comm, interview


def _frame(kind: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "code": code, "language": "python", "client_id": str(uuid.uuid4()),
            **extra}  # fmt: skip


async def test_run_tests__queued_then_the_workers_result_per_visible_test() -> None:
    comm, interview = await _joined()
    spec = await database_sync_to_async(spec_of)(interview)
    frame = _frame("run_tests", spec.solution)
    await comm.send_json_to(frame)
    queued = (await until(comm, "code_queued"))[-1]
    assert queued["client_id"] == frame["client_id"]
    assert queued["kind"] == "run"

    assert await _work_queue() == ["done"]
    result = (await until(comm, "code_result"))[-1]
    assert result["client_id"] == frame["client_id"]
    assert result["status"] == "passed"
    assert [t["name"] for t in result["tests"]] == [c.name for c in spec.examples]
    assert all(t["passed"] for t in result["tests"])
    assert result["hidden"] == {"passed": 0, "total": 0}
    await comm.disconnect()


async def test_submit_code__is_the_answer_and_hidden_tests_show_as_counts() -> None:
    comm, interview = await _joined()
    spec = await database_sync_to_async(spec_of)(interview)
    frame = _frame("submit_code", hard_coded(spec))
    await comm.send_json_to(frame)
    frames = await until(comm, "completed")
    assert [f["type"] for f in frames][:2] == ["code_queued", "ack"]
    assert frames[1]["client_msg_id"] == frame["client_id"]

    assert await _work_queue() == ["done"]
    result = (await until(comm, "code_result"))[-1]
    assert result["status"] == "failed"
    assert all(t["passed"] for t in result["tests"]), "the examples it was fitted to pass"
    assert result["hidden"] == {"passed": 0, "total": len(spec.hidden)}
    assert all(h.name not in str(result) for h in spec.hidden)
    await comm.disconnect()


async def test_reconnect__the_pending_questions_latest_run_is_sent_again() -> None:
    comm, interview = await _joined()
    spec = await database_sync_to_async(spec_of)(interview)
    frame = _frame("run_tests", spec.solution)
    await comm.send_json_to(frame)
    await until(comm, "code_queued")
    await comm.disconnect()
    assert await _work_queue() == ["done"]

    path = await database_sync_to_async(_path_again)(interview)
    again = await connect(path)
    await again.send_json_to({"type": "hello", "last_seq": 0})
    frames = await until(again, "code_result")
    result = frames[-1]
    question = next(f for f in frames if f["type"] == "question")
    assert (result["client_id"], result["status"]) == (frame["client_id"], "passed")
    assert result["question_seq"] == question["seq"]
    assert [t["name"] for t in result["tests"]] == [c.name for c in spec.examples]
    await again.disconnect()


def _path_again(interview: Interview) -> str:
    from interviews.services.interviews import interview_reissue_token

    return interview_reissue_token(interview=interview).ws_path


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "run_tests", "code": "pass", "language": "python"}, "invalid_client_id"),
        (
            {"type": "run_tests", "code": 12, "language": "python", "client_id": str(uuid.uuid4())},
            "invalid_code",
        ),
    ],
)
async def test_malformed_code_frame__an_error_and_nothing_stored(
    frame: dict[str, Any], code: str
) -> None:
    comm, _ = await _joined()
    await comm.send_json_to(frame)
    error = (await until(comm, "error"))[-1]
    assert error["code"] == code
    assert error["message"]
    assert await database_sync_to_async(Submission.objects.count)() == 0
    await comm.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (_frame("run_tests", "x = 1\u0000"), "invalid_code"),
        (_frame("run_tests", "x = '\ud800'"), "invalid_code"),
        (_frame("run_tests", "x" * 60_000), "code_too_long"),
        (_frame("run_tests", "pass", language="ruby"), "invalid_language"),
        (_frame("submit_code", "function f() {}", language="javascript"), "wrong_language"),
    ],
)
async def test_refused_code__an_error_naming_the_run_and_nothing_stored(
    frame: dict[str, Any], code: str, settings: Any
) -> None:
    settings.SANDBOX_MAX_CODE_BYTES = 50_000
    comm, _ = await _joined()
    await comm.send_json_to(frame)
    error = (await until(comm, "error"))[-1]
    assert error["code"] == code
    assert error["message"]
    assert error["client_id"] == frame["client_id"]
    assert await database_sync_to_async(Submission.objects.count)() == 0
    await comm.disconnect()
