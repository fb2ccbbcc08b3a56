"""Coding submissions through the service, tested on the real local runner (Celery eager: the
`sandbox` task runs at commit in this process): the code is stored first, "Run tests" runs the
examples, "Submit" every test and answers the question; bad input is refused with a clear error
and nothing stored; a flood is rate-limited per interview."""

import threading
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from interviews.models import (
    Submission,
    SubmissionKind,
    SubmissionStatus,
    TestRun,
    TurnKind,
)
from interviews.selectors_code import submission_event
from interviews.services.interviews import interview_advance, interview_start
from interviews.services.submissions import SubmissionRejected, submission_create
from tests.factories import make_interview
from tests.interviews.coding_support import (
    at_coding_question,
    eager,
    hard_coded,
    spec_of,
)
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]  # the fixture, imported for the tests here


def _create(interview_id: int, code: object, kind: str = "run", **kw: Any) -> Submission:
    kw.setdefault("language", "python")
    kw.setdefault("reply", True)  # the offline interviewer's reply comes with a submit
    return submission_create(
        interview_id=interview_id, kind=kind, code=code, client_id=uuid.uuid4(), **kw
    ).submission


def test_run__stores_the_code_then_runs_only_the_visible_examples(eager: None) -> None:
    interview = at_coding_question()
    spec = spec_of(interview)

    submission = _create(interview.pk, spec.solution)

    submission.refresh_from_db()
    assert submission.code == spec.solution
    assert (submission.kind, submission.status, submission.run_status) == ("run", "done", "passed")
    names = list(submission.tests.values_list("name", flat=True))
    assert names == [c.name for c in spec.examples]
    assert (submission.hidden_total, submission.passed, submission.total) == (0, 2, 2)
    assert not interview.turns.filter(kind=TurnKind.ANSWER).exists(), "a run is no answer"


def test_submit__runs_every_test_answers_the_question_and_the_interview_goes_on(
    eager: None,
) -> None:
    interview = at_coding_question()
    spec = spec_of(interview)

    outcome = submission_create(
        interview_id=interview.pk, kind="submit", code=spec.solution, language="python",
        client_id=uuid.uuid4(), reply=True,
    )  # fmt: skip

    submission = Submission.objects.get(pk=outcome.submission.pk)
    assert submission.status == SubmissionStatus.DONE
    assert (submission.passed, submission.total) == (5, 5)
    assert (submission.hidden_passed, submission.hidden_total) == (3, 3)
    answer = interview.turns.get(kind=TurnKind.ANSWER)
    assert answer.text == spec.solution
    assert answer.client_msg_id == submission.client_id
    interview.refresh_from_db()
    assert interview.status == "completed"


def test_hard_coded_examples__pass_the_run_and_fail_the_hidden_tests(eager: None) -> None:
    interview = at_coding_question()
    spec = spec_of(interview)
    cheat = hard_coded(spec)

    run = _create(interview.pk, cheat)
    submit = _create(interview.pk, cheat, kind="submit")

    run.refresh_from_db()
    submit.refresh_from_db()
    assert run.run_status == "passed"
    assert submit.run_status == "failed"
    assert (submit.hidden_passed, submit.hidden_total) == (0, 3)
    event = submission_event(submit)
    assert [t["name"] for t in event["tests"]] == [c.name for c in spec.examples]
    assert event["hidden"] == {"passed": 0, "total": 3}
    assert all(h.name not in repr(event) for h in spec.hidden), "hidden tests: counts only"
    hidden_rows = TestRun.objects.filter(submission=submit, hidden=True)
    assert [r.error for r in hidden_rows] == ["Wrong answer (hidden test)."] * 3


@pytest.mark.parametrize(
    ("code", "language", "problem"),
    [
        ("x = 1\x00\n", "python", "invalid_code"),
        ("x = '\ud800'\n", "python", "invalid_code"),
        ("x" * 70_000, "python", "code_too_long"),
        ("   \n", "python", "empty_code"),
        ("def f(): pass", "cobol", "invalid_language"),
        ("def f(): pass", None, "invalid_language"),
        ("function f() {}", "javascript", "wrong_language"),
        (b"\xff\xfe not UTF-8", "python", "invalid_code"),
    ],
)
def test_bad_input__refused_with_a_clear_error_and_nothing_stored(
    eager: None, code: object, language: object, problem: str
) -> None:
    interview = at_coding_question()
    with pytest.raises(SubmissionRejected) as exc:
        _create(interview.pk, code, language=language)
    assert exc.value.code == problem
    assert exc.value.message
    assert not Submission.objects.exists()


def test_nul_byte__the_error_says_where(eager: None) -> None:
    interview = at_coding_question()
    with pytest.raises(SubmissionRejected, match="line 2, column 3"):
        _create(interview.pk, "a = 1\nb \x00= 2\n")


def test_discussion_question_pending__refuses_code(eager: None) -> None:
    interview = make_interview(question_count=2, coding_count=1).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)  # question 1 of 2: a discussion one
    with pytest.raises(SubmissionRejected) as exc:
        _create(interview.pk, "def f(): pass")
    assert exc.value.code == "no_coding_question"


def test_finished_interview__refuses_code(eager: None) -> None:
    interview = at_coding_question()
    _create(interview.pk, spec_of(interview).solution, kind="submit")
    with pytest.raises(SubmissionRejected) as exc:
        _create(interview.pk, "def f(): pass")
    assert exc.value.code == "interview_finished"
    assert Submission.objects.count() == 1


def test_same_client_id__stored_and_run_once(eager: None) -> None:
    interview = at_coding_question()
    client_id = uuid.uuid4()
    first, again = (
        submission_create(
            interview_id=interview.pk,
            kind="run",
            code="pass\n",
            language="python",
            client_id=client_id,
        )
        for _ in range(2)
    )
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.submission.pk == first.submission.pk
    assert Submission.objects.get().attempts == 1


def test_flood__rate_limited_per_interview(eager: None, settings: Any) -> None:
    settings.CODE_RUNS_PER_WINDOW = 3
    settings.CODE_RUNS_WINDOW_SECONDS = 3600
    cache.clear()  # interview ids repeat between tests; their counters must not
    interview = at_coding_question()
    for _ in range(3):
        _create(interview.pk, "pass\n")
    with pytest.raises(SubmissionRejected) as exc:
        _create(interview.pk, "pass\n")
    assert exc.value.code == "code_rate_limited"
    assert exc.value.retryable
    assert "kept in the editor" in exc.value.message
    assert Submission.objects.count() == 3


def test_concurrent_submits__one_is_the_answer_the_others_find_the_interview_over(
    eager: None,
) -> None:
    require_postgres()  # row locks: SQLite would serialise the threads anyway
    assert connection.vendor == "postgresql"
    interview = at_coding_question()
    code = spec_of(interview).solution
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit() -> None:
        barrier.wait()
        try:
            _create(interview.pk, code, kind=SubmissionKind.SUBMIT)
            outcomes.append("answer")
        except SubmissionRejected as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["answer"] + ["interview_finished"] * 3
    assert interview.turns.filter(kind=TurnKind.ANSWER).count() == 1
    assert Submission.objects.count() == 1
