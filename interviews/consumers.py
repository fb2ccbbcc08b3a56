"""The candidate's WebSocket (docs/protocol.md). Thin: validate the frame, call a service, send.

Delivery rule: this socket sends persisted events strictly in `seq` order with no gaps. Events
arrive from the services this consumer calls and from the interview's group (other processes);
whichever arrives, `_deliver` sends it only if it is the next seq, and reads any gap from the
database first, so a reconnect, a race or a lost broadcast never skips or repeats a turn.
"""

import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from interviews import selectors
from interviews.models import Interview, TurnSource
from interviews.services.effects import interview_group
from interviews.services.interviews import (
    AnswerRejected,
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from interviews.services.tokens import InviteRejected, interview_authenticate

logger = logging.getLogger(__name__)

CLOSE_SUPERSEDED = 4409
CLOSE_TOO_LARGE = 4413
DEGRADED_SOURCES = {TurnSource.FALLBACK, TurnSource.CACHE}


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@database_sync_to_async
def _authenticate(room_id: str, token: str) -> Interview:
    return interview_authenticate(room_id=room_id, token=token)


@database_sync_to_async
def _join(interview_id: int, last_seq: int) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
    interview = interview_start(interview_id=interview_id)
    state = selectors.interview_state(interview=interview)
    events = selectors.interview_events_since(interview=interview, last_seq=last_seq)
    pending = selectors.interview_pending_question(interview=interview)
    pending_event = (
        selectors.turn_event(pending, total=interview.question_count) if pending else None
    )
    return state, events, pending_event


@database_sync_to_async
def _events_since(interview_id: int, last_seq: int) -> list[dict[str, Any]]:
    interview = Interview.objects.get(pk=interview_id)
    return selectors.interview_events_since(interview=interview, last_seq=last_seq)


@database_sync_to_async
def _submit(interview_id: int, text: str, client_msg_id: uuid.UUID) -> tuple[dict[str, Any], bool]:
    outcome = interview_answer_submit(
        interview_id=interview_id, text=text, client_msg_id=client_msg_id
    )
    return selectors.turn_event(outcome.answer, total=0), outcome.duplicate


@database_sync_to_async
def _advance(interview_id: int) -> list[dict[str, Any]]:
    turns = interview_advance(interview_id=interview_id)
    total = turns[0].interview.question_count if turns else 0
    return [selectors.turn_event(turn, total=total) for turn in turns]


class InterviewConsumer(AsyncWebsocketConsumer):
    interview_id: int | None = None
    group: str | None = None
    last_sent_seq: int | None = None  # None until the client said hello

    # --- lifecycle -----------------------------------------------------------------------
    async def connect(self) -> None:
        # Accept first: a close code (4401…) can only be sent on an accepted socket.
        await self.accept()
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        token = parse_qs(self.scope.get("query_string", b"").decode()).get("token", [""])[0]
        try:
            interview = await _authenticate(room_id, token)
        except InviteRejected as exc:
            await self._error(exc.problem.code, exc.problem.message, retryable=False)
            await self.close(code=exc.problem.close_code)
            return
        self.interview_id = interview.pk
        self.group = interview_group(interview.pk)
        # One live socket per interview: tell older ones to go before joining the group.
        await self.channel_layer.group_send(
            self.group, {"type": "interview.supersede", "by": self.channel_name}
        )
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.interview_id is None:
            return
        raw = text_data if text_data is not None else bytes_data or b""
        if len(raw) > settings.WS_MAX_FRAME_BYTES:
            await self._error("frame_too_large", "The message is too large.", retryable=False)
            await self.close(code=CLOSE_TOO_LARGE)
            return
        try:
            frame = self._parse(raw)
            handler = getattr(self, f"handle_{frame['type']}", None)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown message type {frame['type']!r}.")
            await handler(frame)
        except FrameError as exc:
            await self._error(exc.code, exc.message, retryable=False)
        except AnswerRejected as exc:
            await self._error(exc.code, exc.message, retryable=exc.retryable)
        except DatabaseError:
            logger.exception("database error on interview %s", self.interview_id)
            await self._error(
                "service_unavailable", "We could not save that just now; retrying.", retryable=True
            )

    @staticmethod
    def _parse(raw: str | bytes) -> dict[str, Any]:
        try:
            frame = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameError("invalid_json", "Messages must be JSON objects.") from exc
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("invalid_frame", "Messages must be JSON objects with a 'type'.")
        return frame

    # --- client → server -----------------------------------------------------------------
    async def handle_hello(self, frame: dict[str, Any]) -> None:
        last_seq = frame.get("last_seq", 0)
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
            raise FrameError("invalid_last_seq", "'last_seq' must be a non-negative integer.")
        assert self.interview_id is not None
        state, events, pending = await _join(self.interview_id, last_seq)
        await self._send({"type": "welcome", "interview": state})
        self.last_sent_seq = min(last_seq, state["last_seq"])
        for event in events:
            await self._deliver(event)
        if pending is not None and pending["seq"] <= last_seq:
            await self._send(pending)  # the client has it, but shows it again as current
        await self._advance()

    async def handle_answer(self, frame: dict[str, Any]) -> None:
        if self.last_sent_seq is None:
            raise FrameError("hello_required", "Send 'hello' before anything else.")
        text = frame.get("text")
        if not isinstance(text, str):
            raise FrameError("invalid_answer", "'text' must be a string.")
        try:
            client_msg_id = uuid.UUID(str(frame.get("client_msg_id")))
        except ValueError as exc:
            raise FrameError("invalid_client_msg_id", "'client_msg_id' must be a UUID.") from exc
        assert self.interview_id is not None
        ack, duplicate = await _submit(self.interview_id, text, client_msg_id)
        if duplicate:
            await self._send(ack)  # acknowledged again, stored once
        await self._deliver(ack)
        await self._advance()

    async def handle_ping(self, frame: dict[str, Any]) -> None:
        await self._send({"type": "pong"})

    # --- group messages --------------------------------------------------------------------
    async def interview_event(self, message: dict[str, Any]) -> None:
        if self.last_sent_seq is not None:
            await self._deliver(message["event"])

    async def interview_supersede(self, message: dict[str, Any]) -> None:
        if message["by"] != self.channel_name:
            await self._error(
                "superseded", "This interview was opened somewhere else.", retryable=False
            )
            await self.close(code=CLOSE_SUPERSEDED)

    # --- helpers ---------------------------------------------------------------------------
    async def _advance(self) -> None:
        assert self.interview_id is not None
        await self._send({"type": "status", "state": "thinking"})
        events = await _advance(self.interview_id)
        for event in events:
            await self._deliver(event)
        degraded = any(e.get("source") in DEGRADED_SOURCES for e in events)
        await self._send({"type": "status", "state": "degraded" if degraded else "ok"})

    async def _deliver(self, event: dict[str, Any]) -> None:
        """Send `event` if it is the next seq; fill a gap from the database first."""
        if self.last_sent_seq is None or event["seq"] <= self.last_sent_seq:
            return
        if event["seq"] > self.last_sent_seq + 1:
            assert self.interview_id is not None
            for missing in await _events_since(self.interview_id, self.last_sent_seq):
                await self._send(missing)
                self.last_sent_seq = missing["seq"]
            return
        await self._send(event)
        self.last_sent_seq = event["seq"]

    async def _error(self, code: str, message: str, *, retryable: bool) -> None:
        await self._send(
            {"type": "error", "code": code, "message": message, "retryable": retryable}
        )

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))
