"""The interviewer's next turn fits in one LLM_TIMEOUT_SECONDS, however many calls it takes.

Found by the llm-down chaos scenario (bench/chaos.py): after a short answer the interviewer
first checks for a follow-up, then asks the next question; each call got its own full budget,
so with the LLM down a candidate waited up to two timeouts for the next question.
"""

import uuid
from typing import Any

import pytest

from interviews.llm.base import GeneratedQuestion, QuestionContext
from interviews.llm.budget import Deadline, current_step
from interviews.services import planner
from interviews.services import turns as services
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from tests.factories import make_interview


class _RecordingInterviewer:
    """Declines the follow-up and asks a question; notes the step deadline each call sees."""

    name = "offline"
    remote_first = True  # stands in for an LLM: the path that calls it outside any transaction

    def __init__(self) -> None:
        self.deadlines: list[Deadline | None] = []

    def follow_up_question(
        self, context: QuestionContext, question: Any, answer: str
    ) -> GeneratedQuestion | None:
        self.deadlines.append(current_step())
        return None

    def generate_question(self, context: QuestionContext) -> GeneratedQuestion:
        self.deadlines.append(current_step())
        return GeneratedQuestion(
            text=f"Question {context.index} about {context.topic}?",
            rubric=("a point",),
            source="offline",
            provider="offline",
            key="",
        )


@pytest.mark.django_db
def test_advance__follow_up_check_and_next_question_share_one_llm_timeout(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.LLM_TIMEOUT_SECONDS = 7
    interviewer = _RecordingInterviewer()
    for module in (services, planner):  # which path to take, and the planner's calls
        monkeypatch.setattr(module, "get_interviewer", lambda: interviewer)
    created = make_interview(question_count=2)
    interview_id = created.interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)  # question 1
    interview_answer_submit(interview_id=interview_id, text="Short.", client_msg_id=uuid.uuid4())
    interviewer.deadlines.clear()

    turns = interview_advance(interview_id=interview_id)  # follow-up check, then question 2

    assert [t.question_index for t in turns] == [2]
    follow_up_deadline, question_deadline = interviewer.deadlines
    assert follow_up_deadline is not None
    assert question_deadline is follow_up_deadline, "one deadline for both calls"
    assert current_step() is None, "the step ends with the decision"
