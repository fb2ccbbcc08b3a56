"""The Content-Security-Policy in a real Chromium against a real uvicorn: the candidate page and
the admin (login, operations dashboard, create-interview page, cached questions, a periodic
task form) report no violation, and what their scripts do still works (the WebSocket, the
dashboard's refresh, selecting the invite link, the crontab's help in words)."""

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect, sync_playwright

from interviews.services.positions import position_create
from tests.e2e.browser import CHROMIUM_ARGS, DESKTOP, WAIT_MS, CandidatePage, chromium_path
from tests.e2e.stack import Stack, web_server
from tests.factories import make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]

PASSWORD = "csp-browser-password-1"
# Every violation the page sees, as the browser reports it to the page itself.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def web(
    postgres_required: None, redis_url: str, tmp_path: Path, transactional_db: None
) -> Iterator[tuple[Stack, int]]:
    with web_server(redis_url, tmp_path) as served:
        yield served


@contextlib.contextmanager
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    """A Chromium page that records CSP violations: (page, console lines about CSP). Started
    after the test's database work: Playwright's sync API marks its loop as running, which
    Django's ORM refuses."""
    console: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS), timeout=60_000
        )
        try:
            context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.on(
                "console",
                lambda msg: (
                    console.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            yield page, console
        finally:
            browser.close()


def _violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__cspViolations"))


def test_candidate_page__policy_enforced_no_violation_and_the_interview_runs(
    web: tuple[Stack, int],
) -> None:
    _, port = web
    created = make_interview(question_count=2)
    with browser_page() as (page, console):
        response = page.goto(f"http://127.0.0.1:{port}{created.invite_path}")
        cp = CandidatePage(page)
        cp.expect_prompts(1)  # the script ran and the WebSocket (connect-src 'self') works
        cp.type_answer("A first answer about profiling before optimising anything.")
        cp.submit()
        cp.expect_acknowledged("A first answer about profiling before optimising anything.")
        violations = _violations(page)

    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert violations == []
    assert console == []


def test_admin_pages__no_violation_and_their_scripts_work(web: tuple[Stack, int]) -> None:
    _, port = web
    User.objects.create_superuser("csp-browser", password=PASSWORD)
    position_create(title="Engineer", topics=["python"], difficulty="medium", question_count=3)
    base = f"http://127.0.0.1:{port}"
    with browser_page() as (page, console):
        login = page.goto(f"{base}/admin/login/?next=/admin/dashboard/")
        page.fill("#id_username", "csp-browser")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        expect(page).to_have_url(re.compile(r"/admin/dashboard/$"))
        # The dashboard's script re-fetches the panels every 10 s and marks when it did.
        expect(page.locator("#ops-panels")).to_have_attribute(
            "data-refreshed-at", re.compile(r"^\d+$"), timeout=25_000
        )
        # The queues-and-workers panel is fetched once the page is shown.
        expect(page.locator("#ops-workers h2")).to_contain_text("Queues and workers: ")
        violations = _violations(page)

        page.goto(f"{base}/admin/interviews/interview/create/")
        page.select_option("#id_position", label="Engineer")
        page.fill("#id_candidate_name", "Ada")
        page.click("input[name=one]")
        invite = page.get_by_test_id("invite-url")
        invite.focus()
        selected = page.evaluate(
            "() => { const i = document.querySelector('[data-testid=invite-url]');"
            " return i.selectionEnd - i.selectionStart; }"
        )
        link = invite.input_value()
        violations += _violations(page)

        page.goto(f"{base}/admin/resilience/cachedquestion/")
        violations += _violations(page)
        page.goto(f"{base}/admin/django_celery_beat/periodictask/add/")
        expect(page.locator(".field-crontab_translation")).to_be_hidden()
        violations += _violations(page)

    assert selected == len(link) > 0, "focusing the invite link selects all of it"
    assert login is not None
    assert "'unsafe-inline'" not in login.headers["content-security-policy"].split("style-src")[0]
    assert violations == []
    assert console == []
