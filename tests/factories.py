"""Builders for test data, going through the same services as production code."""

import uuid
from typing import Any

from interviews.models import Interview
from interviews.services.interviews import (
    CreatedInterview,
    interview_advance,
    interview_answer_submit,
    interview_create,
    interview_start,
)

STRONG_ANSWER = (
    "I would start by profiling to find the real bottleneck, then fix the algorithm before "
    "micro-optimising. For example, replacing a nested loop with a dictionary lookup turned an "
    "O(n squared) job into O(n). I measure with benchmarks, add tests so behaviour stays the "
    "same, and document the trade-offs such as memory use, readability and maintainability."
)


def make_interview(**overrides: Any) -> CreatedInterview:
    fields: dict[str, Any] = {
        "candidate_name": "Ada Lovelace",
        "role": "Backend engineer",
        "topic": "python",
        "difficulty": "medium",
        "question_count": 2,
    }
    fields.update(overrides)
    return interview_create(**fields)


def run_to_completion(interview_id: int, text: str = STRONG_ANSWER) -> Interview:
    """Start the interview and answer every question and follow-up with `text` until it ends."""
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    interview = Interview.objects.get(pk=interview_id)
    for _ in range(interview.question_count * 2):
        interview_answer_submit(interview_id=interview_id, text=text, client_msg_id=uuid.uuid4())
        interview_advance(interview_id=interview_id)
        interview.refresh_from_db()
        if interview.is_finished:
            return interview
    raise AssertionError("interview did not finish within two turns per question")
