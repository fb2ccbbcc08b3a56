"""What an answer costs in PostgreSQL round trips, counted at the driver (BEGIN, COMMIT and
connection checks included), through the real consumer on real PostgreSQL; and that an answer
stored from what the socket knew stays right when the interview moved elsewhere."""

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from interviews.llm import grounding
from interviews.llm.gateway import get_interviewer
from interviews.models import Turn
from interviews.services import planner
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.pg_round_trips import RoundTrips, pg_round_trips
from tests.interviews.ws import connect, until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_required")]

# An answer on a socket that knows nothing yet (opened again with a question pending): BEGIN,
# lock and read, one INSERT, one UPDATE, COMMIT.
MAX_ROUND_TRIPS = 5
# Every other, from what the socket's previous answer or advance left: BEGIN, the
# compare-and-set UPDATE, one INSERT, COMMIT (interviews/services/turns.py).
MAX_ROUND_TRIPS_KNOWN = 4
GROUNDING, GROUNDED = "-- grounding", "-- grounded"


@database_sync_to_async
def _create(**overrides: Any) -> Any:
    return make_interview(**overrides)


def _marking_grounding(monkeypatch: pytest.MonkeyPatch, trips: RoundTrips) -> None:
    """Mark where the retrieval before a main question starts and ends among the round trips:
    its queries (the position, the knowledge base, the search, and inside a transaction the
    savepoint that keeps a failed search from aborting it) are the search's cost, counted by
    bench/retrieval.py, not the answer's."""
    search = planner.grounding_safe

    def marked(interview: Any) -> Any:
        trips.add(GROUNDING)
        try:
            return search(interview)
        finally:
            trips.add(GROUNDED)

    monkeypatch.setattr(planner, "grounding_safe", marked)


def _answer_own(sent: list[str]) -> list[str]:
    """The round trips outside the retrieval, without the set-up of a connection the pool had
    to open and the pool's own check (each once per connection, or once per
    DB_POOL_CHECK_SECONDS, not per answer: a slow machine meets them mid-answer)."""
    kept, inside = [], False
    for text in sent:
        if text.startswith("SELECT set_config('TimeZone'") or not text.strip():
            continue
        inside = inside or text == GROUNDING
        if not inside:
            kept.append(text)
        inside = inside and text != GROUNDED
    return kept


async def _answered(comm: Any) -> list[dict[str, Any]]:
    await comm.send_json_to(
        {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}
    )
    frames = await until(comm, "question", "follow_up")
    return frames + await until(comm, "status")


async def _answer_counted(comm: Any, trips: RoundTrips, replies: list[str]) -> list[str]:
    """Answer the pending question; the round trips it took, and its reply's type noted."""
    trips.take()
    frames = await _answered(comm)
    types = [f["type"] for f in frames]
    assert types[0] == "ack"
    assert types[1] in ("question", "follow_up")
    replies.append(types[1])
    return trips.take()


async def test_offline_answer__stored_with_its_reply_in_at_most_five_round_trips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = await _create(question_count=5)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await until(comm, "status")  # the "ok" after the first question
    per_answer: list[list[str]] = []
    replies: list[str] = []
    with pg_round_trips() as trips:
        _marking_grounding(monkeypatch, trips)
        # Question 1 came from this socket's own advance: every answer is stored from what
        # the socket knew, answers to questions and to follow-ups alike.
        for _ in range(3):
            per_answer.append(await _answer_counted(comm, trips, replies))
        # A socket opened again knows nothing yet: its first answer locks and reads.
        await comm.disconnect()
        comm = await connect(created.ws_path)
        await comm.send_json_to({"type": "hello", "last_seq": 7})
        await until(comm, "question", "follow_up")  # the pending one, shown again
        per_answer.append(await _answer_counted(comm, trips, replies))
    await comm.disconnect()
    *known, reopened = [_answer_own(sent) for sent in per_answer]
    for own in known:
        assert len(own) <= MAX_ROUND_TRIPS_KNOWN, own
        assert not any(text.startswith("SELECT") for text in own), own  # nothing read
        assert own[1].startswith("UPDATE"), own  # the compare-and-set comes first
    assert len(reopened) <= MAX_ROUND_TRIPS, reopened
    assert reopened[1].startswith("SELECT"), reopened  # the lock and read
    # Whether the offline interviewer follows up depends on the questions drawn, so the
    # grounding is checked per reply: every next question is grounded, no follow-up is.
    for reply, sent in zip(replies, per_answer, strict=True):
        assert (GROUNDING in sent) == (reply == "question"), (reply, sent)
    stored = await database_sync_to_async(Turn.objects.filter(interview=created.interview).count)()
    assert stored == 9  # question 1, then four answers each with the interviewer's reply


