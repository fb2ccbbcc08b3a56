"""A turn of the interview: the candidate's answer and the interviewer's reply.

Every turn is persisted (with the next `seq`, under a row lock on the interview) before anyone
is told about it. Whose move it is comes from `interview_next_move` (interviews/moves.py);
what the interviewer does from interviews/services/planner.py.

Two paths, depending on whether the interviewer needs the network:

- The first provider is an LLM: generating the reply may take seconds, so it happens outside
  any transaction. The answer is committed and acknowledged first, then `interview_advance`
  generates the next turn and appends it only if the transcript has not moved meanwhile. It
  works from the database state alone, so a crash between the two steps is repaired by the
  next call.
- The offline interviewer: the reply is a few microseconds of CPU, so the answer and the
  reply are stored in the same transaction (`reply=True`). A socket passes what its previous
  answer left (`known`): the reply is planned from that, and stored with one compare-and-set
  UPDATE of the interview and one INSERT, with nothing read. Where the interview moved since
  (another socket, the time-up check, a staff edit), the path that locks and reads decides.
"""

import copy
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from interviews.llm.gateway import get_interviewer, interviewer_step
from interviews.models import Interview, Turn, TurnKind, TurnRole
from interviews.moves import CompleteReason, Move, MoveKind
from interviews.selectors import Recent, interview_move, interview_recent
from interviews.services.answer_tail import Tail, tail_locked
from interviews.services.planner import Plan, plan_next, turn_of
from interviews.services.rejections import Rejected
from interviews.services.transcript import (
    interview_finish,
    interview_finish_after,
    interview_touch,
    turn_next,
    turns_store,
)
from interviews.text import text_unstorable_at, text_unstorable_message


class AnswerRejected(Rejected):
    """An answer that cannot be stored."""


@dataclass(frozen=True)
class AnswerOutcome:
    answer: Turn
    duplicate: bool  # the same client_msg_id was stored before: acknowledge, store nothing
    replies: tuple[Turn, ...] = ()  # the interviewer's turns stored with the answer (reply=True)
    interviewers_move: bool = False  # after this, still the interviewer's move: advance
    # The transcript's end after this answer and its reply, for the caller's next answer
    # (`known`); None where there is nothing to pass on (a duplicate, the interview's end).
    known: Tail | None = None


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
    known: Tail | None = None,
) -> AnswerOutcome:
    """Store the answer to the pending question; idempotent per `client_msg_id`.

    The lock and everything the answer needs come in one statement (services/answer_tail.py).
    `reply`: with an interviewer that needs no network, also store its reply in the same
    transaction. `broadcast`: see interviews/services/transcript.py. `code`: the answer is
    code submitted for a coding question (interviews/services/submissions.py, which checks
    it); a coding question takes no other answer, and a discussion question no code.
    `known`: the previous outcome's `known`, with `reply` (see the module's docstring).
    """
    if not code:
        text = answer_text_checked(text)
    reply = reply and interviewer_is_local()
    if known is not None and reply:
        stored = _answer_known(known, text, client_msg_id, broadcast, code)
        if stored is not None:
            return stored
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
    answer = _answer_turn(interview, last, text, client_msg_id)
    after = Recent(last=answer, before=last)
    plan = None
    if reply:
        with interviewer_step():
            plan = plan_next(interview, after, tail.asked)
    if plan is None:
        turns_store(interview, [answer], broadcast=broadcast)
        interview_touch(interview)
        move_after = interview_move(interview=interview, tip=after.tip)
        return AnswerOutcome(answer, False, interviewers_move=move_after.interviewers)
    # The answer and the interviewer's reply (the next turn, or the end) in one INSERT, one
    # UPDATE; under the lock nothing else moved the interview.
    turn = _reply_stored(interview, plan, answer, broadcast, was=None)
    assert turn is not None
    return AnswerOutcome(answer, False, (turn,), known=_known_after(answer, turn, tail.asked))


def _answer_known(
    known: Tail, text: str, client_msg_id: uuid.UUID, broadcast: bool, code: bool
) -> AnswerOutcome | None:
    """The answer and the interviewer's reply (the next turn, or the interview's end) stored
    from `known`, or None where `known` cannot decide: the answer would be refused, the
    interview or its transcript moved since `known` (the UPDATE matched no row), or the
    client_msg_id was stored before (the INSERT broke its unique constraint). The caller then
    locks and reads, which decides each of those as for any answer; nothing was stored."""
    last = known.recent.last
    move = interview_move(interview=known.interview, tip=known.recent.tip)
    if move.kind is not MoveKind.AWAIT_ANSWER or last is None or code != ("coding" in last.meta):
        return None
    interview = copy.copy(known.interview)  # `known` stays as read, for the compare-and-set
    if Interview.position.is_cached(interview):
        # Grounding reads it again where it needs it (planner.grounding_safe): staff may have
        # edited the job description since, and the compare-and-set covers only the interview.
        Interview.position.field.delete_cached_value(interview)
    answer = _answer_turn(interview, last, text, client_msg_id)
    with interviewer_step():
        plan = plan_next(interview, Recent(last=answer, before=last), known.asked)
    if plan is None:
        return None
    try:
        with transaction.atomic():
            turn = _reply_stored(interview, plan, answer, broadcast, was=known.interview)
    except IntegrityError:
        return None
    if turn is None:
        return None
    return AnswerOutcome(answer, False, (turn,), known=_known_after(answer, turn, known.asked))


