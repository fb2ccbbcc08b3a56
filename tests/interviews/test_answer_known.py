"""An answer stored from what the socket's previous answer left (`known`), with nothing read.

The known state is a snapshot: another socket, the time-up check or a staff edit may have
moved the interview since. Each case below moves it one of those ways between two answers and
checks the answer is then decided as if nothing had been known: stored against the question
pending now, refused where it must be, never stored twice, never numbered twice.
"""

import contextlib
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interviews.llm.gateway import get_interviewer
from interviews.llm.grounding import position_knowledge_refresh
from interviews.models import Interview, InterviewStatus, Turn
from interviews.services.interviews import (
    AnswerOutcome,
    AnswerRejected,
    interview_advance,
    interview_advance_known,
    interview_answer_submit,
    interview_create,
    interview_start,
    interview_time_up,
)
from interviews.services.positions import position_create
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.test_grounded_interviews import DATA_JOB, WEB_JOB

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_follow_ups(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every reply is the next main question, so the seqs and indexes below are known.
    monkeypatch.setattr(get_interviewer(), "follow_up_question", lambda *args: None)


def _answer(interview_id: int, known: Any = None, msg_id: uuid.UUID | None = None) -> AnswerOutcome:
    return interview_answer_submit(
        interview_id=interview_id,
        text=STRONG_ANSWER,
        client_msg_id=msg_id or uuid.uuid4(),
        reply=True,
        known=known,
    )


@contextlib.contextmanager
def _interview_reads() -> Iterator[list[str]]:
    """The statements run in the block that read the interview's row: none where the answer
    was stored from what was known, the lock and read where it had to look."""
    reads: list[str] = []
    with CaptureQueriesContext(connection) as queries:
        try:
            yield reads
        finally:
            table = Interview._meta.db_table
            sql = (q["sql"] for q in queries.captured_queries)
            reads.extend(s for s in sql if s.startswith("SELECT") and table in s)


def _started(question_count: int = 4, **fields: Any) -> tuple[int, AnswerOutcome]:
    """An interview with question 1 answered (seq 1, 2) and question 2 asked (seq 3)."""
    interview_id = make_interview(question_count=question_count, **fields).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    first = _answer(interview_id)
    assert first.known is not None
    assert [t.seq for t in first.replies] == [3]
    return interview_id, first


def _transcript(interview_id: int) -> list[tuple[int, str, int]]:
    turns = Turn.objects.filter(interview_id=interview_id).order_by("seq")
    return [(t.seq, t.kind, t.question_index) for t in turns]


def test_known__each_answer_passes_on_what_the_next_one_needs() -> None:
    interview_id, outcome = _started(question_count=4)
    for _ in range(2):
        with _interview_reads() as reads:
            outcome = _answer(interview_id, outcome.known)
        assert reads == []
    assert outcome.known is not None
    assert outcome.known.interview.last_seq == 7
    assert outcome.known.recent.last is not None
    assert outcome.known.recent.last.question_index == 4
    assert len(outcome.known.asked) == 4  # every question asked, for the interviewer
    last = _answer(interview_id, outcome.known)  # the last answer ends the interview
    assert last.replies[0].kind == "system"
    assert last.known is None
    assert Interview.objects.get(pk=interview_id).status == InterviewStatus.COMPLETED
    assert [seq for seq, _, _ in _transcript(interview_id)] == list(range(1, 10))


def test_known__question_one_from_the_advance__the_first_answer_reads_nothing() -> None:
    interview_id = make_interview(question_count=3).interview.pk
    interview_start(interview_id=interview_id)
    advanced = interview_advance_known(interview_id=interview_id)
    assert [t.seq for t in advanced.turns] == [1]
    with _interview_reads() as reads:
        outcome = _answer(interview_id, advanced.known)
    assert reads == []
    assert (outcome.answer.seq, outcome.replies[0].seq) == (2, 3)
    # Nothing to advance: nothing new, and nothing said about what is known.
    assert interview_advance_known(interview_id=interview_id).turns == []


def test_known__another_socket_moved_the_transcript__answers_the_question_pending_now() -> None:
    interview_id, first = _started(question_count=4)
    _answer(interview_id)  # another socket answers question 2 and gets question 3 (seq 4, 5)
    with _interview_reads() as reads:
        outcome = _answer(interview_id, first.known)  # this one still knows seq 3
    assert len(reads) == 1  # the compare-and-set failed: it locked and read
    assert outcome.answer.seq == 6
    assert _transcript(interview_id)[3:] == [
        (4, "answer", 2),
        (5, "question", 3),
        (6, "answer", 3),  # to question 3, pending now, not to question 2 it knew
        (7, "question", 4),
    ]
    assert outcome.known is not None
    assert outcome.known.interview.last_seq == 7


def test_known__staff_shortened_the_interview__the_interview_ends_as_it_now_says() -> None:
    interview_id, first = _started(question_count=4)
    # Nothing in the transcript moved: only the interview's own row did.
    Interview.objects.filter(pk=interview_id).update(question_count=2)
    with _interview_reads() as reads:
        outcome = _answer(interview_id, first.known)
    assert len(reads) == 1
    assert [t.kind for t in outcome.replies] == ["system"]  # completed, no question 3
    assert Interview.objects.get(pk=interview_id).status == InterviewStatus.COMPLETED


def test_known__time_limit_passed_since__the_answer_is_refused_and_the_interview_ends(
    settings: Any,
) -> None:
    settings.INTERVIEW_TIME_GRACE_SECONDS = 0
    interview_id, first = _started(question_count=4, time_limit_seconds=600)
    long_ago = timezone.now() - timedelta(seconds=601)
    Interview.objects.filter(pk=interview_id).update(started_at=long_ago)
    with _interview_reads() as reads, pytest.raises(AnswerRejected) as refused:
        _answer(interview_id, first.known)
    assert refused.value.code == "time_up"
    assert len(reads) == 1
    assert Interview.objects.get(pk=interview_id).status == InterviewStatus.COMPLETED
    assert [kind for _, kind, _ in _transcript(interview_id)].count("answer") == 1


def test_known__the_time_up_check_ended_it_elsewhere__refused_as_finished(
    settings: Any,
) -> None:
    settings.INTERVIEW_TIME_GRACE_SECONDS = 0
    interview_id, first = _started(question_count=4, time_limit_seconds=600)
    Interview.objects.filter(pk=interview_id).update(
        started_at=timezone.now() - timedelta(seconds=601)
    )
    assert interview_time_up(interview_id=interview_id)
    with _interview_reads() as reads, pytest.raises(AnswerRejected) as refused:
        _answer(interview_id, first.known)
    assert refused.value.code == "interview_finished"
    assert len(reads) == 1


def test_known__the_same_answer_sent_again__acknowledged_and_stored_once() -> None:
    interview_id, first = _started(question_count=4)
    msg_id = uuid.uuid4()
    second = _answer(interview_id, first.known, msg_id)
    assert not second.duplicate
    with _interview_reads() as reads:
        again = _answer(interview_id, second.known, msg_id)  # the ack was lost: sent again
    assert len(reads) == 1  # the INSERT broke the unique constraint: it locked and read
    assert again.duplicate
    assert again.answer.seq == second.answer.seq
    assert [seq for seq, _, _ in _transcript(interview_id)] == [1, 2, 3, 4, 5]


def test_known__staff_edited_the_job_description__the_next_question_grounds_on_the_new_one() -> (
    None
):
    position = position_create(
        title="data", topics=["python"], difficulty="medium", question_count=4,
        description=WEB_JOB,
    )  # fmt: skip
    interview_id = interview_create(candidate_name="Ada", position=position).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    first = _answer(interview_id)
    # As the position's admin page saves it (interviews/admin/positions.py).
    position.description = DATA_JOB
    position.save()
    assert position_knowledge_refresh(position=position) == ""
    outcome = _answer(interview_id, first.known)
    question = outcome.replies[0]
    assert question.kind == "question"
    quotes = " ".join(c["quote"] for c in question.meta.get("citations", []))
    # From the description as it is now, which is also what stays indexed.
    assert "Kafka" in quotes
    assert "React" not in quotes


def _twice_at_once(interview_id: int, known: Any) -> tuple[list[AnswerOutcome], list[str]]:
    """The same answer from the same `known`, sent by two sockets at once (two threads, each
    with its own connection): the outcomes, and the codes of the answers refused."""
    barrier = threading.Barrier(2)
    outcomes: list[AnswerOutcome] = []
    refusals: list[str] = []
    errors: list[BaseException] = []

    def answer() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(_answer(interview_id, known))
        except AnswerRejected as exc:
            refusals.append(exc.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return outcomes, refusals


@pytest.mark.usefixtures("postgres_required")
def test_known__two_sockets_answer_at_once_from_the_same_snapshot__one_turn_each() -> None:
    interview_id, first = _started(question_count=6)
    outcomes, refusals = _twice_at_once(interview_id, first.known)
    # One compare-and-set won; the other found the row moved and answered what was pending
    # then, under the lock: question 2 and question 3 answered once each.
    assert refusals == []
    assert sorted(o.answer.seq for o in outcomes) == [4, 6]
    assert _transcript(interview_id)[3:] == [
        (4, "answer", 2),
        (5, "question", 3),
        (6, "answer", 3),
        (7, "question", 4),
    ]


@pytest.mark.usefixtures("postgres_required")
def test_known__two_sockets_send_the_last_answer_at_once__one_ends_it_one_evaluation() -> None:
    from interviews.models import Evaluation

    interview_id, first = _started(question_count=2)  # question 2 pending: the last
    outcomes, refusals = _twice_at_once(interview_id, first.known)
    # One compare-and-set won and ended the interview; the other, under the lock, found it
    # finished: stored nothing, and no second evaluation.
    assert [o.replies[0].kind for o in outcomes] == ["system"]
    assert refusals == ["interview_finished"]
    assert _transcript(interview_id)[3:] == [(4, "answer", 2), (5, "system", 2)]
    assert Interview.objects.get(pk=interview_id).status == InterviewStatus.COMPLETED
    assert Evaluation.objects.filter(interview_id=interview_id).count() == 1
