"""The lean interview consumer bench/ws_load.py --baseline runs beside the project's, in the same
uvicorn process (bench/_bench_asgi.py routes /ws/baseline/ here): the least work an answer
can cost on this stack, so that every run states the project's cost as a ratio to it.

What it does is the essential work of a turn and nothing more, as a bare ASGI app:

- connect: one SELECT finds the interview by room id and token hash (else close 4401);
- hello: the welcome, and on a fresh interview question 1 stored (one INSERT) and sent;
- answer: the frame validated (an object, a non-empty text of at most ANSWER_MAX_CHARS, a
  UUID client_msg_id), then the answer and the interviewer's reply (the next question, or a
  `completed` turn after the last) inserted in one transaction, then `ack` and the reply sent
  straight to the socket;
- ping: pong.

The state it needs (last seq, question index) stays in the socket. Database calls run on the
same bounded pool as the project's socket calls (interviews.socket_calls.db_call). What it
leaves out is everything the project promises beyond that: resume and snapshots, rate limits,
supersede and cross-process delivery through the channel layer, idle and time limits, the
interviewer itself, metrics, evaluations. Bench only; never routed in the project.
"""

import hashlib
import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from django.db import IntegrityError, connection, transaction

from interviews.socket_calls import db_call

ANSWER_MAX_CHARS = 10_000
CLOSE_BAD_LINK = 4401
PING_INTERVAL = 20
INSERT_TURN = (
    "INSERT INTO interviews_turn (interview_id, seq, role, kind, question_index, text, source,"
    " provider, client_msg_id, meta, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, '', %s,"
    " '{}', now())"
)


class BadFrame(ValueError):
    pass


@db_call
def find_interview(room_id: str, token: str) -> tuple[int, int, int] | None:
    """(id, question_count, last seq stored) of the interview this link opens, or None."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, i.question_count, COALESCE(MAX(t.seq), 0) FROM interviews_interview i"
            " LEFT JOIN interviews_turn t ON t.interview_id = i.id"
            " WHERE i.room_id = %s AND i.token_hash = %s GROUP BY i.id",
            [room_id, digest],
        )
        row = cursor.fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else None


@db_call
def store_question(interview_id: int, seq: int, index: int, text: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_TURN,
            [interview_id, seq, "interviewer", "question", index, text, "offline", None],
        )


@db_call
def store_turn(
    interview_id: int, seq: int, index: int, answer: str, msg_id: str, reply: tuple[str, str]
) -> None:
    """The answer and the interviewer's reply, in one transaction."""
    kind, text = reply
    role = "system" if kind == "system" else "interviewer"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_TURN, [interview_id, seq, "candidate", "answer", index, answer, "", msg_id]
        )
        cursor.execute(
            INSERT_TURN, [interview_id, seq + 1, role, kind, index, text, "offline", None]
        )


def answer_fields(frame: dict[str, Any]) -> tuple[str, str]:
    text, msg_id = frame.get("text"), frame.get("client_msg_id")
    if not isinstance(text, str) or not text.strip() or len(text) > ANSWER_MAX_CHARS:
        raise BadFrame("invalid_answer")
    try:
        return text, str(uuid.UUID(str(msg_id)))
    except ValueError:
        raise BadFrame("invalid_client_msg_id") from None


class LeanSocket:
    def __init__(self, send: Any) -> None:
        self.send = send
        self.interview_id = 0
        self.questions = 0
        self.seq = 0  # the last seq stored and sent
        self.index = 0  # the question being answered

    async def frame(self, payload: dict[str, Any]) -> None:
        await self.send({"type": "websocket.send", "text": json.dumps(payload)})

    async def connect(self, scope: dict[str, Any]) -> bool:
        room_id = scope["path"].rstrip("/").rsplit("/", 1)[-1]
        token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        found = await find_interview(room_id, token)
        await self.send({"type": "websocket.accept"})
        if found is None:
            await self.frame({"type": "error", "code": "bad_link", "retryable": False})
            await self.send({"type": "websocket.close", "code": CLOSE_BAD_LINK})
            return False
        self.interview_id, self.questions, self.seq = found
        return True

    async def receive(self, raw: str) -> None:
        try:
            frame = json.loads(raw)
            if not isinstance(frame, dict):
                raise BadFrame("invalid_frame")
            kind = frame.get("type")
            if kind == "hello":
                await self.hello()
            elif kind == "answer":
                await self.answer(*answer_fields(frame))
            elif kind == "ping":
                await self.frame({"type": "pong"})
            else:
                raise BadFrame("unknown_type")
        except (ValueError, IntegrityError) as exc:  # BadFrame and JSONDecodeError: ValueError
            code = (
                str(exc)
                if isinstance(exc, BadFrame)
                else "duplicate_answer"
                if isinstance(exc, IntegrityError)
                else "invalid_json"
            )
            await self.frame({"type": "error", "code": code, "retryable": False})

    async def hello(self) -> None:
        await self.frame(
            {"type": "welcome", "interview": {"ping_interval": PING_INTERVAL, "last_seq": self.seq}}
        )
        if self.seq == 0:
            text = "Question 1"
            await store_question(self.interview_id, 1, 0, text)
            self.seq = 1
            await self.frame({"type": "question", "seq": 1, "index": 0, "text": text})

    async def answer(self, text: str, msg_id: str) -> None:
        last = self.index + 1 >= self.questions
        reply = ("system", "completed") if last else ("question", f"Question {self.index + 2}")
        seq = self.seq + 1
        await store_turn(self.interview_id, seq, self.index, text, msg_id, reply)
        self.seq = seq + 1
        await self.frame({"type": "ack", "seq": seq, "client_msg_id": msg_id})
        if last:
            await self.frame({"type": "completed", "seq": seq + 1})
            return
        self.index += 1
        await self.frame(
            {"type": "question", "seq": seq + 1, "index": self.index, "text": reply[1]}
        )


async def lean_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    socket = LeanSocket(send)
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            if not await socket.connect(scope):
                return
        elif message["type"] == "websocket.receive":
            await socket.receive(message.get("text") or (message.get("bytes") or b"").decode())
        elif message["type"] == "websocket.disconnect":
            return