@database_sync_to_async
def _moved_elsewhere_then_answered_with_a_stale_seq(monkeypatch: pytest.MonkeyPatch) -> list[Turn]:
    # No follow-ups, so every reply is the next question and the seqs below are known.
    monkeypatch.setattr(get_interviewer(), "follow_up_question", lambda *args: None)
    interview = make_interview(question_count=4).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)  # question 1: seq 1
    first = interview_answer_submit(
        interview_id=interview.pk,
        text=STRONG_ANSWER,
        client_msg_id=uuid.uuid4(),
        reply=True,
    )
    assert [t.seq for t in first.replies] == [3]  # question 2, in the same transaction
    # Another process answers question 2 and asks question 3 (seq 4, 5) ...
    interview_answer_submit(
        interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    )
    interview_advance(interview_id=interview.pk)
    # ... and this socket, which last saw seq 3, answers what is pending now.
    interview_answer_submit(
        interview_id=interview.pk,
        text=STRONG_ANSWER,
        client_msg_id=uuid.uuid4(),
        reply=True,
    )
    return list(Turn.objects.filter(interview=interview).order_by("seq"))


async def test_answer_from_a_socket_behind__answers_the_question_pending_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = await _moved_elsewhere_then_answered_with_a_stale_seq(monkeypatch)
    assert [t.seq for t in turns] == list(range(1, 8))
    assert [(t.kind, t.question_index) for t in turns[3:]] == [
        ("answer", 2),
        ("question", 3),
        ("answer", 3),  # to question 3, the one pending, not to question 2 it last saw
        ("question", 4),  # and the reply, stored with it
    ]


def _failing_sync(*, position: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")  # a query that fails, as a broken index would


@database_sync_to_async
def _answer_whose_question_search_fails(monkeypatch: pytest.MonkeyPatch) -> list[Turn]:
    interview = make_interview(question_count=3).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)  # question 1: seq 1
    # No follow-up, so the reply is the next main question, which is grounded first.
    monkeypatch.setattr(get_interviewer(), "follow_up_question", lambda *args: None)
    monkeypatch.setattr(grounding, "job_description_sync", _failing_sync)
    outcome = interview_answer_submit(
        interview_id=interview.pk,
        text=STRONG_ANSWER,
        client_msg_id=uuid.uuid4(),
        reply=True,
    )
    assert [t.kind for t in outcome.replies] == ["question"]
    return list(Turn.objects.filter(interview=interview).order_by("seq"))


async def test_search_failing_inside_the_answer_transaction__answer_and_question_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = await _answer_whose_question_search_fails(monkeypatch)
    assert [(t.seq, t.kind) for t in turns[1:]] == [(2, "answer"), (3, "question")]
    assert turns[2].meta["grounding"] == "ungrounded"


# The answer that ends the interview, from what the socket knew: BEGIN, the compare-and-set
# UPDATE (status and end time with the counters), one INSERT (the answer and the `completed`
# turn), the evaluation's row (INSERT ... ON CONFLICT DO NOTHING), COMMIT.
MAX_ROUND_TRIPS_END = 5


async def test_offline_last_answer__ends_the_interview_in_five_round_trips_reading_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from interviews.models import Evaluation
    from interviews.services import evaluation

    queued: list[int] = []
    monkeypatch.setattr(
        evaluation, "enqueue_on_commit", lambda task, *, interview_id: queued.append(interview_id)
    )
    monkeypatch.setattr(get_interviewer(), "follow_up_question", lambda *args: None)
    created = await _create(question_count=2)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await until(comm, "status")
    await _answered(comm)  # question 2, from what the socket knew
    with pg_round_trips() as trips:
        await comm.send_json_to(
            {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}
        )
        frames = await until(comm, "completed")
        sent = _answer_own(trips.take())
    await comm.disconnect()
    assert [f["type"] for f in frames] == ["ack", "completed"]
    assert len(sent) <= MAX_ROUND_TRIPS_END, sent
    assert not any(text.startswith("SELECT") for text in sent), sent  # nothing read
    assert sent[1].startswith("UPDATE"), sent  # the compare-and-set comes first
    interview = created.interview
    evaluations = await database_sync_to_async(
        lambda: list(
            Evaluation.objects.filter(interview=interview).values_list("status", flat=True)
        )
    )()
    assert evaluations == ["pending"]
    assert queued == [interview.pk]  # its task, once
    kinds = await database_sync_to_async(
        lambda: list(
            Turn.objects.filter(interview=interview).order_by("seq").values_list("kind", flat=True)
        )
    )()
    assert kinds == ["question", "answer", "question", "answer", "system"]
