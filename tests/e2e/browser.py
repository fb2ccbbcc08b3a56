"""Drive the candidate page in a real Chromium: the system's package, never a downloaded browser.

`CHROMIUM_PATH` overrides where the browser is (default `/usr/bin/chromium`). A missing browser
skips the test locally and fails it when REQUIRE_SERVICES=1 (CI), like a missing service.
Everything the page did (console, JS errors, WebSocket frames) is recorded and printed, with a
screenshot under `test-artifacts/`, when a test fails inside `candidate_browser`.
"""

import contextlib
import html
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, Response, WebSocket, expect, sync_playwright

from interviews.markup import question_html
from tests.e2e.stack import ROOT
from tests.services import missing

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing that reaches for the internet (updates, sync, QUIC probes).
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
WAIT_MS = 30_000  # generous: the machine running this may be slow and busy
# Reconnecting backs off (full jitter, doubling from 0.5 s): after a restart of several seconds
# the next try can be more than 15 s away.
RECONNECT_WAIT_MS = 60_000
# Interviewer turns: each answer is followed by exactly one (question, follow-up or completed).
PROMPTS = ", ".join(
    f"[data-testid=msg][data-kind={kind}]" for kind in ("question", "follow_up", "completed")
)


def chromium_path() -> str:
    """The browser to drive; skips (locally) or fails (REQUIRE_SERVICES=1) when it is missing."""
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not os.access(path, os.X_OK):
        missing(f"Chromium at {path} (set CHROMIUM_PATH, or install Debian's `chromium`)")
    return path


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@dataclass
class PageLog:
    """What the page did, in order: console lines, uncaught errors and WebSocket traffic."""

    events: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", lambda msg: self.events.append(f"console.{msg.type}: {msg.text}"))
        page.on("pageerror", self._page_error)
        page.on("websocket", self._websocket)
        page.on("response", self._response)

    def _page_error(self, error: Exception) -> None:
        self.errors.append(str(error))
        self.events.append(f"PAGE ERROR: {error}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.events.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def _websocket(self, ws: WebSocket) -> None:
        n = sum(1 for e in self.events if e.startswith("ws#") and " open " in e) + 1
        self.events.append(f"ws#{n} open {ws.url.split('?')[0]}")
        ws.on("framesent", lambda payload: self.events.append(f"ws#{n} > {_short(payload)}"))
        ws.on("framereceived", lambda payload: self.events.append(f"ws#{n} < {_short(payload)}"))
        ws.on("socketerror", lambda error: self.events.append(f"ws#{n} error {error}"))
        ws.on("close", lambda _ws: self.events.append(f"ws#{n} closed"))

    def text(self, last: int = 120) -> str:
        return "--- browser (console, errors, WebSocket frames) ---\n" + "\n".join(
            self.events[-last:]
        )


def _short(payload: str | bytes, limit: int = 200) -> str:
    text = payload if isinstance(payload, str) else payload.decode(errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


@contextlib.contextmanager
def candidate_browser(url: str, executable: str) -> Iterator[tuple[Page, PageLog]]:
    """A fresh Chromium (`executable`) showing `url` at desktop size, closed afterwards.

    On failure the page is screenshotted to `test-artifacts/browser-failure.png` and its log is
    printed (pytest shows it with the failing test).
    """
    log = PageLog()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), timeout=60_000
        )
        try:
            context = browser.new_context(
                viewport=DESKTOP,  # type: ignore[arg-type]
                color_scheme="light",
                reduced_motion="reduce",  # no smooth scrolling or transitions in screenshots
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            log.attach(page)
            try:
                page.goto(url, wait_until="domcontentloaded")
                yield page, log
            except BaseException:
                with contextlib.suppress(Exception):
                    page.screenshot(path=artifact("browser-failure.png"), timeout=10_000)
                print(log.text())
                raise
        finally:
            browser.close()


class CandidatePage:
    """The candidate page's controls, found by their data-testid hooks."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.banner = page.get_by_test_id("banner")
        self.progress = page.get_by_test_id("progress")
        self.box = page.get_by_test_id("answer")
        self.send = page.get_by_test_id("send")
        self.prompts = page.locator(PROMPTS)
        self.questions = page.locator("[data-testid=msg][data-kind=question]")
        self.answers = page.locator("[data-testid=msg][data-kind=answer]")

    def expect_banner(self, state: str | re.Pattern[str], timeout: float = WAIT_MS) -> None:
        expect(self.banner, f"banner state {state!r}").to_have_attribute(
            "data-state", state, timeout=timeout
        )

    def expect_prompts(self, count: int, timeout: float = WAIT_MS) -> None:
        expect(self.prompts, f"{count} interviewer turn(s) in the transcript").to_have_count(
            count, timeout=timeout
        )

    def expect_progress(self, index: int) -> None:
        total = self.page.locator("#interview").get_attribute("data-total")
        expect(self.progress).to_have_text(f"Question {index} of {total}", timeout=WAIT_MS)

    def last_prompt_kind(self) -> str:
        return self.prompts.last.get_attribute("data-kind") or ""

    def type_answer(self, text: str) -> None:
        """Type `text` key by key into the answer box (which must become enabled)."""
        expect(self.box, "the answer box to be enabled").to_be_enabled(timeout=WAIT_MS)
        self.box.click()
        self.box.press_sequentially(text)
        expect(self.box).to_have_value(text, timeout=WAIT_MS)
        expect(self.send, "Send to be enabled once text is typed").to_be_enabled(timeout=WAIT_MS)

    def submit(self, *, keyboard: bool = False) -> None:
        if keyboard:
            self.box.press("Control+Enter")
        else:
            self.send.click()
        expect(self.box, "the answer box to be emptied on send").to_have_value("", timeout=WAIT_MS)

    def bubble(self, text: str) -> Locator:
        return self.answers.filter(has_text=text)

    def expect_acknowledged(self, text: str, timeout: float = WAIT_MS) -> int:
        """Wait until the answer `text` is shown once, acknowledged; return its seq."""
        bubble = self.bubble(text)
        expect(bubble, "the answer to be acknowledged").to_have_attribute(
            "data-status", "sent", timeout=timeout
        )
        expect(bubble, "the answer to be shown once").to_have_count(1, timeout=WAIT_MS)
        expect(bubble, "the acknowledged answer to carry its seq").to_have_attribute(
            "data-seq", re.compile(r"^[1-9][0-9]*$"), timeout=WAIT_MS
        )
        return int(bubble.get_attribute("data-seq") or 0)

    def screenshot(
        self, name: str, viewport: dict[str, int] | None = None, in_view: Locator | None = None
    ) -> Path:
        """Save a screenshot to test-artifacts/`name`, at `viewport` size if given.

        `in_view` must be visible in it: the newest message stays in sight when the window
        shrinks (a phone's on-screen keyboard does the same).
        """
        path = artifact(name)
        before = self.page.viewport_size
        if viewport is not None:
            self.page.set_viewport_size(viewport)  # type: ignore[arg-type]
        try:
            if in_view is not None:
                expect(in_view, f"{name}: the newest message in view").to_be_in_viewport(
                    timeout=WAIT_MS
                )
            self.page.screenshot(path=path)
        finally:
            if viewport is not None and before:
                self.page.set_viewport_size(before)
        return path


def transcript(page: Page) -> list[dict[str, Any]]:
    """The rendered transcript in page order: seq (None if unacknowledged), kind, status, text."""
    rows: list[dict[str, Any]] = page.get_by_test_id("msg").evaluate_all(
        """els => els.map(e => ({
            seq: e.dataset.seq ? Number(e.dataset.seq) : null,
            kind: e.dataset.kind,
            status: e.dataset.status || '',
            text: e.querySelector('.msg-text').textContent,
        }))"""
    )
    return rows


def shown_text(kind: str, text: str) -> str:
    """A stored turn's text as the page shows it: questions and follow-ups rendered from their
    Markdown (inline code without its backticks, and so on), answers as written."""
    if kind in ("question", "follow_up"):
        return html.unescape(re.sub(r"<[^>]+>", "", question_html(text)))
    return text


def describe(rows: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(row, ensure_ascii=False)[:160] for row in rows)
