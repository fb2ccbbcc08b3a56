"""Questions grounded in the job, on the embedded default's offline interviewer: two positions
with the same topic and different job descriptions get visibly different interviews, each
question stores the passages it was built on, staff see them in the report, the candidate
never does, and a knowledge base that cannot be searched leaves the interview going at once,
ungrounded."""

import json
import time
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.base import JOB_DESCRIPTION
from interviews.llm.gateway import reset_interviewer
from interviews.llm.grounding import position_knowledge_key
from interviews.models import Interview, Position, Turn, TurnKind
from interviews.selectors import interview_events_since
from interviews.services.evaluation import evaluation_run
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_create,
    interview_start,
)
from interviews.services.positions import position_create
from retrieval.services.documents import document_upload
from tests.factories import STRONG_ANSWER, run_to_completion
from tests.interviews.llm_support import KEY

DATA_JOB = """Senior data engineer

We move clickstream events through Kafka into a PostgreSQL warehouse.

Requirements:
- Operated Kafka consumer groups and partitions in production
- Tuned PostgreSQL queries with EXPLAIN and the right indexes
- Wrote Airflow DAGs that recover from partial failures
"""
WEB_JOB = """Frontend-leaning web developer

You will build customer dashboards in React on top of a Django REST API.

What you need:
- Built accessible React components with keyboard navigation
- Designed REST endpoints with pagination and versioning
- Wrote browser tests that catch layout regressions
"""


def _position(title: str, description: str) -> Position:
    return position_create(
        title=title, topics=["python"], difficulty="medium", question_count=4,
        description=description,
    )  # fmt: skip


def _questions(interview_id: int) -> list[Turn]:
    return list(
        Turn.objects.filter(interview_id=interview_id, kind=TurnKind.QUESTION).order_by("seq")
    )


def _ask_next(interview_id: int) -> Turn:
    interview_answer_submit(
        interview_id=interview_id, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    )
    interview_advance(interview_id=interview_id)
    turn = Turn.objects.filter(interview_id=interview_id).order_by("-seq").first()
    assert turn is not None
    if turn.kind == TurnKind.FOLLOW_UP:  # answer the follow-up too: the next main question
        return _ask_next(interview_id)
    return turn


@pytest.mark.django_db
def test_two_positions__different_job_descriptions_give_visibly_different_interviews() -> None:
    interviews = {}
    for name, description in (("data", DATA_JOB), ("web", WEB_JOB)):
        created = interview_create(candidate_name=name, position=_position(name, description))
        interviews[name] = run_to_completion(created.interview.pk).pk
    data_questions = [t.text for t in _questions(interviews["data"])]
    web_questions = [t.text for t in _questions(interviews["web"])]
    assert len(data_questions) == len(web_questions) == 4
    assert set(data_questions).isdisjoint(web_questions)
    # The templated questions quote each job's own requirements, never the other's.
    assert any("Kafka consumer groups" in q for q in data_questions)
    assert any("React components" in q for q in web_questions)
    assert not any(w in " ".join(data_questions) for w in ("React", "REST endpoints"))
    assert not any(w in " ".join(web_questions) for w in ("Kafka", "Airflow"))
    # Every question is grounded, with citations from its own position's job description.
    for name, interview_id in interviews.items():
        for turn in _questions(interview_id):
            assert turn.meta["grounding"] == "grounded"
            assert {c["document"] for c in turn.meta["citations"]} == {JOB_DESCRIPTION}
            quotes = " ".join(c["quote"] for c in turn.meta["citations"])
            assert ("Kafka" in quotes) == (name == "data")


@pytest.mark.django_db
def test_citations__staff_see_them_in_the_report_the_candidate_never_does() -> None:
    position = _position("Data", DATA_JOB)
    document_upload(
        key=position_knowledge_key(position.pk),
        name="team-handbook.md",
        data=b"On call we watch Kafka consumer lag and PostgreSQL replication delay.",
    )
    interview = run_to_completion(
        interview_create(candidate_name="C", position=position).interview.pk
    )
    evaluation_run(interview_id=interview.pk)
    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    page = staff.get(f"/admin/interviews/interview/{interview.pk}/change/").content.decode()
    assert page.count('data-grounding="grounded"') == 4
    assert 'class="citation" data-document="Job description"' in page
    assert "Tuned PostgreSQL queries with EXPLAIN" in page
    # What the candidate receives: the frames and the welcome replay, as JSON.
    frames = json.dumps(interview_events_since(interview=interview, last_seq=0))
    assert "citation" not in frames
    assert "grounding" not in frames
    assert "team-handbook" not in frames
    assert "Kafka consumer lag" not in frames  # only the job description is ever quoted


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_required")
def test_search_down__the_interview_goes_on_ungrounded_at_once_and_grounded_again_after() -> None:
    position = _position("Data", DATA_JOB)
    interview_id = interview_create(candidate_name="D", position=position).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    assert _questions(interview_id)[0].meta["grounding"] == "grounded"

    with connection.cursor() as cursor:  # the knowledge base's table out of reach
        cursor.execute("ALTER TABLE retrieval_passage RENAME TO retrieval_passage_away")
    try:
        started = time.monotonic()
        second = _ask_next(interview_id)
        took = time.monotonic() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE retrieval_passage_away RENAME TO retrieval_passage")
    assert second.kind == TurnKind.QUESTION
    assert second.meta["grounding"] == "ungrounded"
    assert "citations" not in second.meta
    assert took < 1.0  # no wait for the candidate: the failure is immediate

    third = _ask_next(interview_id)
    assert third.meta["grounding"] == "grounded"
    assert third.meta["citations"]
    assert Interview.objects.get(pk=interview_id).current_index == 3


@pytest.mark.django_db
def test_llm_interviewer__gets_the_passages_and_asks_about_the_job(
    fake: FakeLLMHandle, settings: Any
) -> None:
    settings.LLM_PROVIDERS = ["openai"]
    settings.OPENAI_BASE_URL = f"{fake.base_url}/v1"
    settings.OPENAI_API_KEY = KEY
    reset_interviewer()
    try:
        data = interview_create(candidate_name="E", position=_position("Data", DATA_JOB))
        web = interview_create(candidate_name="F", position=_position("Web", WEB_JOB))
        for created in (data, web):
            interview_start(interview_id=created.interview.pk)
            interview_advance(interview_id=created.interview.pk)
    finally:
        reset_interviewer()
    data_q, web_q = _questions(data.interview.pk)[0], _questions(web.interview.pk)[0]
    assert (data_q.source, web_q.source) == ("llm", "llm")
    assert "this job's work with Kafka" in data_q.text
    assert "this job's work with React" in web_q.text
    assert data_q.meta["grounding"] == web_q.meta["grounding"] == "grounded"
