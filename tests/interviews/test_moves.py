"""Whose move it is: interview_next_move, a pure function, tested without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from interviews.moves import (
    Clock,
    CompleteReason,
    Move,
    MoveKind,
    Tip,
    clock_phase,
    interview_next_move,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(seconds=10)
QUESTION = Tip(last_kind="question", last_index=2)
FOLLOW_UP = Tip(last_kind="follow_up", last_index=2)
ANSWER_TO_QUESTION = Tip(last_kind="answer", last_index=2, answered_kind="question")
ANSWER_TO_FOLLOW_UP = Tip(last_kind="answer", last_index=2, answered_kind="follow_up")


def _move(
    tip: Tip,
    *,
    status: str = "in_progress",
    current_index: int = 2,
    question_count: int = 3,
    deadline: datetime | None = None,
    follow_up_declined: bool = False,
) -> Move:
    return interview_next_move(
        status=status,
        tip=tip,
        current_index=current_index,
        question_count=question_count,
        deadline=deadline,
        now=NOW,
        grace=GRACE,
        follow_up_declined=follow_up_declined,
    )


def test_scheduled__nothing_happens_before_the_start() -> None:
    assert _move(Tip(), status="scheduled", current_index=0) == Move(MoveKind.NOT_STARTED)


@pytest.mark.parametrize("status", ["completed", "abandoned"])
def test_finished__nothing_more_happens_whatever_the_transcript(status: str) -> None:
    for tip in (Tip(), QUESTION, ANSWER_TO_QUESTION):
        assert _move(tip, status=status) == Move(MoveKind.FINISHED)


def test_started_with_no_turn__asks_question_one() -> None:
    move = _move(Tip(), current_index=0)
    assert move == Move(MoveKind.ASK_QUESTION, 1)
    assert move.interviewers


@pytest.mark.parametrize("tip", [QUESTION, FOLLOW_UP])
def test_question_pending__awaits_the_candidates_answer(tip: Tip) -> None:
    move = _move(tip)
    assert move == Move(MoveKind.AWAIT_ANSWER, 2)
    assert not move.interviewers


def test_answer_to_a_question__offers_one_follow_up_on_that_question() -> None:
    assert _move(ANSWER_TO_QUESTION) == Move(MoveKind.FOLLOW_UP, 2)


def test_answer_to_a_follow_up__asks_the_next_question_not_a_second_follow_up() -> None:
    assert _move(ANSWER_TO_FOLLOW_UP) == Move(MoveKind.ASK_QUESTION, 3)


def test_follow_up_declined__asks_the_next_question() -> None:
    assert _move(ANSWER_TO_QUESTION, follow_up_declined=True) == Move(MoveKind.ASK_QUESTION, 3)


def test_last_question_answered__completes_with_all_answered() -> None:
    tip = Tip(last_kind="answer", last_index=3, answered_kind="follow_up")
    move = _move(tip, current_index=3, question_count=3)
    assert move == Move(MoveKind.COMPLETE, 3, CompleteReason.ALL_ANSWERED)
    declined = Tip(last_kind="answer", last_index=3, answered_kind="question")
    assert _move(declined, current_index=3, follow_up_declined=True) == move


@pytest.mark.parametrize("tip", [Tip(), QUESTION, ANSWER_TO_QUESTION, ANSWER_TO_FOLLOW_UP])
def test_past_limit_and_grace__completes_with_time_up_whatever_is_pending(tip: Tip) -> None:
    move = _move(tip, deadline=NOW - GRACE)
    assert move == Move(MoveKind.COMPLETE, 2, CompleteReason.TIME_UP)
    assert move.interviewers


def test_in_grace_period__a_pending_question_can_still_be_answered() -> None:
    assert _move(QUESTION, deadline=NOW - timedelta(seconds=1)).kind is MoveKind.AWAIT_ANSWER


@pytest.mark.parametrize("tip", [Tip(), ANSWER_TO_QUESTION, ANSWER_TO_FOLLOW_UP])
def test_in_grace_period__nothing_new_is_asked(tip: Tip) -> None:
    move = _move(tip, deadline=NOW)
    assert move == Move(MoveKind.WAIT, 2)
    assert not move.interviewers


def test_before_the_deadline__the_clock_changes_nothing() -> None:
    early = NOW + timedelta(seconds=1)
    assert _move(ANSWER_TO_QUESTION, deadline=early) == _move(ANSWER_TO_QUESTION)


@pytest.mark.parametrize(
    ("offset", "phase"),
    [
        (timedelta(seconds=-1), Clock.RUNNING),
        (timedelta(0), Clock.GRACE),
        (GRACE - timedelta(microseconds=1), Clock.GRACE),
        (GRACE, Clock.OVER),
    ],
)
def test_clock_phase__limit_then_grace_then_over(offset: timedelta, phase: Clock) -> None:
    assert clock_phase(deadline=NOW - offset, now=NOW, grace=GRACE) is phase


def test_clock_phase__untimed_or_not_started_always_runs() -> None:
    assert clock_phase(deadline=None, now=NOW, grace=GRACE) is Clock.RUNNING
