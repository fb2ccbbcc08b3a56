"""What the candidate's socket sends and how it closes (docs/protocol.md, "Close codes"):
every frame goes through `_send`, which never blocks the socket on a client that stopped
reading and stops quietly once the client is gone; errors are frames; closing sends the reason
first. Mixed into InterviewConsumer (interviews/consumers.py).
"""

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from channels.exceptions import StopConsumer
from django.conf import settings

from interviews import metrics
from interviews.socket_calls import Event

logger = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001  # RFC 6455: the server is going down; the page reconnects
CLOSE_INTERNAL_ERROR = 1011  # RFC 6455: the server met a condition it did not expect
CLOSE_TRY_AGAIN_LATER = 1013  # IANA-registered: a dependency is briefly out of reach
CLOSE_UNKNOWN = 4404
CLOSE_IDLE = 4408
CLOSE_SUPERSEDED = 4409
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429


class SocketOutput:
    """Sending, error frames and closing, for InterviewConsumer."""

    interview_id: int | None = None
    closing: bool = False  # closing: later messages are not acted on
    closed: bool = False  # the close frame was sent: nothing more is

    if TYPE_CHECKING:  # what InterviewConsumer (an AsyncWebsocketConsumer) provides

        async def send(
            self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
        ) -> None: ...
        async def close(self, code: int | None = None, reason: str | None = None) -> None: ...
        async def disconnect(self, code: int) -> None: ...
        def _cancel_timers(self) -> None: ...

    async def _error(
        self,
        code: str,
        message: str,
        *,
        retryable: bool,
        client_msg_id: str | None = None,
        client_id: str | None = None,
    ) -> None:
        frame: Event = {"type": "error", "code": code, "message": message, "retryable": retryable}
        if client_msg_id is not None:
            frame["client_msg_id"] = client_msg_id
        if client_id is not None:
            frame["client_id"] = client_id  # the coding run it refuses
        await self._send(frame)

    async def _close_with(
        self, code: str, message: str, close_code: int, *, retryable: bool = False
    ) -> None:
        metrics.ERROR_CLOSES.labels(code=metrics.close_code(close_code)).inc()
        self.closing = True
        await self._error(code, message, retryable=retryable)
        # Closed before the close is awaited: a handler running meanwhile must not send after it.
        self.closed = True
        await self.close(code=close_code)

    async def going_away(self) -> None:
        """This process is stopping: close with 1001 now, whatever handler is running."""
        self._cancel_timers()
        if self.closing:
            return
        self.closing = True
        self.closed = True  # before the await: see _close_with
        await self.close(code=CLOSE_GOING_AWAY)

    async def _fail(self, *, transient: bool) -> None:
        """Close after an error no handler expected (already logged by `dispatch`): 1013 with a
        retryable `service_unavailable` when a dependency was briefly out of reach (Redis or
        PostgreSQL restarting), else 1011 with `internal_error`."""
        if self.closing:
            return
        try:
            if transient:
                await self._close_with(
                    "service_unavailable",
                    "The service is briefly unavailable. Reconnecting; your saved answers "
                    "are safe.",
                    CLOSE_TRY_AGAIN_LATER,
                    retryable=True,
                )
                return
            # Not retryable: re-sending the frame that met the error would likely meet it again.
            await self._close_with(
                "internal_error",
                "Something went wrong on our side. Reconnecting; your saved answers are safe.",
                CLOSE_INTERNAL_ERROR,
            )
        except StopConsumer:
            raise
        except Exception:
            # The socket itself may be what failed; the error is logged, the client reconnects.
            logger.warning("could not close interview %s with 1011", self.interview_id)

    async def _send(self, payload: Event) -> None:
        if self.closed:
            return  # a handler that finishes after the close: the client replays on reconnect
        # A client that stops reading must not hold this socket's events (or the process)
        # hostage: past WS_SEND_TIMEOUT the socket is dropped and the client resumes later.
        text = json.dumps(payload)
        try:
            # A deadline on this task, not wait_for's task per frame; and with no await
            # between the check above and the send, a close (going_away at SIGTERM) cannot
            # come in between.
            async with asyncio.timeout(settings.WS_SEND_TIMEOUT):
                await self.send(text_data=text)
        except TimeoutError:
            logger.warning("send timed out on interview %s; dropping socket", self.interview_id)
            metrics.ERROR_CLOSES.labels(code=metrics.close_code(1011)).inc()
            await self.disconnect(code=1011)
            raise StopConsumer() from None
        except OSError:
            # The client is gone (uvicorn raises ClientDisconnected, an OSError, as the ASGI
            # spec asks of a send on a closed connection): nothing more reaches it, its
            # disconnect message follows, and the page resumes from the transcript.
            self.closed = True
            return
        metrics.FRAMES_OUT.labels(type=payload.get("type", "")).inc()
