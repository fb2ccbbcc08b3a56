"""The candidate's WebSocket (docs/protocol.md). Thin: validate the frame, call a service, send.

Delivery rule: this socket sends persisted events strictly in `seq` order with no gaps. Events
arrive from the services this consumer calls (sent straight to this client, never through the
channel layer) and from the interview's group (events produced elsewhere: the beat's time-up,
a staff action, a superseded socket's last turns through `interview.catch_up`);
whichever arrives, `_deliver` sends it only if it is the next seq, and reads any gap from the
database first, so a reconnect, a race or a lost broadcast never skips or repeats a turn.

Timers (idle timeout, the interview's time limit) never act directly: they post a message to
this consumer's own channel, so every action runs in the consumer's one-at-a-time dispatch
loop and two coroutines never interleave sends.

Nothing escapes `dispatch`: an exception no handler expected is logged with the interview id,
the client gets an `internal_error` frame and close code 1011, and the page reconnects. Left
to uvicorn, it would drop the socket with no close code (and no reason the page could act on).
"""

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import AcceptConnection, ChannelFull, DenyConnection, StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from interviews import metrics, shutdown
from interviews import socket_calls as calls
from interviews.consumer_output import (
    CLOSE_IDLE,
    CLOSE_RATE_LIMITED,
    CLOSE_SUPERSEDED,
    CLOSE_TOO_LARGE,
    CLOSE_UNKNOWN,
    SocketOutput,
)
from interviews.consumers_code import CodeFrames
from interviews.frames import (
    FrameError,
    RateLimiter,
    answer_fields,
    hello_last_seq,
    parse_frame,
    rate_verdict,
)
from interviews.services.answer_tail import Tail
from interviews.services.effects import interview_group
from interviews.services.guessing import TooManyTokenFailures
from interviews.services.interviews import AnswerRejected
from interviews.services.rate_limits import CounterUnavailable
from interviews.services.tokens import InviteRejected

logger = logging.getLogger(__name__)

