"""A candidate's code for a coding question: stored first, then tested on the `sandbox` queue.

`submission_create` stores the code before anything else can fail (an engine outage, a full
broker), so the code is never lost; "Run tests" runs the visible examples, "Submit" every test
and is the question's answer (the interview moves on at once, whatever the engine does).
`submission_test` runs in a worker of the `sandbox` queue: the result becomes TestRun rows, or,
when the engine is unavailable, the submission is `not_run` and `submissions_retest` (beat)
sends it again once the engine is back. Nothing here ever reports untested code as passing or
failing: the database refuses a verdict on a submission that was not tested.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from interviews.coding.spec import CodingSpec
from interviews.conf import interviews_settings
from interviews.models import (
    Interview,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    TestRun,
    Turn,
)
from interviews.moves import CompleteReason, MoveKind
from interviews.selectors import interview_move, interview_recent
from interviews.services.coding_evaluation import coding_evaluations_refresh
from interviews.services.effects import enqueue_on_commit
from interviews.services.rate_limits import CounterUnavailable, window_count
from interviews.services.rejections import Rejected
from interviews.services.turns import AnswerOutcome, AnswerRejected, interview_answer_submit
from sandbox.conf import sandbox_settings
from sandbox.engines import get_engine
from sandbox.types import (
    EngineRejected,
    EngineUnavailable,
    InvalidRunRequest,
    RunResult,
    RunStatus,
)
from sandbox.validation import code_text

logger = logging.getLogger(__name__)

# Submissions a beat run sends again at most: the rest wait for the next run.
RETEST_BATCH = 200
# A queued submission no worker took after this long was lost by the broker: send it again.
LOST_AFTER_SECONDS = 300


class SubmissionRejected(Rejected):
    """Code that cannot be stored or tested as sent."""


@dataclass(frozen=True)
class SubmissionOutcome:
    submission: Submission
    duplicate: bool  # the same client_id was stored before: nothing new stored or queued
    answer: AnswerOutcome | None = None  # a submit is the question's answer


# Room in a frame for everything but the code (type, language, client_id, JSON escapes of a
# typical program).
FRAME_OVERHEAD_BYTES = 1024


def code_bytes_limit() -> int:
    """The most code (UTF-8 bytes) a candidate can send: what the sandbox runs, and what fits
    in one socket frame. The page checks it before sending (a larger frame closes the socket)."""
    return min(
        sandbox_settings().max_code_bytes, settings.WS_MAX_FRAME_BYTES - FRAME_OVERHEAD_BYTES
    )


def submission_code_checked(*, code: object, language: object) -> tuple[str, str]:
    """The code and language as they will be stored, or SubmissionRejected saying why not:
    text the database can store (no NUL, no lone surrogate), within the sandbox's size limit,
    in a language the sandbox runs. Nothing is stored for code refused here: it never left the
    page, where the draft stays."""
    conf = sandbox_settings()
    if not isinstance(language, str) or language not in conf.languages():
        raise SubmissionRejected("invalid_language", "That language cannot be run here.")
    try:
        text = code_text(code)  # type: ignore[arg-type]
    except InvalidRunRequest as exc:
        raise SubmissionRejected("invalid_code", str(exc)) from None
    size, limit = len(text.encode("utf-8")), code_bytes_limit()
    if size > limit:
        raise SubmissionRejected(
            "code_too_long", f"The code is {size} bytes; at most {limit} can be run."
        )
    if not text.strip():
        raise SubmissionRejected("empty_code", "There is no code to run.")
    return text, language


def submission_rate_check(*, interview_id: int) -> None:
    """Runs and submits per interview per window, across every socket and process. A cache
    outage lets the run through: the sandbox queue and its limits still bound the cost, and
    refusing every run would stop every coding interview over a cache hiccup."""
    conf = interviews_settings()
    try:
        count = window_count(
            key=f"code-runs:{interview_id}", window_seconds=conf.code_runs_window_seconds
        )
    except CounterUnavailable:
        logger.warning("code-run count unavailable for interview %s; allowed", interview_id)
        return
    if count.count > conf.code_runs_per_window:
        raise SubmissionRejected(
            "code_rate_limited",
            f"Too many runs; try again in {max(1, round(count.retry_after))} s. Your code is "
            "kept in the editor.",
            retryable=True,
        )


def _pending_coding_question(interview: Interview) -> Turn:
    recent = interview_recent(interview=interview)
    move = interview_move(interview=interview, tip=recent.tip)
    if move.kind is MoveKind.FINISHED:
        raise SubmissionRejected("interview_finished", "This interview is already finished.")
    if move.reason is CompleteReason.TIME_UP:
        raise SubmissionRejected("time_up", "Time is up: the interview is over.")
    last = recent.last
    if move.kind is not MoveKind.AWAIT_ANSWER or last is None or "coding" not in last.meta:
        raise SubmissionRejected(
            "no_coding_question", "There is no coding question waiting for code."
        )
    return last


def submission_create(
    *,
    interview_id: int,
    kind: str,
    code: object,
    language: object,
    client_id: uuid.UUID,
    reply: bool = False,
    broadcast: bool = True,
) -> SubmissionOutcome:
    """Store the code for the pending coding question and queue its test; idempotent per
    `client_id`. A submit also stores the code as the question's answer (`reply`, `broadcast`:
    see interview_answer_submit); if that is refused (time is up), the code is kept all the
    same."""
    text, language = submission_code_checked(code=code, language=language)
    if kind not in SubmissionKind.values:
        raise SubmissionRejected("invalid_kind", "Unknown kind of run.")
    refused: AnswerRejected | None = None
    answer = None
    # One transaction under the interview's lock: of two submits racing, one is the answer and
    # the other finds the question answered, so nothing is stored for it.
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        submission = Submission.objects.filter(interview=interview, client_id=client_id).first()
        duplicate = submission is not None
        if submission is None:
            question = _pending_coding_question(interview)
            spec = CodingSpec.from_meta(question.meta["coding"])
            if language != spec.language:
                raise SubmissionRejected(
                    "wrong_language", f"This question is to be answered in {spec.language}."
                )
            submission_rate_check(interview_id=interview_id)
            submission = Submission.objects.create(
                interview=interview,
                question=question,
                kind=kind,
                language=language,
                code=text,
                client_id=client_id,
            )
            _enqueue(submission.pk)
        if kind == SubmissionKind.SUBMIT:
            try:
                answer = interview_answer_submit(
                    interview_id=interview_id,
                    text=text,
                    client_msg_id=client_id,
                    reply=reply,
                    broadcast=broadcast,
                    code=True,
                )
            except AnswerRejected as exc:
                # Caught inside the transaction, so what the answer path committed (time is
                # up: the interview ended) and the code are both kept.
                refused = exc
    if refused is not None:
        logger.info("submission for interview %s kept, not an answer: %s", interview_id, refused)
        raise SubmissionRejected(refused.code, refused.message, retryable=refused.retryable)
    return SubmissionOutcome(submission, duplicate=duplicate, answer=answer)


def _enqueue(submission_id: int) -> None:
    from interviews.tasks import run_submission_tests  # tasks import services: import late

    enqueue_on_commit(run_submission_tests, submission_id=submission_id)


def submission_test(*, submission_id: int) -> Submission:
    """Run the submission's tests on the configured engine (in a `sandbox` worker) and store
    the results. A tested submission is left alone, so a redelivered task does no work twice."""
    claimed = Submission.objects.filter(
        pk=submission_id,
        status__in=(SubmissionStatus.QUEUED, SubmissionStatus.RUNNING, SubmissionStatus.NOT_RUN),
    ).update(status=SubmissionStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
    submission = Submission.objects.select_related("question").get(pk=submission_id)
    if not claimed:
        return submission
    spec = CodingSpec.from_meta(submission.question.meta["coding"])
    suite = spec.suite(hidden=submission.kind == SubmissionKind.SUBMIT)
    try:
        result = get_engine().run(submission.code, submission.language, suite)
    except (EngineUnavailable, EngineRejected) as exc:
        # Not the code's doing: saved, shown as "not run", sent again when the engine is back.
        logger.warning("submission %s not run: %s", submission_id, exc)
        return _not_run(submission, str(exc))
    except InvalidRunRequest as exc:
        # Checked at submit; only a settings change since can bring this: the code's to fix.
        result = RunResult(status=RunStatus.ERROR, message=str(exc))
    stored = _store(submission, result, hidden={c.name for c in spec.hidden})
    # An evaluation that said "not run" for this code scores it now.
    coding_evaluations_refresh(interview_id=stored.interview_id)
    return stored


def _not_run(submission: Submission, reason: str) -> Submission:
    Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.RUNNING).update(
        status=SubmissionStatus.NOT_RUN, not_run_reason=reason[:2000]
    )
    submission.refresh_from_db()
    return submission


def _store(submission: Submission, result: RunResult, *, hidden: set[str]) -> Submission:
    tests = [
        TestRun(
            submission=submission,
            position=i,
            name=t.name,
            hidden=t.name in hidden,
            passed=t.passed,
            output=t.output,
            error=t.error,
            duration=t.duration,
        )
        for i, t in enumerate(result.tests)
    ]
    hidden_tests = [t for t in tests if t.hidden]
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != SubmissionStatus.RUNNING:
            return locked  # another delivery stored it first
        TestRun.objects.bulk_create(tests)
        locked.status = SubmissionStatus.DONE
        locked.run_status = str(result.status)
        locked.limit = str(result.limit or "")
        locked.message = result.message[:2000]
        locked.passed = sum(t.passed for t in tests)
        locked.total = len(tests)
        locked.hidden_passed = sum(t.passed for t in hidden_tests)
        locked.hidden_total = len(hidden_tests)
        locked.not_run_reason = ""
        locked.finished_at = timezone.now()
        locked.save()
    return locked


def submissions_retest() -> int:
    """Send again the submissions the engine could not run, and queued ones the broker lost:
    beat, every minute. Each is tried once per run; the ones of finished interviews first, so
    that their evaluations can score them (interviews.services.evaluation waits for them)."""
    lost = timezone.now() - timedelta(seconds=LOST_AFTER_SECONDS)
    waiting = Submission.objects.filter(
        status=SubmissionStatus.NOT_RUN
    ) | Submission.objects.filter(status=SubmissionStatus.QUEUED, created_at__lt=lost)
    ids = list(waiting.order_by("created_at").values_list("pk", flat=True)[:RETEST_BATCH])
    with transaction.atomic():
        for submission_id in ids:
            _enqueue(submission_id)
    if ids:
        logger.info("%s untested submissions sent again", len(ids))
    coding_evaluations_refresh()  # any a finished test could not re-run (one was running)
    return len(ids)
