"""axe-core (shipped by axe-playwright-python, MPL-2.0) in a real Chromium against a real
uvicorn: no serious or critical accessibility violation on any state a candidate meets — the
start page, a question, reconnecting, time up, completed, 404 and 410 — at 1280x800 and
390x844. axe is injected by Playwright into the page under test only; nothing ships it."""

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.browser import RECONNECT_WAIT_MS, CandidatePage, artifact
from tests.e2e.journey import SIZES, browser, started, web
from tests.e2e.stack import Stack, stop
from tests.factories import make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]
__all__ = ["web"]  # the fixture, used by name

BLOCKING = ("serious", "critical")
ANSWER = (
    "I would profile first to find the real bottleneck, then replace the nested loop with a "
    "dictionary lookup, add a benchmark so the gain stays measured, and document the trade-off."
)


def _serious(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line each."""
    violations: list[dict[str, Any]] = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v.get("impact") in BLOCKING
    ]


@pytest.mark.parametrize("size", SIZES)
def test_axe__no_serious_or_critical_violation_in_any_state(
    web: tuple[Stack, str], size: str
) -> None:
    running, base = web
    fresh = make_interview(question_count=2, time_limit_seconds=600)
    answering = started(question_count=2)
    ending = started(question_count=1)
    timed = started(question_count=2, seconds_left=4)
    found: dict[str, list[str]] = {}
    with browser(size, "axe") as page:
        page.goto(base + fresh.invite_path)
        expect(page.get_by_test_id("start-page")).to_be_visible()
        found["start"] = _serious(page)

        page.goto(base + "/i/not-a-valid-invite-token/")
        expect(page.get_by_test_id("invite-invalid")).to_be_visible()
        found["404"] = _serious(page)

        page.goto(base + answering.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        found["question"] = _serious(page)

        page.goto(base + timed.invite_path)
        cp.expect_prompts(1)
        page.context.set_offline(True)
        expect(page.locator("#timer-value")).to_have_text("Time is up", timeout=15_000)
        found["time-up"] = _serious(page)
        page.context.set_offline(False)

        page.goto(base + ending.invite_path)
        cp.expect_prompts(1)
        # Each answer brings exactly one interviewer turn; a follow-up at most once.
        for n in (1, 2):
            if cp.last_prompt_kind() == "completed":
                break
            cp.type_answer(f"Answer {n}. {ANSWER}")
            cp.submit()
            cp.expect_acknowledged(f"Answer {n}. {ANSWER}")
            cp.expect_prompts(n + 1)
        expect(page.get_by_test_id("summary")).to_be_visible()
        found["completed"] = _serious(page)
        page.screenshot(path=artifact(f"journey-completed-{size}.png"))

        response = page.goto(base + ending.invite_path)
        assert response is not None
        assert response.status == 410
        found["410"] = _serious(page)

        page.goto(base + answering.invite_path)
        cp.expect_prompts(1)
        stop(running.procs[0])  # the web server goes away: the page reconnects, and waits
        cp.expect_banner(re.compile("reconnecting"), timeout=RECONNECT_WAIT_MS)
        found["reconnecting"] = _serious(page)
        page.screenshot(path=artifact(f"journey-reconnecting-{size}.png"))

    assert set(found) == {"start", "404", "question", "time-up", "completed", "410", "reconnecting"}
    assert {state: v for state, v in found.items() if v} == {}
