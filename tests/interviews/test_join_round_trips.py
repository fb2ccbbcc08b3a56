"""What a hello costs in PostgreSQL round trips (counted at the driver), and that the welcome
built from the transcript it read says what the queries it replaces would say."""

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from interviews import selectors
from interviews import socket_calls as calls
from interviews.llm.gateway import get_interviewer
from interviews.models import Interview
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.pg_round_trips import pg_round_trips

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_required")]


def _own(sent: list[str]) -> list[str]:
    # Without a new pooled connection's set-up (once per connection, not per hello).
    return [t for t in sent if t.strip() and not t.startswith("SELECT set_config('TimeZone'")]


@database_sync_to_async
def _answered_twice(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(get_interviewer(), "follow_up_question", lambda *args: None)
    interview_id = make_interview(question_count=4).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    for _ in range(2):
        interview_answer_submit(
            interview_id=interview_id, text=STRONG_ANSWER, client_msg_id=uuid.uuid4(), reply=True
        )
    return interview_id


@database_sync_to_async
def _by_queries(interview_id: int) -> dict[str, Any]:
    interview = Interview.objects.get(pk=interview_id)
    recent = selectors.interview_recent(interview=interview)
    move = selectors.interview_move(interview=interview, tip=recent.tip)
    pending = selectors.interview_pending_question(recent=recent, move=move)
    return {
        "state": selectors.interview_state(interview=interview),
        "pending": pending.seq if pending else None,
        "interviewers": move.interviewers,
    }


async def test_hello_on_a_new_interview__started_and_welcomed_in_five_round_trips() -> None:
    interview_id = await database_sync_to_async(lambda: make_interview().interview.pk)()
    with pg_round_trips() as trips:
        join = await calls.join(interview_id, 0)
        sent = _own(trips.take())
    # BEGIN, the lock, the UPDATE that starts it, COMMIT, the transcript (empty).
    assert len(sent) <= 5, sent
    assert join.state["status"] == "in_progress"
    assert join.state["answered"] == 0
    assert join.events == []
    assert join.pending is None
    assert join.interviewers_move  # question 1 is the interviewer's


@pytest.mark.parametrize("last_seq", [0, 3])
async def test_hello_mid_interview__the_welcome_says_what_the_queries_say(
    monkeypatch: pytest.MonkeyPatch, last_seq: int
) -> None:
    interview_id = await _answered_twice(monkeypatch)  # seq 1-5: question 3 pending
    with pg_round_trips() as trips:
        join = await calls.join(interview_id, last_seq)
        sent = _own(trips.take())
    expected = await _by_queries(interview_id)
    assert join.state == {**expected["state"], "time_remaining": join.state["time_remaining"]}
    assert join.state["answered"] == 2
    assert join.pending is not None
    assert join.pending["seq"] == expected["pending"] == 5
    assert join.interviewers_move is expected["interviewers"] is False
    assert [e["seq"] for e in join.events] == list(range(last_seq + 1, 6))
    if last_seq == 0:
        # From the start, the transcript read is the whole of it: BEGIN, the lock, COMMIT,
        # the turns; its end and the answered count come from them.
        assert len(sent) <= 4, sent
