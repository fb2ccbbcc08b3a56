"""The candidate socket's calls into services and selectors, each on the threads it needs.

Database work runs on a bounded pool of WS_DB_THREADS threads (`db_call`), each borrowing a
connection from the process's psycopg pool for the call: a socket waiting on a slow commit or
a row lock holds one thread, not the one thread every other socket's calls would queue on
(Channels' `database_sync_to_async` default). Each socket awaits its calls one at a time, so
its own calls never overlap. The calls that wait on something slow (the LLM, a cache round
trip) run on pools of their own.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from channels.db import DatabaseSyncToAsync
from django.conf import settings

from interviews import selectors
from interviews.models import Interview, Submission
from interviews.selectors_code import pending_question_submission, submission_event
from interviews.services.answer_tail import Tail
from interviews.services.guessing import invite_authenticate
from interviews.services.interviews import (
    interview_advance_known,
    interview_answer_submit,
    interview_start,
)
from interviews.services.rate_limits import window_count
from interviews.services.submissions import submission_create
from interviews.services.tokens import InviteProblem, InviteRejected, interview_authenticate
from interviews.shutdown import DaemonThreadPool, default_workers

Event = dict[str, Any]
P = ParamSpec("P")
R = TypeVar("R")

# Bounded: each thread holds a pooled connection during its call, and DB_POOL_MAX_SIZE counts
# them (docs/architecture.md, "Sizing connections").
SOCKET_DB = DaemonThreadPool(settings.WS_DB_THREADS, "socket-db")


def db_call(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func` run on the socket database pool, with Django's connection handling around it
    (stale connections closed before and after, as database_sync_to_async does)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=SOCKET_DB)


@db_call
def authenticate(room_id: str, token: str, client_address: str | None) -> Interview:
    return invite_authenticate(room_id=room_id, token=token, client_address=client_address)


@db_call
def invite_problem(room_id: str, token: str) -> InviteProblem | None:
    """Why the token a socket opened with no longer opens its interview, or None if it does.

    Not counted as a guess (the socket's token was checked, and counted, when it connected).
    """
    try:
        interview_authenticate(room_id=room_id, token=token)
    except InviteRejected as exc:
        # It opened the interview when the socket connected: no longer matching, it was
        # replaced by a reissued link, which revokes it.
        if exc.problem is InviteProblem.BAD_TOKEN:
            return InviteProblem.REVOKED_TOKEN
        return exc.problem
    return None


@dataclass(frozen=True)
class Join:
    state: dict[str, Any]
    events: list[Event]  # after the client's last_seq, or all of them for a snapshot
    pending: Event | None
    snapshot: bool
    interviewers_move: bool  # the interviewer acts next: the socket calls `advance`


@db_call
def join(interview_id: int, last_seq: int) -> Join:
    interview = interview_start(interview_id=interview_id)
    missed = interview.last_seq - last_seq
    # Too far behind to replay frame by frame, or ahead of the server (its history is not
    # ours): one snapshot frame with everything instead.
    snapshot = last_seq > 0 and (missed > settings.WS_REPLAY_CAP or missed < 0)
    since = 0 if snapshot else last_seq
    turns = selectors.interview_turns_since(interview=interview, last_seq=since)
    # From the start, the turns are the whole transcript: its end and the questions answered
    # come from them rather than from two more queries.
    transcript = turns if since == 0 else None
    recent = selectors.interview_recent(interview=interview, transcript=transcript)
    move = selectors.interview_move(interview=interview, tip=recent.tip)
    pending = selectors.interview_pending_question(recent=recent, move=move)
    return Join(
        state=selectors.interview_state(interview=interview, transcript=transcript),
        events=[selectors.turn_event(t, total=interview.question_count) for t in turns],
        pending=selectors.turn_event(pending, total=interview.question_count) if pending else None,
        snapshot=snapshot,
        interviewers_move=move.interviewers,
    )


@db_call
def events_since(interview_id: int, last_seq: int) -> list[Event]:
    interview = Interview.objects.get(pk=interview_id)
    return selectors.interview_events_since(interview=interview, last_seq=last_seq)


@dataclass(frozen=True)
class Submitted:
    ack: Event
    duplicate: bool
    replies: list[Event]  # the interviewer's turns stored with the answer (offline interviewer)
    interviewers_move: bool  # the reply is still to come: the socket calls `advance`
    known: Tail | None = None  # what the socket passes with its next answer


@db_call
def submit(
    interview_id: int, text: str, client_msg_id: uuid.UUID, known: Tail | None = None
) -> Submitted:
    """Store the answer and, where the interviewer needs no network, its reply: one
    transaction, which from `known` (what the socket's previous answer left) reads nothing,
    and otherwise locks and reads in one statement (services/turns.py)."""
    outcome = interview_answer_submit(
        interview_id=interview_id,
        text=text,
        client_msg_id=client_msg_id,
        reply=True,
        broadcast=False,  # the socket sends them itself (interviews/services/transcript.py)
        known=known,
    )
    total = outcome.answer.interview.question_count
    return Submitted(
        ack=selectors.turn_event(outcome.answer, total=0),
        duplicate=outcome.duplicate,
        replies=[selectors.turn_event(turn, total=total) for turn in outcome.replies],
        interviewers_move=outcome.interviewers_move,
        known=outcome.known,
    )


@dataclass(frozen=True)
class CodeQueued:
    queued: Event  # the submission's state (code_queued, or where a re-sent one got to)
    submission_id: int
    answer: Submitted | None  # a submit is also the question's answer


@db_call
def code_submit(
    interview_id: int, kind: str, code: object, language: object, client_id: uuid.UUID
) -> CodeQueued:
    """Store the code and queue its test; for a submit, store it as the answer too and, where
    the interviewer needs no network, its reply (as `submit` does for a text answer)."""
    outcome = submission_create(
        interview_id=interview_id,
        kind=kind,
        code=code,
        language=language,
        client_id=client_id,
        reply=True,
        broadcast=False,
    )
    answer = None
    if outcome.answer is not None:
        total = outcome.answer.answer.interview.question_count
        answer = Submitted(
            ack=selectors.turn_event(outcome.answer.answer, total=0),
            duplicate=outcome.answer.duplicate,
            replies=[selectors.turn_event(t, total=total) for t in outcome.answer.replies],
            interviewers_move=outcome.answer.interviewers_move,
            known=outcome.answer.known,
        )
    return CodeQueued(submission_event(outcome.submission), outcome.submission.pk, answer)


@db_call
def code_state(interview_id: int, submission_id: int) -> Event:
    submission = Submission.objects.select_related("question").get(
        pk=submission_id, interview_id=interview_id
    )
    return submission_event(submission)


@db_call
def code_latest(interview_id: int, question_seq: int) -> tuple[int, Event] | None:
    """The latest submission for the pending coding question: (its id, its frame)."""
    interview = Interview.objects.get(pk=interview_id)
    submission = pending_question_submission(interview=interview, question_seq=question_seq)
    return (submission.pk, submission_event(submission)) if submission else None


# Off the thread-sensitive thread every socket's database work queues on: a cache round trip
# per frame must not wait behind other candidates' queries.
@sync_to_async(thread_sensitive=False)
def count_frame(room_id: str) -> int:
    """This frame's number in the interview's current window, across all its sockets. By
    room id, random per interview: an interview id repeats across databases sharing one
    Redis (test runs, a restored copy), and their counts must not mix."""
    window = settings.WS_RATE_LIMIT_WINDOW_SECONDS
    return window_count(key=f"ws-frames:{room_id}", window_seconds=window).count


@db_call
def interviewers_move(interview_id: int) -> bool:
    """Whether the interviewer acts next: no question yet, an answer waiting for a reply, or
    the time (and its grace period) is over."""
    interview = Interview.objects.get(pk=interview_id)
    recent = selectors.interview_recent(interview=interview)
    return selectors.interview_move(interview=interview, tip=recent.tip).interviewers


@dataclass(frozen=True)
class Advanced:
    events: list[Event]  # the interviewer's new turns
    known: Tail | None  # what the socket passes with its next answer


def _advance_sync(interview_id: int) -> Advanced:
    advanced = interview_advance_known(interview_id=interview_id, broadcast=False)
    turns = advanced.turns
    total = turns[0].interview.question_count if turns else 0
    return Advanced([selectors.turn_event(turn, total=total) for turn in turns], advanced.known)


# Not on the process's one thread-sensitive thread, where every other socket's database work
# runs: this call waits on the LLM (up to LLM_TIMEOUT_SECONDS), and a slow provider would make
# every candidate of the process queue behind it. interview_advance is safe to run
# concurrently (it appends a turn only if the transcript has not moved); each pool thread holds
# its own database connection (docs/architecture.md, "Sizing connections"). Daemon threads, so a
# stopping process does not wait for an LLM call in flight (interviews/shutdown.py).
MOVES = DaemonThreadPool(default_workers(), "interviewer-move")
advance = DatabaseSyncToAsync(
    _advance_sync,
    thread_sensitive=False,
    executor=MOVES,
)
