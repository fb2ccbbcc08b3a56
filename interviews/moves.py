"""Whose move it is in an interview, decided in one place.

`interview_next_move` is a pure function of what the transcript and the clock say: the answer
check (may this answer be stored?), the welcome state (is a question pending?), the socket
(should it ask the interviewer?) and the planner (what does the interviewer do?) all call it,
so they cannot disagree. It reads no database and no clock: the caller passes `now`.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

# Turn kinds as stored (interviews.models.TurnKind values); plain strings so this module
# imports nothing from the models.
QUESTION = "question"
FOLLOW_UP = "follow_up"
ANSWER = "answer"
ASKING_KINDS = (QUESTION, FOLLOW_UP)


class MoveKind(enum.StrEnum):
    NOT_STARTED = "not_started"  # scheduled: nothing happens before the candidate starts
    FINISHED = "finished"  # completed or abandoned: nothing more happens
    AWAIT_ANSWER = "await_answer"  # a question is pending: the candidate's move
    WAIT = "wait"  # the grace period after the time limit: nothing new is asked
    ASK_QUESTION = "ask_question"  # the interviewer asks question `index`
    FOLLOW_UP = "follow_up"  # the interviewer may follow up on question `index`
    COMPLETE = "complete"  # the interviewer ends the interview with `reason`


class CompleteReason(enum.StrEnum):
    ALL_ANSWERED = "all_answered"
    TIME_UP = "time_up"  # the time limit and its grace period have passed


class Clock(enum.StrEnum):
    RUNNING = "running"  # untimed, not started, or before the limit
    GRACE = "grace"  # past the limit: an answer on its way is kept, nothing new is asked
    OVER = "over"  # past the limit and the grace period: the interview ends with time_up


INTERVIEWER_MOVES = (MoveKind.ASK_QUESTION, MoveKind.FOLLOW_UP, MoveKind.COMPLETE)


@dataclass(frozen=True)
class Move:
    kind: MoveKind
    index: int = 0  # the question asked or followed up on; for COMPLETE, the current index
    reason: CompleteReason | None = None  # COMPLETE only

    @property
    def interviewers(self) -> bool:
        """The interviewer acts next (the socket shows "thinking" and runs the planner)."""
        return self.kind in INTERVIEWER_MOVES


@dataclass(frozen=True)
class Tip:
    """The end of the transcript: the last turn, and for an answer, the turn it answers."""

    last_kind: str | None = None  # None: nothing was asked yet
    last_index: int = 0
    answered_kind: str | None = None  # when last_kind is an answer: what it answered


def clock_phase(*, deadline: datetime | None, now: datetime, grace: timedelta) -> Clock:
    """Where the interview's clock stands; `deadline` is the limit's end (None: untimed or not
    started). The limit passed at `deadline`; the grace period ends at `deadline + grace`."""
    if deadline is None or now < deadline:
        return Clock.RUNNING
    return Clock.OVER if now >= deadline + grace else Clock.GRACE


def interview_next_move(
    *,
    status: str,
    tip: Tip,
    current_index: int,
    question_count: int,
    deadline: datetime | None,
    now: datetime,
    grace: timedelta,
    follow_up_declined: bool = False,
) -> Move:
    """The next move of an interview.

    `status` is an InterviewStatus value. `follow_up_declined`: the interviewer was offered
    the FOLLOW_UP this returned and chose not to ask one, so the move after it is wanted (the
    next question, or completion).
    """
    if status == "scheduled":
        return Move(MoveKind.NOT_STARTED)
    if status != "in_progress":
        return Move(MoveKind.FINISHED)
    phase = clock_phase(deadline=deadline, now=now, grace=grace)
    if phase is Clock.OVER:
        return Move(MoveKind.COMPLETE, current_index, CompleteReason.TIME_UP)
    if tip.last_kind in ASKING_KINDS:
        # Still answerable in the grace period: an answer sent just before the limit is kept.
        return Move(MoveKind.AWAIT_ANSWER, tip.last_index)
    if phase is Clock.GRACE:
        return Move(MoveKind.WAIT, current_index)
    if tip.last_kind is None:
        return Move(MoveKind.ASK_QUESTION, 1)
    if tip.last_kind != ANSWER:
        # A system turn in an interview still in progress (none is written today): nothing
        # to answer, so the interviewer carries on from where it was.
        return _next_question(current_index, question_count)
    if tip.answered_kind == QUESTION and not follow_up_declined:
        return Move(MoveKind.FOLLOW_UP, tip.last_index)  # at most one follow-up per question
    return _next_question(current_index, question_count)


def _next_question(current_index: int, question_count: int) -> Move:
    if current_index < question_count:
        return Move(MoveKind.ASK_QUESTION, current_index + 1)
    return Move(MoveKind.COMPLETE, current_index, CompleteReason.ALL_ANSWERED)
