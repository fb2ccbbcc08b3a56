"""The interview's life: create, start, take answers, advance to the next turn, finish.

Every interviewer turn and every answer is persisted (with the next `seq`, under a row lock on
the interview) before anyone is told about it. Generating the next turn may call an LLM, so it
happens outside any transaction: the answer is committed and acknowledged first, then the next
turn is generated, then appended only if nothing changed meanwhile. `interview_advance` works
from the database state alone, so a crash between the two steps is repaired by the next call.
"""

import logging
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from interviews.llm.base import GeneratedQuestion, QuestionContext
from interviews.llm.gateway import get_interviewer, interviewer_step
from interviews.llm.grounding import grounded_context, question_grounding
from interviews.models import (
    Interview,
    InterviewStatus,
    Position,
    Turn,
    TurnKind,
    TurnRole,
)
from interviews.moves import CompleteReason, Move, MoveKind, Tip
from interviews.selectors import (
    interview_move,
    interview_recent,
    interview_time_over,
    turn_event,
)
from interviews.services.effects import (
    broadcast_on_commit,
    interview_group,
    invite_changed_on_commit,
)
from interviews.services.evaluation import evaluation_request
from interviews.services.positions import position_for_plan, position_plan
from interviews.services.tokens import token_generate, token_hash
from interviews.text import text_unstorable_at, text_unstorable_message

logger = logging.getLogger(__name__)


