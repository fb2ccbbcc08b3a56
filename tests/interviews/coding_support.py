"""Shared by the coding tests: an interview waiting on its coding question, Celery run eagerly
(the `sandbox` task runs in the test process at commit, on the real local runner), and a Piston
engine that is down or back (the sandbox tests' fake Piston, speaking its real API)."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from interviews.coding.spec import CodingSpec
from interviews.models import Interview, Turn, TurnKind
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from tests.factories import STRONG_ANSWER, make_interview
from tests.sandbox.fake_piston import FakePiston, piston_engine


def at_coding_question(*, question_count: int = 1, **overrides: Any) -> Interview:
    """An interview whose last question is a coding one, waiting on it."""
    fields: dict[str, Any] = {"question_count": question_count, "coding_count": 1,
                              "difficulty": "easy"}  # fmt: skip
    interview = make_interview(**{**fields, **overrides}).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    for _ in range(2 * question_count):
        if coding_turn(interview) is not None:
            break
        interview_answer_submit(
            interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
        )
        interview_advance(interview_id=interview.pk)
    return Interview.objects.get(pk=interview.pk)


def coding_turn(interview: Interview) -> Turn | None:
    return (
        interview.turns.filter(kind=TurnKind.QUESTION, meta__has_key="coding")
        .order_by("-seq")
        .first()
    )


def spec_of(interview: Interview) -> CodingSpec:
    turn = coding_turn(interview)
    assert turn is not None
    return CodingSpec.from_meta(turn.meta["coding"])


def hard_coded(spec: CodingSpec) -> str:
    """Python code that returns each visible example's expected value and nothing else: it
    passes "Run tests" and must fail the hidden tests."""
    table = {repr(list(c.args)): c.expected for c in spec.examples}
    return (
        f"TABLE = {table!r}\n\n"
        f"def {spec.entry_point}(*args):\n"
        "    return TABLE.get(repr(list(args)))\n"
    )


@pytest.fixture
def eager(settings: Any) -> Iterator[None]:
    from interviewsite.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture
def piston(settings: Any) -> Iterator[FakePiston]:
    breaker = {"failure_threshold": 2, "recovery_timeout": 1, "minimum_calls": 100}
    with piston_engine(
        settings,
        SANDBOX_WALL_SECONDS=2.5,  # within the fake Piston's own run_timeout (3 s)
        SANDBOX_CPU_SECONDS=2.0,
        MAX_RETRY_ATTEMPTS=1,
        BREAKERS={"sandbox": {**breaker, "window_size": 100}},
    ) as server:
        yield server
