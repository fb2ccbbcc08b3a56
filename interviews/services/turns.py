"""A turn of the interview: the candidate's answer and the interviewer's reply.

Every turn is persisted (with the next `seq`, under a row lock on the interview) before anyone
is told about it. Whose move it is comes from `interview_next_move` (interviews/moves.py).

Two paths, depending on whether the interviewer needs the network:

- The first provider is an LLM: generating the reply may take seconds, so it happens outside
  any transaction. The answer is committed and acknowledged first, then `interview_advance`
  generates the next turn and appends it only if the transcript has not moved meanwhile. It
  works from the database state alone, so a crash between the two steps is repaired by the
  next call.
- The offline interviewer: the reply is a few microseconds of CPU, so the answer and the
  reply are stored in the same transaction (`reply=True`): one lock, one INSERT, one UPDATE.
"""

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from interviews.coding.plan import coding_slot
from interviews.llm.base import GeneratedQuestion, QuestionContext
from interviews.llm.gateway import get_interviewer, interviewer_step
from interviews.llm.grounding import Grounding, grounded_context, question_grounding
from interviews.models import Interview, Turn, TurnKind, TurnRole
from interviews.moves import CompleteReason, Move, MoveKind
from interviews.selectors import Recent, interview_move, interview_recent
from interviews.services.answer_tail import Tail, tail_locked
from interviews.services.rejections import Rejected
from interviews.services.transcript import (
    interview_finish,
    interview_touch,
    turn_next,
    turns_store,
)
from interviews.text import text_unstorable_at, text_unstorable_message

logger = logging.getLogger(__name__)


class AnswerRejected(Rejected):
    """An answer that cannot be stored."""


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Turn
    duplicate: bool  # the same client_msg_id was stored before: acknowledge, store nothing
    replies: tuple[Turn, ...] = ()  # the interviewer's turns stored with the answer (reply=True)
    interviewers_move: bool = False  # after this, still the interviewer's move: advance


def answer_text_checked(text: str) -> str:
    """The answer as it will be stored, or AnswerRejected saying why it cannot be."""
    text = text.strip()
    if not text:
        raise AnswerRejected("empty_answer", "The answer is empty.")
    if (bad := text_unstorable_at(text)) is not None:
        raise AnswerRejected("invalid_text", text_unstorable_message(text, bad))
    if len(text) > settings.MAX_ANSWER_CHARS:
        raise AnswerRejected(
            "answer_too_long", f"Answers are limited to {settings.MAX_ANSWER_CHARS} characters."
        )
    return text


def interviewer_is_local() -> bool:
    """Whether the interviewer's reply needs no network (the first provider is offline)."""
    return not get_interviewer().remote_first


def interview_answer_submit(
    *,
    interview_id: int,
    text: str,
    client_msg_id: uuid.UUID,
    reply: bool = False,
    broadcast: bool = True,
    code: bool = False,
) -> AnswerOutcome:
    """Store the answer to the pending question; idempotent per `client_msg_id`.

    The lock and everything the answer needs come in one statement (services/answer_tail.py).
    `reply`: with an interviewer that needs no network, also store its reply in the same
    transaction. `broadcast`: see interviews/services/transcript.py. `code`: the answer is
    code submitted for a coding question (interviews/services/submissions.py, which checks
    it); a coding question takes no other answer, and a discussion question no code.
    """
    if not code:
        text = answer_text_checked(text)
    reply = reply and interviewer_is_local()
    with transaction.atomic():
        tail = tail_locked(interview_id, client_msg_id, with_questions=reply)
        if tail.existing is not None:
            return AnswerOutcome(answer=tail.existing, duplicate=True)
        interview = tail.interview
        move = interview_move(interview=interview, tip=tail.recent.tip)
        if move.reason is CompleteReason.TIME_UP:
            # Past the limit and its grace period: the interview ends now rather than at the
            # next time-up check; the answer is refused once that is committed (below).
            interview_finish(interview, reason=move.reason, broadcast=broadcast)
        else:
            outcome = _answer_store(tail, move, text, client_msg_id, reply, broadcast, code)
    if move.reason is CompleteReason.TIME_UP:
        raise AnswerRejected("time_up", "Time is up: this answer arrived after the time limit.")
    return outcome


