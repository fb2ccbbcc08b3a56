"""The interviewer's next move, planned from a snapshot of the transcript.

`plan_next` decides what the interviewer does (ask question n, follow up, complete) from the
interview, its last two turns and the questions asked so far, and generates what it asks (the
offline interviewer in microseconds, an LLM in seconds). It writes nothing: the caller stores
the plan (interviews/services/turns.py), under the interview's row lock or a compare-and-set
on it, so a plan made from a transcript that moved meanwhile is never stored.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from interviews import rows
from interviews.coding.plan import coding_slot
from interviews.llm.base import GeneratedQuestion, QuestionContext
from interviews.llm.gateway import get_interviewer
from interviews.llm.grounding import Grounding, grounded_context, question_grounding
from interviews.models import Interview, Position, Turn, TurnKind, TurnRole
from interviews.moves import Move, MoveKind
from interviews.selectors import Recent, interview_move
from interviews.services.transcript import turn_next

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """What the interviewer does next, decided from a snapshot of the transcript."""

    after_seq: int
    move: Move  # ASK_QUESTION, FOLLOW_UP or COMPLETE
    question: GeneratedQuestion | None = None  # what it asks, with who wrote it (not COMPLETE)
    grounding: dict[str, Any] = field(default_factory=dict)  # Turn.meta of a grounded question


def question_context(
    interview: Interview, index: int, asked: tuple[str, ...] | None
) -> QuestionContext:
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


def plan_next(interview: Interview, recent: Recent, asked: tuple[str, ...] | None) -> Plan | None:
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
            return plan_move(interview, move, asked)
        question = GeneratedQuestion(
            text=asked_turn.text,
            rubric=tuple(asked_turn.meta.get("rubric", ())),
            source=asked_turn.source or "offline",  # type: ignore[arg-type]
            provider=asked_turn.provider,
            key=asked_turn.meta.get("key", ""),
        )
        ctx = question_context(interview, move.index, asked)
        follow = get_interviewer().follow_up_question(ctx, question, answer.text)
        if follow is not None:
            return Plan(interview.last_seq, move, follow)
        move = interview_move(interview=interview, tip=recent.tip, follow_up_declined=True)
    return plan_move(interview, move, asked)


def plan_move(interview: Interview, move: Move, asked: tuple[str, ...] | None) -> Plan | None:
    """The plan for a move that is not a follow-up."""
    if move.kind is MoveKind.ASK_QUESTION and coding_slot(
        index=move.index,
        question_count=interview.question_count,
        coding_count=interview.coding_count,
    ):
        keys, titles = asked_coding(interview)
        try:
            question = get_interviewer().generate_coding_question(
                question_context(interview, move.index, asked),
                language=interview.coding_language,
                asked_keys=keys,
                titles=titles,
            )
        except LookupError:
            logger.warning("interview %s: no coding question left; asking another kind",
                           interview.pk)  # fmt: skip
        else:
            return Plan(interview.last_seq, move, question)
    if move.kind is MoveKind.ASK_QUESTION:
        # Retrieval before each main question; a failed search is an ungrounded question.
        grounding = grounding_safe(interview)
        ctx = grounded_context(question_context(interview, move.index, asked), grounding)
        question = get_interviewer().generate_question(ctx)
        return Plan(interview.last_seq, move, question, grounding=grounding.as_meta())
    if move.kind is MoveKind.COMPLETE:
        return Plan(interview.last_seq, move)
    return None


def asked_coding(interview: Interview) -> tuple[frozenset[str], tuple[str, ...]]:
    """The bank keys and the titles of the coding questions asked so far."""
    rows = interview.turns.filter(kind=TurnKind.QUESTION, meta__has_key="coding")
    specs = [m for m in rows.values_list("meta__coding", flat=True) if isinstance(m, dict)]
    keys = frozenset(str(m.get("key")) for m in specs if m.get("key"))
    return keys, tuple(str(m.get("title", "")) for m in specs)


def grounding_safe(interview: Interview) -> Grounding:
    """question_grounding, which turns a failed search into an ungrounded question. Inside the
    answer's transaction it runs in a savepoint, rolled back when the search failed: on
    PostgreSQL a failed query aborts the whole transaction, and the answer must not go with it.

    The position is read here when the interview does not hold it: grounding re-indexes the
    job description it is given, so it must be the position as it is now (an answer stored
    from what a socket knew drops the one it had; services/turns.py).
    """
    if interview.position_id is not None and not Interview.position.is_cached(interview):
        interview.position = rows.get(Position, interview.position_id)
    if not transaction.get_connection().in_atomic_block:
        return question_grounding(interview=interview)
    savepoint = transaction.savepoint()
    grounding = question_grounding(interview=interview)
    if grounding.error:
        transaction.savepoint_rollback(savepoint)
    else:
        transaction.savepoint_commit(savepoint)
    return grounding


def turn_of(interview: Interview, plan: Plan) -> Turn:
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
