"""An answer whose row lock had to wait for another transaction that moved the interview.

PostgreSQL re-checks the locked interview row at its newest version once the lock is granted,
but the turns joined to it in the same statement come from the snapshot taken before the other
transaction committed (interviews/services/answer_tail.py). The answer must still be stored
against the question pending after the other transaction, not against what was pending when
its statement began.
"""

import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection, connections, transaction

from interviews.llm.gateway import get_interviewer
from interviews.models import Turn
from interviews.services.interviews import (
    AnswerOutcome,
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from tests.factories import STRONG_ANSWER, make_interview

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_required")]

WAIT = 20.0
T = TypeVar("T")


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def _behind_a_held_lock(first: Callable[[], object], second: Callable[[], T]) -> T:
    """Run `first` in a transaction on one thread and keep it open; start `second` on another
    thread, wait until its statement waits for a lock, then commit `first`. What `second`
    returned (or raised, re-raised here)."""
    holding, release = threading.Event(), threading.Event()
    result: list[T | BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                first()
                holding.set()
                assert release.wait(WAIT)
        finally:
            connections.close_all()

    def wait_then_run() -> None:
        try:
            result.append(second())
        except BaseException as exc:  # re-raised below, in the test's thread
            result.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(WAIT)
    waiter = threading.Thread(target=wait_then_run)
    waiter.start()
    deadline = time.monotonic() + WAIT
    while _waiting_on_a_lock() == 0:  # its statement started, and waits for the lock
        assert time.monotonic() < deadline, "the second call never waited for the lock"
        time.sleep(0.01)
    release.set()
    holder.join(WAIT)
    waiter.join(WAIT)
    [outcome] = result
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def test_answer_behind_a_lock__answers_the_question_the_other_transaction_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No follow-ups, so each reply is the next main question and the seqs below are known.
    monkeypatch.setattr(get_interviewer(), "follow_up_question", lambda *args: None)
    interview = make_interview(question_count=4).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)  # question 1: seq 1

    def answer() -> AnswerOutcome:
        return interview_answer_submit(
            interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4(), reply=True
        )

    # Another process stores answer 1 and question 2 (seq 2, 3) while this answer waits.
    outcome = _behind_a_held_lock(answer, answer)
    assert (outcome.answer.seq, outcome.answer.question_index) == (4, 2)
    turns = list(Turn.objects.filter(interview=interview).order_by("seq"))
    assert [(t.seq, t.kind, t.question_index) for t in turns] == [
        (1, "question", 1),
        (2, "answer", 1),
        (3, "question", 2),
        (4, "answer", 2),  # to question 2, asked while this answer waited for the lock
        (5, "question", 3),  # and its reply, stored with it
    ]


def test_two_advances_at_once__one_question_is_asked() -> None:
    # The offline interviewer plans under the lock (interviews/services/turns.py): the second
    # call, granted the lock after the first committed question 1, must see it and ask nothing.
    interview = make_interview(question_count=3).interview
    interview_start(interview_id=interview.pk)

    def advance() -> list[Turn]:
        return interview_advance(interview_id=interview.pk)

    assert _behind_a_held_lock(advance, advance) == []
    turns = Turn.objects.filter(interview=interview).order_by("seq")
    assert [(t.seq, t.kind, t.question_index) for t in turns] == [(1, "question", 1)]
