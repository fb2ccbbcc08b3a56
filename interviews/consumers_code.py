"""The candidate socket's coding frames (docs/protocol.md, "Coding questions"): `run_tests`
and `submit_code`, answered with `code_queued`, `code_running` and `code_result`.

The code is stored before anything else happens, then tested by a worker of the `sandbox`
queue. The socket follows the submission in the database (a poll every CODE_POLL_SECONDS,
posted to its own channel like its other timers) rather than waiting for a message from the
worker: that works the same on every channel layer, the embedded default's in-memory one
included, which a Celery worker cannot reach.
"""

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from interviews import socket_calls as calls
from interviews.consumer_output import SocketOutput
from interviews.frames import FrameError, code_fields
from interviews.models import SubmissionKind
from interviews.services.answer_tail import Tail
from interviews.services.submissions import SubmissionRejected

logger = logging.getLogger(__name__)

CODE_POLL_SECONDS = 0.25
# How long a socket follows one submission: a queue wait plus the run's wall limit, with room.
# Past it the page is told the code is saved and waiting; the report shows the result.
CODE_FOLLOW_SECONDS = 120.0


class CodeFrames(SocketOutput):
    """Mixed into InterviewConsumer; uses its `_deliver` and timers."""

    if TYPE_CHECKING:  # what InterviewConsumer provides
        last_sent_seq: int | None
        known: Tail | None
        timers: dict[str, asyncio.Task[None]]

        async def _deliver(self, event: dict[str, Any]) -> None: ...
        async def _turns_delivered(self, events: list[dict[str, Any]]) -> None: ...
        async def _advance(self, *, known_move: bool = False) -> None: ...
        def _wake_after(
            self, name: str, delay: float, message_type: str, *, payload: dict[str, Any]
        ) -> None: ...

    async def handle_run_tests(self, frame: dict[str, Any]) -> None:
        await self._code(frame, SubmissionKind.RUN)

    async def handle_submit_code(self, frame: dict[str, Any]) -> None:
        await self._code(frame, SubmissionKind.SUBMIT)

    async def interview_code_poll(self, message: dict[str, Any]) -> None:
        assert self.interview_id is not None
        submission_id, since = message["submission_id"], message["since"]
        event = await calls.code_state(self.interview_id, submission_id)
        if event["type"] == "code_result":
            self.timers.pop(f"code:{submission_id}", None)
            await self._send(event)
            return
        if time.time() - since > CODE_FOLLOW_SECONDS:
            self.timers.pop(f"code:{submission_id}", None)
            await self._send({**event, "type": "code_queued", "following": False})
            return
        if event["type"] == "code_running" and not message.get("running"):
            await self._send(event)
        self._follow(submission_id, since, running=event["type"] == "code_running")

    async def code_resume(self, pending: dict[str, Any] | None) -> None:
        """After `hello`: a pending coding question's latest run, sent again so a reloaded page
        shows its result, and followed again if it is still waiting for a runner."""
        if pending is None or "coding" not in pending:
            return
        assert self.interview_id is not None
        latest = await calls.code_latest(self.interview_id, pending["seq"])
        if latest is None:
            return
        submission_id, event = latest
        await self._send(event)
        if event["type"] != "code_result":
            self._follow(submission_id, time.time(), running=event["type"] == "code_running")

    async def _code(self, frame: dict[str, Any], kind: str) -> None:
        if self.last_sent_seq is None:
            raise FrameError("hello_required", "Send 'hello' before anything else.")
        code, language, client_id = code_fields(frame)
        assert self.interview_id is not None
        try:
            queued = await calls.code_submit(self.interview_id, kind, code, language, client_id)
        except SubmissionRejected as exc:
            await self._error(
                exc.code, exc.message, retryable=exc.retryable, client_id=str(client_id)
            )
            return
        await self._send(queued.queued)
        if queued.queued["type"] != "code_result":
            self._follow(queued.submission_id, time.time(), running=False)
        else:
            self.timers.pop(f"code:{queued.submission_id}", None)
        if queued.answer is not None:
            self.known = queued.answer.known  # the next written answer is stored from it
            await self._deliver(queued.answer.ack)
            if queued.answer.replies:
                await self._turns_delivered(queued.answer.replies)
            elif queued.answer.interviewers_move or queued.answer.duplicate:
                await self._advance(known_move=not queued.answer.duplicate)

    def _follow(self, submission_id: int, since: float, *, running: bool) -> None:
        payload = {"submission_id": submission_id, "since": since, "running": running}
        self._wake_after(
            f"code:{submission_id}", CODE_POLL_SECONDS, "interview.code_poll", payload=payload
        )