def _answer_store(
    tail: Tail,
    move: Move,
    text: str,
    client_msg_id: uuid.UUID,
    reply: bool,
    broadcast: bool,
    code: bool,
) -> AnswerOutcome:
    interview, last = tail.interview, tail.recent.last
    if move.kind is MoveKind.FINISHED:
        raise AnswerRejected("interview_finished", "This interview is already finished.")
    if move.kind is not MoveKind.AWAIT_ANSWER or last is None:
        raise AnswerRejected(
            "no_question_pending",
            "There is no question waiting for an answer yet.",
            retryable=True,
        )
    if code != ("coding" in last.meta):
        if code:
            raise AnswerRejected("not_a_coding_question", "This question takes a written answer.")
        raise AnswerRejected(
            "code_expected", "This is a coding question: submit your code with Submit."
        )
    answer = turn_next(
        interview,
        role=TurnRole.CANDIDATE,
        kind=TurnKind.ANSWER,
        question_index=last.question_index,
        text=text,
        client_msg_id=client_msg_id,
    )
    after = Recent(last=answer, before=last)
    plan = None
    if reply:
        with interviewer_step():
            plan = _plan(interview, after, tail.asked)
    if plan is None or plan.move.kind is MoveKind.COMPLETE:
        turns_store(interview, [answer], broadcast=broadcast)
        interview_touch(interview)
        replies = (_plan_apply(interview, plan, broadcast),) if plan is not None else ()
        move_after = interview_move(interview=interview, tip=after.tip)
        return AnswerOutcome(
            answer=answer,
            duplicate=False,
            replies=replies,
            interviewers_move=not replies and move_after.interviewers,
        )
    # The common case: the answer and the interviewer's next turn in one INSERT, one UPDATE.
    turn = _turn_of(interview, plan)
    turns_store(interview, [answer, turn], broadcast=broadcast)
    interview.current_index = plan.move.index
    interview_touch(interview, "current_index")
    return AnswerOutcome(answer=answer, duplicate=False, replies=(turn,))


# --- the interviewer's move ------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What the interviewer does next, decided from a snapshot of the transcript."""

    after_seq: int
    move: Move  # ASK_QUESTION, FOLLOW_UP or COMPLETE
    question: GeneratedQuestion | None = None  # what it asks, with who wrote it (not COMPLETE)
    grounding: dict[str, Any] = field(default_factory=dict)  # Turn.meta of a grounded question


def _context(interview: Interview, index: int, asked: tuple[str, ...] | None) -> QuestionContext:
    if asked is None:
        questions = interview.turns.filter(kind=TurnKind.QUESTION).order_by("seq")
        asked = tuple(questions.values_list("text", flat=True))
    return QuestionContext(
        role=interview.role,
        topic=interview.topic,
        difficulty=interview.difficulty,  # type: ignore[arg-type]
        language=interview.language,
        index=index,
        total=interview.question_count,
        previous_questions=asked,
        seed=interview.pk,
    )


def _plan(interview: Interview, recent: Recent, asked: tuple[str, ...] | None) -> _Plan | None:
    """The interviewer's next turn, or None when the move is not the interviewer's. May call
    the LLM (a follow-up check, then the next question). `asked`: the questions asked so far,
    when the caller has them (else they are read)."""
    move = interview_move(interview=interview, tip=recent.tip)
    if move.kind is MoveKind.FOLLOW_UP:
        asked_turn, answer = recent.before, recent.last
        # A follow-up is offered only on an answer to a stored question.
        assert asked_turn is not None
        assert answer is not None
        if "coding" in asked_turn.meta:
            # The tests are a coding answer's follow-up: the interviewer moves on.
            move = interview_move(interview=interview, tip=recent.tip, follow_up_declined=True)
            return _plan_move(interview, move, asked)
        question = GeneratedQuestion(
            text=asked_turn.text,
            rubric=tuple(asked_turn.meta.get("rubric", ())),
            source=asked_turn.source or "offline",  # type: ignore[arg-type]
            provider=asked_turn.provider,
            key=asked_turn.meta.get("key", ""),
        )
        ctx = _context(interview, move.index, asked)
        follow = get_interviewer().follow_up_question(ctx, question, answer.text)
        if follow is not None:
            return _Plan(interview.last_seq, move, follow)
        move = interview_move(interview=interview, tip=recent.tip, follow_up_declined=True)
    return _plan_move(interview, move, asked)


