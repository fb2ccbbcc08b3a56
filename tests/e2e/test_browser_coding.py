"""A coding question end to end on the embedded default (SQLite, the in-memory channel layer,
the filesystem broker, the local runner), in a real Chromium against real uvicorn and a real
Celery worker: without the editor bundle the page falls back to a textarea that runs tests;
with it, CodeMirror highlights the code, Esc then Tab leaves it, the draft survives a reload,
"Run tests" shows each visible example, "Submit" shows the hidden tests as counts; staff then
see the code and every test in the report. The page reports no CSP violation."""

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from interviews.coding.spec import CodingSpec
from tests.e2e.browser import CHROMIUM_ARGS, DESKTOP, WAIT_MS, artifact, chromium_path
from tests.e2e.stack import base_env, free_port, stack
from tests.interviews.coding_support import hard_coded
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "coding-staff-password-1"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def _row(db: Path, sql: str, *args: Any) -> Any:
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(sql, args).fetchone()


def _spec(db: Path, interview_id: int) -> CodingSpec:
    (meta,) = _row(
        db,
        "SELECT meta FROM interviews_turn WHERE interview_id = ? AND kind = 'question' "
        "ORDER BY seq DESC LIMIT 1",
        interview_id,
    )
    return CodingSpec.from_meta(json.loads(meta)["coding"])


def _replace_code(page: Page, code: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # Inserted as one input, as a paste is: typed key by key, the editor would auto-indent.
    page.keyboard.insert_text(code)


def test_coding_question__write_run_submit_in_the_browser_and_staff_see_the_results(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    db = var / "interviewsite.sqlite3"
    env = base_env(VAR_DIR=str(var), DJANGO_SUPERUSER_PASSWORD=PASSWORD, PUBLIC_BASE_URL="http://x")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with stack(env, tmp_path) as running:
        running.manage("migrate", "--noinput")
        running.manage("createsuperuser", "--noinput", "--username", "hiring", "--email",
                       "hiring@example.org")  # fmt: skip
        invite = json.loads(
            running.manage(
                "create_interview",
                "--candidate",
                "Grace",
                "--role",
                "Engineer",
                "--topic",
                "python",
                "--difficulty",
                "easy",
                "--questions",
                "1",
                "--coding",
                "1",
                "--json",
            )
        )
        url = invite["invite_url"].replace("http://x", base)
        running.uvicorn(port)
        running.celery_worker()

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium_path(), args=list(CHROMIUM_ARGS), timeout=60_000
            )
            try:
                _without_the_bundle(browser, url, db, invite["id"])
                _with_the_editor(browser, url, db, invite["id"])
                wait_for(
                    lambda: _row(
                        db,
                        "SELECT 1 FROM interviews_evaluation WHERE interview_id = ? AND "
                        "status = 'done'",
                        invite["id"],
                    ),
                    120,
                    "the evaluation to be done",
                )
                _staff_report(browser, base, db, invite["id"])
            finally:
                browser.close()


def _page(browser: Any, *, block_bundle: bool = False) -> tuple[Any, Page]:
    context = browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
    context.add_init_script(RECORD_VIOLATIONS)
    if block_bundle:
        context.route(re.compile(r".*/editor\.bundle\.js$"), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    return context, page


def _without_the_bundle(browser: Any, url: str, db: Path, interview_id: int) -> None:
    context, page = _page(browser, block_bundle=True)
    try:
        page.goto(url)
        expect(page.get_by_test_id("code-panel")).to_be_visible()
        expect(page.locator("#interview")).to_have_attribute("data-editor", "textarea")
        spec = _spec(db, interview_id)
        fallback = page.get_by_test_id("code-fallback")
        expect(fallback).to_have_value(spec.starter)
        expect(page.get_by_test_id("answer")).to_be_hidden()  # code, not a text answer
        fallback.fill(hard_coded(spec))
        page.get_by_test_id("code-run").click()
        expect(page.get_by_test_id("code-status")).to_contain_text(
            f"Examples: {len(spec.examples)} of {len(spec.examples)} passed"
        )
        assert page.evaluate("window.__cspViolations") == []
    except BaseException:
        page.screenshot(path=artifact("coding-fallback-failure.png"))
        raise
    finally:
        context.close()


def _with_the_editor(browser: Any, url: str, db: Path, interview_id: int) -> None:
    spec = _spec(db, interview_id)
    context, page = _page(browser)
    try:
        page.goto(url)
        expect(page.get_by_test_id("code-panel")).to_be_visible()
        expect(page.locator("#interview")).to_have_attribute("data-editor", "codemirror")
        expect(page.get_by_test_id("code-fallback")).to_be_hidden()
        # Syntax highlighting: the starter's `def` is a highlighted token, not plain text.
        expect(page.locator(".cm-content span", has_text="def").first).to_be_visible()
        # Keyboard: Tab indents inside the editor; Escape then Tab leaves it.
        page.locator(".cm-content").click()
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.testid") == "code-run"

        _replace_code(page, hard_coded(spec))
        page.get_by_test_id("code-run").click()
        status = page.get_by_test_id("code-status")
        expect(status).to_contain_text("All tests passed.", timeout=60_000)
        tests = page.locator("[data-testid=code-results] li[data-passed=yes]")
        expect(tests).to_have_count(len(spec.examples))
        expect(page.get_by_test_id("code-hidden")).to_have_count(0)  # a run: examples only

        _replace_code(page, spec.solution)
        page.reload()
        expect(page.get_by_test_id("code-panel")).to_be_visible()
        # The last run's results come back with the page.
        expect(tests).to_have_count(len(spec.examples))
        expect(page.locator(".cm-content")).to_contain_text(spec.entry_point)
        shown = page.evaluate("window.__coding.code()")
        assert shown == spec.solution, "the draft survived the reload"

        page.get_by_test_id("code-submit").click()
        note = page.get_by_test_id("code-submit-result")
        expect(note).to_have_attribute("data-status", "passed", timeout=60_000)
        expect(note).to_contain_text(f"Hidden tests: {len(spec.hidden)} of {len(spec.hidden)}")
        expect(page.get_by_test_id("banner")).to_have_attribute("data-state", "completed")
        assert page.evaluate("window.__cspViolations") == []
    except BaseException:
        page.screenshot(path=artifact("coding-editor-failure.png"))
        raise
    finally:
        context.close()


def _staff_report(browser: Any, base: str, db: Path, interview_id: int) -> None:
    spec = _spec(db, interview_id)
    context, page = _page(browser)
    try:
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "hiring")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        page.goto(f"{base}/admin/interviews/interview/{interview_id}/report/")
        report = page.locator(".coding-answer")
        expect(report).to_be_visible()
        expect(page.locator("[data-question='1'] strong").first).to_contain_text("Q1: 5/5")
        submitted = report.locator("details.submission[data-kind=submit]")
        expect(submitted.locator("pre.submitted-code")).to_contain_text(spec.entry_point)
        rows = submitted.locator("tr[data-passed=yes]")
        expect(rows).to_have_count(len(spec.examples) + len(spec.hidden))
        expect(submitted.locator("tr[data-hidden=yes]")).to_have_count(len(spec.hidden))
        runs = report.locator("details.submission[data-kind=run]")
        expect(runs).to_have_count(2)  # the textarea's run and the editor's
        page.screenshot(path=artifact("coding-staff-report.png"), full_page=True)
    finally:
        context.close()