# A dependency out of reach for a moment (Redis or PostgreSQL restarting, a full channel
# layer): nothing is wrong with the frame or the code, and a reconnect will likely succeed.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    DatabaseError,
    OSError,
    ChannelFull,
)
WAKE_RETRY_SECONDS = 1.0  # a timer whose message did not fit in the channel layer tries again
Event = calls.Event


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path that is not an interview: an error frame, then close 4404."""

    async def connect(self) -> None:
        await self.accept()
        frame = {
            "type": "error",
            "code": "unknown_path",
            "message": "There is no interview at this address.",
            "retryable": False,
        }
        await self.send(text_data=json.dumps(frame))
        metrics.ERROR_CLOSES.labels(code=metrics.close_code(CLOSE_UNKNOWN)).inc()
        await self.close(code=CLOSE_UNKNOWN)


class InterviewConsumer(CodeFrames, SocketOutput, AsyncWebsocketConsumer):
    room_id: str = ""
    token: str = ""  # what this socket opened with, checked again when the invite changes
    group: str | None = None
    last_sent_seq: int | None = None  # None until the client said hello
    last_frame_at: float = 0.0
    task: "asyncio.Task[Any] | None" = None
    counter_down_logged: bool = False
    # What this socket's last answer left: its next answer is stored from it without reading
    # the transcript (interviews/services/turns.py); a stale one costs a re-read, never a turn.
    known: Tail | None = None
    timers: dict[str, asyncio.Task[None]]
    limiter: RateLimiter

    # --- lifecycle -----------------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.timers = {}
        self.task = asyncio.current_task()
        shutdown.socket_opened(self)
        try:
            with metrics.socket_open():
                await super().__call__(scope, receive, send)
        except asyncio.CancelledError:
            if not shutdown.stopping():
                raise
            # Cancelled by shutdown.drain() after the grace period: the socket is closed
            # (1001) already, so this is the end the process asked for, not an error.
        finally:
            shutdown.socket_closed(self)
            self._cancel_timers()

    async def connect(self) -> None:
        # Accept first: a close code (4401…) can only be sent on an accepted socket.
        await self.accept()
        metrics.CONNECTS.inc()
        if shutdown.stopping():
            await self.going_away()  # arrived while this process stops: try another one
            return
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        query = self.scope.get("query_string", b"").decode("latin-1")
        token = parse_qs(query).get("token", [""])[0]
        client = self.scope.get("client") or (None, None)
        try:
            interview = await calls.authenticate(room_id, token, client[0])
        except TooManyTokenFailures as exc:
            await self._error(exc.code, exc.message, retryable=True)
            metrics.ERROR_CLOSES.labels(code=metrics.close_code(CLOSE_RATE_LIMITED)).inc()
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        except InviteRejected as exc:
            await self._error(exc.problem.code, exc.problem.message, retryable=False)
            metrics.ERROR_CLOSES.labels(code=metrics.close_code(exc.problem.close_code)).inc()
            await self.close(code=exc.problem.close_code)
            return
        self.interview_id = interview.pk
        self.room_id, self.token = room_id, token
        self.group = interview_group(interview.pk)
        self.limiter = RateLimiter(settings.WS_RATE_LIMIT_WINDOW_SECONDS)
        # One live socket per interview: tell older ones to go before joining the group.
        await self.channel_layer.group_send(
            self.group, {"type": "interview.supersede", "by": self.channel_name}
        )
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last_frame_at = time.monotonic()
        self._wake_after("idle", settings.WS_IDLE_TIMEOUT, "interview.idle_check")

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Every handler runs through here: the client's frames, connect and disconnect, and
        # channel-layer messages alike.
        if self.closing and message.get("type") != "websocket.disconnect":
            return
        try:
            # Not Channels' dispatch, which first closes stale database connections of
            # asgiref's one shared sync thread: a hop to that thread for every message of
            # every socket, queued behind whatever runs there. This consumer's database work
            # runs on the socket pool, which closes them around each call (socket_calls).
            handler = getattr(self, get_handler_name(message), None)
            if handler is None:
                raise ValueError(f"No handler for message type {message['type']!r}")
            await handler(message)
        except (StopConsumer, AcceptConnection, DenyConnection):
            raise  # Channels' own control flow
        except Exception as exc:
            logger.exception(
                "unexpected error on interview %s handling %s",
                self.interview_id,
                message.get("type"),
            )
            if message.get("type") == "websocket.disconnect":
                raise StopConsumer() from None  # the socket is gone; end the consumer anyway
            await self._fail(transient=isinstance(exc, TRANSIENT_ERRORS))

    async def disconnect(self, code: int) -> None:
        metrics.DISCONNECTS.labels(code=metrics.close_code(code)).inc()
        self._cancel_timers()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        metrics.FRAMES_IN.inc()
        if self.interview_id is None:
            return
        self.last_frame_at = time.monotonic()
        raw = text_data if text_data is not None else bytes_data or b""
        if len(raw) > settings.WS_MAX_FRAME_BYTES:
            await self._close_with("frame_too_large", "The message is too large.", CLOSE_TOO_LARGE)
            return
        verdict = rate_verdict(await self._frame_count(), settings.WS_RATE_LIMIT_MESSAGES)
        if verdict == "close":
            await self._close_with("rate_limited", "Too many messages.", CLOSE_RATE_LIMITED)
            return
        if verdict == "warn":
            await self._error("rate_limited", "Too many messages; slow down.", retryable=True)
            return
        try:
            frame = parse_frame(raw)
            handler = getattr(self, f"handle_{frame['type']}", None)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown message type {frame['type'][:40]!r}.")
            await handler(frame)
        except FrameError as exc:
            await self._error(exc.code, exc.message, retryable=False)
        except DatabaseError:
            logger.exception("database error on interview %s", self.interview_id)
            await self._error(
                "service_unavailable",
                "We could not save that just now; please retry.",
                retryable=True,
            )

    # --- client → server -----------------------------------------------------------------
    async def handle_hello(self, frame: dict[str, Any]) -> None:
        last_seq = hello_last_seq(frame)
        if last_seq > 0:
            metrics.RECONNECTS.inc()
        assert self.interview_id is not None
        join = await calls.join(self.interview_id, last_seq)
        await self._send({"type": "welcome", "interview": join.state})
        if join.snapshot:
            snapshot = {"type": "snapshot", "events": join.events, "pending": join.pending}
            await self._send({**snapshot, "interview": join.state})
            self.last_sent_seq = join.state["last_seq"]
        else:
            self.last_sent_seq = last_seq
            for event in join.events:
                await self._deliver(event)
            if join.pending is not None and join.pending["seq"] <= last_seq:
                await self._send(join.pending)  # the client has it; show it again as current
        await self.code_resume(join.pending)
        remaining = join.state["time_remaining"]
        if remaining is not None and join.state["status"] == "in_progress":
            # The interview ends once the grace period after the limit is over too.
            grace = join.state["grace_seconds"]
            self._wake_after("deadline", remaining + grace + 0.5, "interview.deadline")
        if join.interviewers_move:
            await self._advance(known_move=True)

    async def handle_answer(self, frame: dict[str, Any]) -> None:
        if self.last_sent_seq is None:
            raise FrameError("hello_required", "Send 'hello' before anything else.")
        text, client_msg_id = answer_fields(frame)
        assert self.interview_id is not None
        known, self.known = self.known, None
        try:
            done = await calls.submit(self.interview_id, text, client_msg_id, known)
        except AnswerRejected as exc:
            # Names the answer, so a client holding several knows which one was refused.
            await self._error(
                exc.code, exc.message, retryable=exc.retryable, client_msg_id=str(client_msg_id)
            )
            return
        self.known = done.known
        if done.duplicate:
            await self._send(done.ack)  # acknowledged again, stored once
            await self._deliver(done.ack)
            await self._advance()  # a re-send after a lost reply: the reply may be owed
            return
        await self._deliver(done.ack)
        if done.replies:
            await self._turns_delivered(done.replies)
        elif done.interviewers_move:
            await self._advance(known_move=True)

    async def handle_ping(self, frame: dict[str, Any]) -> None:
        await self._send({"type": "pong"})

    # --- channel-layer messages ------------------------------------------------------------
    async def interview_event(self, message: dict[str, Any]) -> None:
        if self.last_sent_seq is not None:
            await self._deliver(message["event"])

    async def interview_supersede(self, message: dict[str, Any]) -> None:
        if message["by"] != self.channel_name:
            # The turns this socket stored went to its own client only, and the socket taking
            # over may have read the transcript before the last of them was committed: they
            # are all committed now (handlers run one at a time), so it reads them again.
            try:
                await self.channel_layer.send(message["by"], {"type": "interview.catch_up"})
            except TRANSIENT_ERRORS:
                logger.warning("catch-up for interview %s not sent", self.interview_id)
            await self._close_with(
                "superseded", "This interview was opened somewhere else.", CLOSE_SUPERSEDED
            )

    async def interview_catch_up(self, message: dict[str, Any]) -> None:
        if self.last_sent_seq is None:
            return  # its hello will read the transcript, the superseded socket's turns included
        assert self.interview_id is not None
        for event in await calls.events_since(self.interview_id, self.last_sent_seq):
            await self._deliver(event)

    async def interview_invite_changed(self, message: dict[str, Any]) -> None:
        # Revoked or reissued (on any process): a socket whose link no longer opens the
        # interview goes, as it would be refused if it connected now.
        problem = await calls.invite_problem(self.room_id, self.token)
        if problem is not None:
            await self._close_with(problem.code, problem.message, problem.close_code)

    async def interview_idle_check(self, message: dict[str, Any]) -> None:
        idle = time.monotonic() - self.last_frame_at
        if idle >= settings.WS_IDLE_TIMEOUT:
            await self._close_with("idle_timeout", "Closed after a period of silence.", CLOSE_IDLE)
        else:
            self._wake_after("idle", settings.WS_IDLE_TIMEOUT - idle, "interview.idle_check")

    async def interview_deadline(self, message: dict[str, Any]) -> None:
        if self.last_sent_seq is not None:
            await self._advance()  # completes the interview once its time is up

    # --- helpers ---------------------------------------------------------------------------
    async def _frame_count(self) -> int:
        """The frame's number in its window: per interview, so reconnecting does not reset it."""
        assert self.interview_id is not None
        try:
            return await calls.count_frame(self.room_id)
        except CounterUnavailable:
            # Limiting nothing would let a flood through; refusing every frame would lock
            # candidates out over a cache outage. This socket's own count still bounds it.
            if not self.counter_down_logged:
                self.counter_down_logged = True
                logger.warning(
                    "frame count unavailable for interview %s; limiting per socket",
                    self.interview_id,
                    exc_info=True,
                )
            return self.limiter.hit()

    def _wake_after(
        self, name: str, delay: float, message_type: str, *, payload: dict[str, Any] | None = None
    ) -> None:
        # Through the channel layer, so the check runs in turn with this socket's other
        # messages rather than alongside one of them.
        message = {**(payload or {}), "type": message_type}

        async def wake() -> None:
            await asyncio.sleep(max(delay, 0))
            while True:
                try:
                    await self.channel_layer.send(self.channel_name, message)
                    return
                except ChannelFull:
                    # The process's inbox is full (a burst): a late idle or deadline check is
                    # fine, a lost one is not. Cancelled on disconnect like any timer.
                    logger.warning("channel layer full; %s for %s retried", message_type, name)
                    await asyncio.sleep(WAKE_RETRY_SECONDS)

        if old := self.timers.get(name):
            old.cancel()
        self.timers[name] = asyncio.create_task(wake())

    async def _advance(self, *, known_move: bool = False) -> None:
        """Run the interviewer's move if it is the interviewer's (`known_move`: the caller
        already knows it is, from the answer it just stored)."""
        assert self.interview_id is not None
        if not known_move and not await calls.interviewers_move(self.interview_id):
            return  # the candidate's move: nothing to prepare, so no "thinking"
        await self._send({"type": "status", "state": "thinking"})
        advanced = await calls.advance(self.interview_id)
        if advanced.known is not None or advanced.events:
            self.known = advanced.known  # the transcript moved: what was known is not current
        await self._turns_delivered(advanced.events)

    async def _turns_delivered(self, events: list[Event]) -> None:
        """Deliver the interviewer's new turns, then say whether a backup provider wrote them."""
        for event in events:
            await self._deliver(event)
        degraded = any(e.get("degraded") for e in events)
        await self._send({"type": "status", "state": "degraded" if degraded else "ok"})

    async def _deliver(self, event: Event) -> None:
        """Send `event` if it is the next seq; fill a gap from the database first."""
        if self.last_sent_seq is None or event["seq"] <= self.last_sent_seq:
            return
        if event["seq"] > self.last_sent_seq + 1:
            assert self.interview_id is not None
            for missing in await calls.events_since(self.interview_id, self.last_sent_seq):
                await self._send(missing)
                self.last_sent_seq = missing["seq"]
            return
        await self._send(event)
        self.last_sent_seq = event["seq"]

    def _cancel_timers(self) -> None:
        for task in self.timers.values():
            task.cancel()
