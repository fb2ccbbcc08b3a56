"""Time up, in a real Chromium against a real uvicorn, PostgreSQL, Redis, Celery worker and
beat: the server ends a timed interview with no page open and evaluates what was answered, and
a page that was offline at the limit names the answer the server never acknowledged as not
saved and lists exactly what was."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.utils import timezone
from playwright.sync_api import expect

from interviews.models import Evaluation, EvaluationStatus, Interview, InterviewStatus, TurnKind
from tests.e2e.browser import CandidatePage, artifact
from tests.e2e.journey import CONTACT, GRACE_SECONDS, NEXT_STEPS, SIZES, browser, started, web
from tests.e2e.stack import BIN, Stack
from tests.migration_rows import ensure_migration_rows
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]
__all__ = ["web"]  # the fixture, used by name

LIMIT = 15  # seconds left when the page opens
FIRST = (
    "First answer: I would profile the endpoint to find the real bottleneck, replace the "
    "nested loop with a dictionary lookup, and keep a benchmark so the gain stays measured."
)
SECOND = "Second answer, typed and sent while the connection was down at the time limit."


def _ended(pk: int) -> Interview | None:
    interview = Interview.objects.get(pk=pk)
    return interview if interview.status == InterviewStatus.COMPLETED else None


def test_time_up_with_no_page_open__beat_completes_it__and_what_was_answered_is_evaluated(
    web: tuple[Stack, str], redis_url: str, tmp_path: Path
) -> None:
    running, base = web
    redis.Redis.from_url(redis_url).flushdb()  # the broker: no task of an earlier test
    ensure_migration_rows("interviews", "0007_time_up_schedule", "schedule")
    created = started(question_count=3, seconds_left=LIMIT)
    running.celery_worker()
    running.start(
        "beat",
        str(BIN / "celery"),
        "-A",
        "interviewsite",
        "beat",
        "-s",
        str(tmp_path / "beat-schedule"),
    )
    with browser("desktop", "time-up-no-page") as page:
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.type_answer(FIRST)
        cp.submit()
        cp.expect_acknowledged(FIRST)
        page.close()  # no socket from here on
    closed_at = timezone.now()
    # Within the limit, the grace period and one beat interval (15 s), with room for a slow box.
    interview = wait_for(lambda: _ended(created.interview.pk), 90, "the beat to end it")
    assert interview.status == InterviewStatus.COMPLETED
    end = interview.turns.get(kind=TurnKind.SYSTEM)
    assert end.meta["reason"] == "time_up"
    assert end.created_at >= closed_at, "ended by the server after the page had gone"
    assert interview.turns.filter(kind=TurnKind.ANSWER).count() == 1
    evaluation = wait_for(
        lambda: Evaluation.objects.filter(
            interview=interview, status=EvaluationStatus.DONE
        ).first(),
        120,
        "the worker to evaluate the answered question",
    )
    assert evaluation.status == EvaluationStatus.DONE
    for size in SIZES:
        with browser(size, "time-up-410") as page:
            response = page.goto(base + created.invite_path)
            assert response is not None
            assert response.status == 410
            expect(page.get_by_test_id("next-step")).to_have_text(NEXT_STEPS)
            expect(page.get_by_test_id("contact")).to_contain_text(CONTACT)
            page.screenshot(path=artifact(f"journey-410-{size}.png"))


@pytest.mark.parametrize("size", SIZES)
def test_time_up_with_an_unsent_answer__named_not_saved__and_the_saved_one_listed(
    web: tuple[Stack, str], size: str
) -> None:
    _, base = web
    created = started(question_count=3, seconds_left=LIMIT)
    with browser(size, "time-up-unsent") as page:
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.type_answer(FIRST)
        cp.submit()
        cp.expect_acknowledged(FIRST)
        cp.expect_prompts(2)
        page.context.set_offline(True)
        cp.type_answer(SECOND)
        cp.submit()
        expect(cp.bubble(SECOND)).to_have_attribute("data-status", "sending")
        expect(page.locator("#timer-value")).to_have_text("Time is up", timeout=LIMIT * 1000 + 5000)
        cp.expect_banner("offline")
        expect(cp.banner).to_contain_text("not confirmed saved")
        expect(cp.banner).not_to_contain_text("are saved")
        page.screenshot(path=artifact(f"journey-time-up-offline-{size}.png"))
        page.wait_for_timeout((GRACE_SECONDS + 1) * 1000)  # the server's grace period is over
        page.context.set_offline(False)
        summary = page.get_by_test_id("summary")
        expect(summary).to_be_visible()
        expect(page.get_by_test_id("summary-saved-count")).to_have_text("1 answer was saved:")
        expect(page.get_by_test_id("summary-saved").locator("li")).to_have_count(1)
        expect(page.get_by_test_id("summary-saved")).to_contain_text("Question 1: First answer")
        expect(page.get_by_test_id("not-saved")).to_have_text([SECOND])
        expect(cp.bubble(SECOND)).to_have_attribute("data-status", "failed")
        expect(page.get_by_test_id("next-step")).to_have_text(NEXT_STEPS)
        cp.expect_banner(re.compile("completed|final"))
        page.screenshot(path=artifact(f"journey-time-up-summary-{size}.png"))
    interview = Interview.objects.get(pk=created.interview.pk)
    assert interview.status == InterviewStatus.COMPLETED
    assert list(interview.turns.filter(kind=TurnKind.ANSWER).values_list("text", flat=True)) == [
        FIRST
    ]
    assert interview.turns.get(kind=TurnKind.SYSTEM).meta["reason"] == "time_up"
    assert interview.started_at is not None
    assert interview.completed_at is not None
    assert interview.completed_at - interview.started_at >= timedelta(seconds=60)
