"""Shared by the candidate's-journey browser tests: a real uvicorn (with the start page on), a
Chromium page at desktop or phone size, and interviews prepared in the database beforehand
(Playwright's sync API marks its loop as running, which Django's ORM refuses)."""

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, sync_playwright

from interviews.models import Interview, Turn
from interviews.services.interviews import CreatedInterview, interview_advance, interview_start
from tests.e2e.browser import CHROMIUM_ARGS, WAIT_MS, PageLog, artifact, chromium_path
from tests.e2e.stack import Stack, web_server
from tests.factories import make_interview

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
CONTACT = "talent@acme.example"
NEXT_STEPS = "Ms Example at ACME reviews your answers and replies within five working days."
GRACE_SECONDS = 2


@pytest.fixture
def web(
    postgres_required: None, redis_url: str, tmp_path: Path, transactional_db: None
) -> Iterator[tuple[Stack, str]]:
    """A real uvicorn with the start page on; (its stack, its base URL)."""
    with web_server(
        redis_url,
        tmp_path,
        CELERY_BROKER_URL=redis_url,
        INTERVIEW_CONSENT_REQUIRED="true",
        CANDIDATE_CONTACT=CONTACT,
        CANDIDATE_NEXT_STEPS=NEXT_STEPS,
        CANDIDATE_NOTICE_VERSION="e2e-1",
        INTERVIEW_TIME_GRACE_SECONDS=str(GRACE_SECONDS),
    ) as (running, port):
        yield running, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def browser(size: str, name: str = "journey") -> Iterator[Page]:
    """A fresh Chromium page at `size`; on failure a screenshot and the page's log."""
    log = PageLog()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS), timeout=60_000
        )
        try:
            context = chromium.new_context(
                viewport=SIZES[size],  # type: ignore[arg-type]
                color_scheme="light",
                reduced_motion="reduce",
            )
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            log.attach(page)
            try:
                yield page
            except BaseException:
                with contextlib.suppress(Exception):
                    page.screenshot(path=artifact(f"{name}-failure-{size}.png"))
                print(log.text())
                raise
        finally:
            chromium.close()


def started(
    *, text: str = "", seconds_left: int | None = None, **fields: object
) -> CreatedInterview:
    """An interview the candidate has consented to, with question 1 asked (its text replaced
    by `text` if given) and, with `seconds_left`, a 60 s limit (the shortest allowed) of which
    only that much is left."""
    if seconds_left is not None:
        fields["time_limit_seconds"] = 60
    created = make_interview(**fields)
    interview_start(interview_id=created.interview.pk, notice_version="e2e-1")
    if seconds_left is not None:
        Interview.objects.filter(pk=created.interview.pk).update(
            started_at=timezone.now() - timedelta(seconds=60 - seconds_left)
        )
    [question] = interview_advance(interview_id=created.interview.pk)
    if text:
        Turn.objects.filter(pk=question.pk).update(text=text)
    return created
