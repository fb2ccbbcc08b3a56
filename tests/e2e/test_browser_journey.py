"""The candidate's journey in a real Chromium against a real uvicorn and PostgreSQL: the start
page and its consent, at desktop (1280x800) and phone (390x844) sizes.

Playwright's sync API marks its event loop as running between calls, which Django's ORM refuses
(SynchronousOnlyOperation), so the database is read only before the browser starts and after it
has closed.
"""

import re

import psycopg
import pytest
from django.db import connection
from playwright.sync_api import expect

from interviews.models import Interview, InterviewStatus
from tests.e2e.browser import CandidatePage, artifact
from tests.e2e.journey import CONTACT, SIZES, browser, started, web
from tests.e2e.stack import Stack
from tests.factories import make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]

__all__ = ["web"]  # the fixture, used by name


@pytest.mark.parametrize("size", SIZES)
def test_consent_and_start__nothing_starts_until_the_box_is_ticked_and_start_pressed(
    web: tuple[Stack, str], size: str
) -> None:
    _, base = web
    created = make_interview(role="Data engineer", question_count=2, time_limit_seconds=600)
    with browser(size) as page:
        page.goto(base + created.invite_path)
        expect(page.get_by_test_id("start-page")).to_be_visible()
        expect(page.get_by_test_id("fact-questions")).to_have_text("2")
        expect(page.get_by_test_id("fact-time")).to_have_text("10 minutes")
        expect(page.get_by_test_id("notice")).to_contain_text("a person")
        page.screenshot(path=artifact(f"journey-start-{size}.png"), full_page=True)
        page.get_by_test_id("start").click()
        expect(page.get_by_test_id("start-error")).to_contain_text("tick the box")
        expect(page.get_by_test_id("consent")).to_have_attribute("aria-invalid", "true")
        page.get_by_test_id("consent").check()
        page.get_by_test_id("start").click()
        CandidatePage(page).expect_prompts(1)
        timer = page.locator("#timer-value")
        # The server's clock, started by Start moments ago (a loaded machine may take seconds).
        expect(timer).to_have_text(re.compile(r"^(10:00|09:[0-5][0-9])$"))
        page.screenshot(path=artifact(f"journey-question-{size}.png"))
    interview = Interview.objects.get(pk=created.interview.pk)
    assert interview.status == InterviewStatus.IN_PROGRESS
    assert interview.consent_notice_version == "e2e-1"
    assert interview.consent_at is not None


def test_decline__says_whom_to_contact_and_starts_nothing(web: tuple[Stack, str]) -> None:
    _, base = web
    created = make_interview(time_limit_seconds=600)
    with browser("phone") as page:
        page.goto(base + created.invite_path)
        page.get_by_test_id("decline").click()
        expect(page.get_by_test_id("declined")).to_contain_text(CONTACT)
        page.screenshot(path=artifact("journey-declined-phone.png"))
    interview = Interview.objects.get(pk=created.interview.pk)
    assert (interview.status, interview.started_at, interview.consent_at) == (
        InterviewStatus.SCHEDULED,
        None,
        None,
    )


def test_time_left__is_the_servers__corrected_on_each_welcome(web: tuple[Stack, str]) -> None:
    _, base = web
    created = started(question_count=2, time_limit_seconds=600)
    dsn = f"postgresql://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}"
    with browser("desktop") as page:
        page.goto(base + created.invite_path)
        CandidatePage(page).expect_prompts(1)
        timer = page.locator("#timer-value")
        expect(timer).to_have_text(re.compile(r"^(10:00|09:[0-5][0-9])$"))
        # The server's clock is five minutes further on than the page thinks (a laptop that
        # slept, a page clock that drifted): the next welcome puts the page right.
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(
                "UPDATE interviews_interview SET started_at = started_at - interval '300 seconds'"
                " WHERE id = %s",
                [created.interview.pk],
            )
        page.evaluate("window.__interview.socket.close()")
        expect(timer).to_have_text(re.compile(r"^0[45]:[0-5][0-9]$"))