class AnswerRejected(Exception):
    """An answer that cannot be stored; `code` goes into the error frame."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True)
class CreatedInterview:
    interview: Interview
    token: str  # shown once; only its hash is stored

    @property
    def invite_path(self) -> str:
        return f"/i/{self.token}/"

    @property
    def ws_path(self) -> str:
        return f"/ws/interviews/{self.interview.room_id}/?token={self.token}"

    def as_payload(self) -> dict[str, Any]:
        """The create_interview contract: id, room_id, token, invite_url, ws_url, expires_at."""
        base = settings.PUBLIC_BASE_URL
        ws_base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return {
            "id": self.interview.pk,
            "room_id": self.interview.room_id,
            "token": self.token,
            "invite_url": f"{base}{self.invite_path}",
            "ws_url": f"{ws_base}{self.ws_path}",
            "expires_at": self.interview.token_expires_at.isoformat(),
        }


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Turn
    duplicate: bool  # the same client_msg_id was stored before: acknowledge, store nothing


def interview_create(
    *,
    candidate_name: str,
    position: Position | None = None,
    role: str = "",
    topic: str = "",
    difficulty: str = "",
    language: str = "en",
    question_count: int = 0,
    candidate_email: str = "",
    time_limit_seconds: int | None = None,
    created_by_id: int | None = None,
) -> CreatedInterview:
    """An interview for `position`, with the position's plan copied onto it. Without a position,
    the plan given here (the command line's --role, --topic, ...) finds or makes the position
    with exactly that plan, so the older way of creating an interview keeps working."""
    with transaction.atomic():
        if position is None:
            position = position_for_plan(
                role=role,
                topic=topic,
                difficulty=difficulty,
                language=language,
                question_count=question_count,
                time_limit_seconds=time_limit_seconds,
                created_by_id=created_by_id,
            )
        room_id = secrets.token_hex(8)
        expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
        token = token_generate(room_id=room_id, expires_at=expires_at)
        interview = Interview(
            position=position,
            **asdict(position_plan(position=position)),
            candidate_name=candidate_name.strip(),
            candidate_email=candidate_email.strip(),
            room_id=room_id,
            token_hash=token_hash(token),
            token_expires_at=expires_at,
            created_by_id=created_by_id,
        )
        interview.full_clean()
        interview.save()
    logger.info("interview %s created (room %s)", interview.pk, interview.room_id)
    return CreatedInterview(interview=interview, token=token)


def interview_reissue_token(*, interview: Interview) -> CreatedInterview:
    """A fresh invite link; the old one stops working at once."""
    interview.token_expires_at = timezone.now() + timedelta(hours=settings.INVITE_TTL_HOURS)
    token = token_generate(room_id=interview.room_id, expires_at=interview.token_expires_at)
    interview.token_hash = token_hash(token)
    interview.token_revoked_at = None
    interview.save(update_fields=["token_hash", "token_expires_at", "token_revoked_at"])
    invite_changed_on_commit(interview.pk)  # sockets opened with the old link close
    return CreatedInterview(interview=interview, token=token)


def interview_revoke_token(*, interview: Interview) -> None:
    """The link stops working at once, including on sockets already open with it."""
    interview.token_revoked_at = timezone.now()
    interview.save(update_fields=["token_revoked_at"])
    invite_changed_on_commit(interview.pk)


def _append_turn(interview: Interview, **fields: Any) -> Turn:
    """Persist a turn with the next seq. Caller holds the interview row lock."""
    interview.last_seq += 1
    turn = Turn.objects.create(interview=interview, seq=interview.last_seq, **fields)
    broadcast_on_commit(
        interview_group(interview.pk), turn_event(turn, total=interview.question_count)
    )
    return turn


def _touch(interview: Interview, *extra_fields: str) -> None:
    interview.last_activity_at = timezone.now()
    interview.save(update_fields=["last_seq", "last_activity_at", *extra_fields])


def interview_start(*, interview_id: int, notice_version: str = "") -> Interview:
    """Mark a scheduled interview in progress, and its clock running. Idempotent.

    `notice_version`: the candidate consented to that notice now (the start page). Where
    INTERVIEW_CONSENT_REQUIRED is on, an interview without a recorded consent does not start,
    so a socket opened before the start page was submitted starts nothing.
    """
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.status != InterviewStatus.SCHEDULED:
            return interview
        now = timezone.now()
        if notice_version:
            interview.consent_at = now
            interview.consent_notice_version = notice_version
        elif interview.consent_at is None and settings.INTERVIEW_CONSENT_REQUIRED:
            return interview
        interview.status = InterviewStatus.IN_PROGRESS
        interview.started_at = now
        _touch(interview, "status", "started_at", "consent_at", "consent_notice_version")
    return interview


def interview_answer_submit(
    *, interview_id: int, text: str, client_msg_id: uuid.UUID
) -> AnswerOutcome:
    text = text.strip()
    if not text:
        raise AnswerRejected("empty_answer", "The answer is empty.")
    if (bad := text_unstorable_at(text)) is not None:
        raise AnswerRejected("invalid_text", text_unstorable_message(text, bad))
    if len(text) > settings.MAX_ANSWER_CHARS:
        raise AnswerRejected(
            "answer_too_long", f"Answers are limited to {settings.MAX_ANSWER_CHARS} characters."
        )
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        # One query for both: an earlier answer with this client_msg_id (a re-send), and the
        # last turn (seq == last_seq: turns are only appended under this lock).
        turns = interview.turns.filter(Q(client_msg_id=client_msg_id) | Q(seq=interview.last_seq))
        by_seq = {turn.seq: turn for turn in turns}
        existing = next((t for t in by_seq.values() if t.client_msg_id == client_msg_id), None)
        if existing is not None:
            return AnswerOutcome(answer=existing, duplicate=True)
        last = by_seq.get(interview.last_seq)
        move = interview_move(interview=interview, tip=_tip_of_last(last))
        if move.reason is CompleteReason.TIME_UP:
            # Past the limit and its grace period: the interview ends now rather than at the
            # next time-up check; the answer is refused once that is committed (below).
            _finish(interview, reason=move.reason)
        else:
            answer = _answer_append(interview, move, last, text, client_msg_id)
    if move.reason is CompleteReason.TIME_UP:
        raise AnswerRejected("time_up", "Time is up: this answer arrived after the time limit.")
    return AnswerOutcome(answer=answer, duplicate=False)


def _tip_of_last(last: Turn | None) -> Tip:
    """Enough of the transcript's end to tell whether an answer is awaited (what an answer
    answered only matters for the interviewer's move)."""
    if last is None:
        return Tip()
    return Tip(last_kind=last.kind, last_index=last.question_index)


def _answer_append(
    interview: Interview, move: Move, last: Turn | None, text: str, client_msg_id: uuid.UUID
) -> Turn:
    """Store the answer to the pending question. Caller holds the interview row lock."""
    if move.kind is MoveKind.FINISHED:
        raise AnswerRejected("interview_finished", "This interview is already finished.")
    if move.kind is not MoveKind.AWAIT_ANSWER or last is None:
        raise AnswerRejected(
            "no_question_pending",
            "There is no question waiting for an answer yet.",
            retryable=True,
        )
    answer = _append_turn(
        interview,
        role=TurnRole.CANDIDATE,
        kind=TurnKind.ANSWER,
        question_index=last.question_index,
        text=text,
        client_msg_id=client_msg_id,
    )
    _touch(interview)
    return answer


@dataclass(frozen=True)
class _Plan:
    """What the interviewer does next, decided from a snapshot of the transcript."""

    after_seq: int
    move: Move  # ASK_QUESTION, FOLLOW_UP or COMPLETE
    question: GeneratedQuestion | None = None  # what it asks, with who wrote it (not COMPLETE)
    grounding: dict[str, Any] = field(default_factory=dict)  # Turn.meta of a grounded question


def _context(interview: Interview, index: int) -> QuestionContext:
    asked = interview.turns.filter(kind=TurnKind.QUESTION).values_list("text", flat=True)
    return QuestionContext(
        role=interview.role,
        topic=interview.topic,
        difficulty=interview.difficulty,  # type: ignore[arg-type]
        language=interview.language,
        index=index,
        total=interview.question_count,
        previous_questions=tuple(asked),
        seed=interview.pk,
    )


def _plan(interview: Interview) -> _Plan | None:
    """The interviewer's next turn, or None when the move is not the interviewer's. May call
    the LLM (a follow-up check, then the next question)."""
    recent = interview_recent(interview=interview)
    move = interview_move(interview=interview, tip=recent.tip)
    if move.kind is MoveKind.FOLLOW_UP:
        asked, answer = recent.before, recent.last
        # A follow-up is offered only on an answer to a stored question.
        assert asked is not None
        assert answer is not None
        question = GeneratedQuestion(
            text=asked.text,
            rubric=tuple(asked.meta.get("rubric", ())),
            source=asked.source or "offline",  # type: ignore[arg-type]
            provider=asked.provider,
            key=asked.meta.get("key", ""),
        )
        ctx = _context(interview, move.index)
        follow = get_interviewer().follow_up_question(ctx, question, answer.text)
        if follow is not None:
            return _Plan(interview.last_seq, move, follow)
        move = interview_move(interview=interview, tip=recent.tip, follow_up_declined=True)
    if move.kind is MoveKind.ASK_QUESTION:
        # Retrieval before each main question; a failed search is an ungrounded question.
        grounding = question_grounding(interview=interview)
        ctx = grounded_context(_context(interview, move.index), grounding)
        question = get_interviewer().generate_question(ctx)
        return _Plan(interview.last_seq, move, question, grounding=grounding.as_meta())
    if move.kind is MoveKind.COMPLETE:
        return _Plan(interview.last_seq, move)
    return None


def interview_advance(*, interview_id: int) -> list[Turn]:
    """Append the interviewer's next turn if it is the interviewer's move; return new turns.

    Safe to call at any time and from any process: the plan is applied only if the transcript
    has not moved since it was made, so concurrent calls produce one turn, not two.
    """
    interview = Interview.objects.get(pk=interview_id)
    # May call the LLM twice (a follow-up check, then the next question): one step, so both
    # share one LLM_TIMEOUT_SECONDS and the candidate never waits longer than that for a turn.
    # No transaction, no lock held.
    with interviewer_step():
        plan = _plan(interview)
    if plan is None:
        return []
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.last_seq != plan.after_seq or interview.is_finished:
            return []
        move = plan.move
        if move.kind is MoveKind.COMPLETE:
            assert move.reason is not None
            return [_finish(interview, reason=move.reason)]
        question = plan.question
        assert question is not None  # every plan but COMPLETE carries what it asks
        meta: dict[str, Any] = {"degraded": question.degraded}
        asks = move.kind is MoveKind.ASK_QUESTION
        if asks:
            meta |= {"rubric": list(question.rubric), "key": question.key, **plan.grounding}
        turn = _append_turn(
            interview,
            role=TurnRole.INTERVIEWER,
            kind=TurnKind.QUESTION if asks else TurnKind.FOLLOW_UP,
            question_index=move.index,
            text=question.text,
            source=question.source,
            provider=question.provider,
            meta=meta,
        )
        interview.current_index = move.index
        _touch(interview, "current_index")
    return [turn]


FINISH_TEXT = {
    "all_answered": "Thank you — the interview is complete.",
    "time_up": "Time is up. Thank you — the interview is complete.",
    "abandoned": "This interview was closed after a long period of inactivity.",
}


def _finish(interview: Interview, *, reason: str, status: str = InterviewStatus.COMPLETED) -> Turn:
    """End the interview with a `completed` event; evaluate it if the candidate answered.

    Caller holds the interview row lock.
    """
    turn = _append_turn(
        interview,
        role=TurnRole.SYSTEM,
        kind=TurnKind.SYSTEM,
        question_index=interview.current_index,
        text=FINISH_TEXT[reason],
        meta={"event": "completed", "reason": reason},
    )
    interview.status = status
    interview.completed_at = timezone.now()
    _touch(interview, "status", "completed_at")
    if interview.turns.filter(kind=TurnKind.ANSWER).exists():
        evaluation_request(interview=interview)
    logger.info("interview %s finished: %s (%s)", interview.pk, status, reason)
    return turn


def interview_time_up(*, interview_id: int) -> bool:
    """Complete the interview with reason `time_up` if its time and grace period are over and
    it is still in progress (the beat check; the socket and each answer check it too)."""
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.status != InterviewStatus.IN_PROGRESS:
            return False
        if not interview_time_over(interview=interview):
            return False
        _finish(interview, reason="time_up")
    return True


def interview_abandon(*, interview_id: int, inactive_since: datetime) -> bool:
    """Mark an in-progress interview abandoned if it is still idle since `inactive_since`."""
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        idle = interview.last_activity_at is None or interview.last_activity_at < inactive_since
        if interview.status != InterviewStatus.IN_PROGRESS or not idle:
            return False  # the candidate came back after the sweep looked
        _finish(interview, reason="abandoned", status=InterviewStatus.ABANDONED)
    return True