def _plan_move(interview: Interview, move: Move, asked: tuple[str, ...] | None) -> _Plan | None:
    """The plan for a move that is not a follow-up."""
    if move.kind is MoveKind.ASK_QUESTION and coding_slot(
        index=move.index,
        question_count=interview.question_count,
        coding_count=interview.coding_count,
    ):
        keys, titles = _asked_coding(interview)
        try:
            question = get_interviewer().generate_coding_question(
                _context(interview, move.index, asked),
                language=interview.coding_language,
                asked_keys=keys,
                titles=titles,
            )
        except LookupError:
            logger.warning("interview %s: no coding question left; asking another kind",
                           interview.pk)  # fmt: skip
        else:
            return _Plan(interview.last_seq, move, question)
    if move.kind is MoveKind.ASK_QUESTION:
        # Retrieval before each main question; a failed search is an ungrounded question.
        grounding = _grounding(interview)
        ctx = grounded_context(_context(interview, move.index, asked), grounding)
        question = get_interviewer().generate_question(ctx)
        return _Plan(interview.last_seq, move, question, grounding=grounding.as_meta())
    if move.kind is MoveKind.COMPLETE:
        return _Plan(interview.last_seq, move)
    return None


def _asked_coding(interview: Interview) -> tuple[frozenset[str], tuple[str, ...]]:
    """The bank keys and the titles of the coding questions asked so far."""
    rows = interview.turns.filter(kind=TurnKind.QUESTION, meta__has_key="coding")
    specs = [m for m in rows.values_list("meta__coding", flat=True) if isinstance(m, dict)]
    keys = frozenset(str(m.get("key")) for m in specs if m.get("key"))
    return keys, tuple(str(m.get("title", "")) for m in specs)


def _grounding(interview: Interview) -> Grounding:
    """question_grounding, which turns a failed search into an ungrounded question. Inside the
    answer's transaction it runs in a savepoint, rolled back when the search failed: on
    PostgreSQL a failed query aborts the whole transaction, and the answer must not go with it.
    """
    if not transaction.get_connection().in_atomic_block:
        return question_grounding(interview=interview)
    savepoint = transaction.savepoint()
    grounding = question_grounding(interview=interview)
    if grounding.error:
        transaction.savepoint_rollback(savepoint)
    else:
        transaction.savepoint_commit(savepoint)
    return grounding


def _turn_of(interview: Interview, plan: _Plan) -> Turn:
    """The question or follow-up `plan` asks, numbered, not saved."""
    question, move = plan.question, plan.move
    assert question is not None  # every plan but COMPLETE carries what it asks
    meta: dict[str, Any] = {"degraded": question.degraded}
    asks = move.kind is MoveKind.ASK_QUESTION
    if asks:
        meta |= {"rubric": list(question.rubric), "key": question.key, **plan.grounding}
        if question.coding is not None:
            meta["coding"] = question.coding.to_meta()
    return turn_next(
        interview,
        role=TurnRole.INTERVIEWER,
        kind=TurnKind.QUESTION if asks else TurnKind.FOLLOW_UP,
        question_index=move.index,
        text=question.text,
        source=question.source,
        provider=question.provider,
        meta=meta,
    )


def _plan_apply(interview: Interview, plan: _Plan, broadcast: bool) -> Turn:
    """Store what `plan` does. Caller holds the interview row lock."""
    move = plan.move
    if move.kind is MoveKind.COMPLETE:
        assert move.reason is not None
        return interview_finish(interview, reason=move.reason, broadcast=broadcast)
    turn = _turn_of(interview, plan)
    turns_store(interview, [turn], broadcast=broadcast)
    interview.current_index = move.index
    interview_touch(interview, "current_index")
    return turn


def interview_advance(*, interview_id: int, broadcast: bool = True) -> list[Turn]:
    """Append the interviewer's next turn if it is the interviewer's move; return new turns.

    Safe to call at any time and from any process: the plan is applied only if the transcript
    has not moved since it was made (with a local interviewer it is made under the row lock),
    so concurrent calls produce one turn, not two.
    """
    if interviewer_is_local():
        # No network: planned under the lock from the rows an answer reads, in one transaction.
        with transaction.atomic():
            tail = tail_locked(interview_id, None, with_questions=True)
            with interviewer_step():
                plan = _plan(tail.interview, tail.recent, tail.asked)
            return [_plan_apply(tail.interview, plan, broadcast)] if plan is not None else []
    interview = Interview.objects.get(pk=interview_id)
    # May call the LLM twice (a follow-up check, then the next question): one step, so both
    # share one LLM_TIMEOUT_SECONDS and the candidate never waits longer than that for a turn.
    # No transaction, no lock held.
    with interviewer_step():
        plan = _plan(interview, interview_recent(interview=interview), None)
    if plan is None:
        return []
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.last_seq != plan.after_seq or interview.is_finished:
            return []
        return [_plan_apply(interview, plan, broadcast)]