def _reply_stored(
    interview: Interview, plan: Plan, answer: Turn, broadcast: bool, was: Interview | None
) -> Turn | None:
    """The answer and what `plan` replies to it, stored together (see _asked_and_stored)."""
    if plan.move.kind is MoveKind.COMPLETE:
        assert plan.move.reason is not None
        return interview_finish_after(
            interview, [answer], reason=plan.move.reason, broadcast=broadcast, was=was
        )
    return _asked_and_stored(interview, plan, [answer], broadcast, was=was)


def _answer_turn(interview: Interview, asked: Turn, text: str, client_msg_id: uuid.UUID) -> Turn:
    """The candidate's answer to `asked`, numbered, not saved."""
    return turn_next(
        interview,
        role=TurnRole.CANDIDATE,
        kind=TurnKind.ANSWER,
        question_index=asked.question_index,
        text=text,
        client_msg_id=client_msg_id,
    )


def _known_after(before: Turn | None, reply: Turn, asked: tuple[str, ...]) -> Tail | None:
    """The transcript's end once the interviewer's `reply` followed `before`; None after the
    interview's end, where there is nothing more to answer."""
    if reply.kind == TurnKind.SYSTEM:
        return None
    if reply.kind == TurnKind.QUESTION:
        asked = (*asked, reply.text)
    return Tail(reply.interview, Recent(last=reply, before=before), asked, existing=None)


def _plan_apply(interview: Interview, plan: Plan, broadcast: bool) -> Turn:
    """Store what `plan` does. Caller holds the interview row lock."""
    move = plan.move
    if move.kind is MoveKind.COMPLETE:
        assert move.reason is not None
        return interview_finish(interview, reason=move.reason, broadcast=broadcast)
    turn = _asked_and_stored(interview, plan, [], broadcast)
    assert turn is not None  # the caller holds the lock: nothing else moved the interview
    return turn


def _asked_and_stored(
    interview: Interview,
    plan: Plan,
    before: list[Turn],
    broadcast: bool,
    was: Interview | None = None,
) -> Turn | None:
    """Store the turn `plan` asks, after `before` (the answer it replies to, stored with it):
    one UPDATE of the interview, then one INSERT. `was`: only if the interview is still as
    it (interview_touch); None, with nothing stored, when it was not."""
    turn = turn_of(interview, plan)
    interview.current_index = plan.move.index
    if not interview_touch(interview, "current_index", was=was):
        return None
    turns_store(interview, [*before, turn], broadcast=broadcast)
    return turn


@dataclass(frozen=True)
class Advanced:
    turns: list[Turn]  # the interviewer's new turns (none when it was not its move)
    known: Tail | None = None  # as AnswerOutcome.known, where the local path could tell


def interview_advance(*, interview_id: int, broadcast: bool = True) -> list[Turn]:
    """Append the interviewer's next turn if it is the interviewer's move; return new turns.

    Safe to call at any time and from any process: the plan is applied only if the transcript
    has not moved since it was made (with a local interviewer it is made under the row lock),
    so concurrent calls produce one turn, not two.
    """
    return interview_advance_known(interview_id=interview_id, broadcast=broadcast).turns


def interview_advance_known(*, interview_id: int, broadcast: bool = True) -> Advanced:
    """interview_advance, with what a socket passes to its next answer (`known`) when the
    turn is a question asked by the local interviewer."""
    if interviewer_is_local():
        # No network: planned under the lock from the rows an answer reads, in one transaction.
        with transaction.atomic():
            tail = tail_locked(interview_id, None, with_questions=True)
            with interviewer_step():
                plan = plan_next(tail.interview, tail.recent, tail.asked)
            if plan is None:
                return Advanced([])
            turn = _plan_apply(tail.interview, plan, broadcast)
        return Advanced([turn], _known_after(tail.recent.last, turn, tail.asked))
    interview = Interview.objects.get(pk=interview_id)
    # May call the LLM twice (a follow-up check, then the next question): one step, so both
    # share one LLM_TIMEOUT_SECONDS and the candidate never waits longer than that for a turn.
    # No transaction, no lock held.
    with interviewer_step():
        plan = plan_next(interview, interview_recent(interview=interview), None)
    if plan is None:
        return Advanced([])
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        if interview.last_seq != plan.after_seq or interview.is_finished:
            return Advanced([])
        return Advanced([_plan_apply(interview, plan, broadcast)])
