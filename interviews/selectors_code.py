"""Reads of coding submissions: the `code_result` frame the candidate sees, and what staff and
the evaluation see of each coding question (every submission, with all its tests)."""

from dataclasses import dataclass
from typing import Any

from interviews.models import Interview, Submission, SubmissionStatus, TestRun

NOT_RUN_MESSAGE = (
    "Tests can't run right now. Your code is saved and will be tested as soon as the test "
    "engine is back; you can go on with the interview."
)
QUEUED_MESSAGE = "Your code is saved and waiting for a test runner."


def submission_event(submission: Submission, tests: list[TestRun] | None = None) -> dict[str, Any]:
    """The frame for a submission's state: `code_queued`, `code_running` or `code_result`.

    The candidate sees each visible test in full and the hidden ones as counts only: a hidden
    test's name, arguments or output would let code be fitted to it.
    """
    # question_seq: which question it answers, so a reloaded page can show it again.
    base = {
        "client_id": str(submission.client_id),
        "kind": submission.kind,
        "question_seq": submission.question.seq,
    }
    if submission.status == SubmissionStatus.QUEUED:
        return {"type": "code_queued", **base, "message": QUEUED_MESSAGE}
    if submission.status == SubmissionStatus.RUNNING:
        return {"type": "code_running", **base}
    if submission.status == SubmissionStatus.NOT_RUN:
        return {"type": "code_result", **base, "status": "not_run", "message": NOT_RUN_MESSAGE}
    rows = tests if tests is not None else list(submission.tests.all())
    return {
        "type": "code_result",
        **base,
        "status": submission.run_status,  # passed | failed | error | timeout | limit
        "limit": submission.limit or None,
        "message": submission.message,
        "tests": [
            {
                "name": t.name,
                "passed": t.passed,
                "output": t.output,
                "error": t.error,
                "duration": round(t.duration, 6),
            }
            for t in rows
            if not t.hidden
        ],
        "hidden": {"passed": submission.hidden_passed, "total": submission.hidden_total},
    }


@dataclass(frozen=True)
class CodingAnswer:
    """A coding question's submissions for staff and the evaluation: the last submit (the
    answer) and every run before it, each with all its tests, hidden ones included."""

    question_index: int
    submissions: tuple[Submission, ...]  # oldest first, each with `.tests` prefetched

    @property
    def final(self) -> Submission | None:
        submits = [s for s in self.submissions if s.kind == "submit"]
        return submits[-1] if submits else None


def interview_coding_answers(*, interview: Interview) -> dict[int, CodingAnswer]:
    """Question index → its coding submissions (two queries)."""
    rows = (
        Submission.objects.filter(interview=interview)
        .select_related("question")
        .prefetch_related("tests")
        .order_by("created_at", "id")
    )
    grouped: dict[int, list[Submission]] = {}
    for submission in rows:
        grouped.setdefault(submission.question.question_index, []).append(submission)
    return {i: CodingAnswer(i, tuple(subs)) for i, subs in grouped.items()}


def pending_question_submission(*, interview: Interview, question_seq: int) -> Submission | None:
    """The latest submission for the coding question `question_seq` (what a reconnecting page
    shows again), or None."""
    return (
        Submission.objects.filter(interview=interview, question__seq=question_seq)
        .select_related("question")
        .order_by("-created_at", "-id")
        .first()
    )
