"""No answer locks a candidate out: the page in a real Chromium against a real uvicorn.

An answer holding a lone UTF-16 surrogate once crashed the consumer; uvicorn dropped the socket
with no close code, and the page, which re-sends an unacknowledged answer after every
`welcome` and reset its back-off on every `welcome`, reconnected in a loop (62 sockets in 20 s,
the banner stuck at "reconnecting (attempt 1)"). Here the server refuses the text in plain
words, the page gives the draft back, and a connection that keeps dying right after `welcome`
backs off instead of looping.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.browser import WAIT_MS, CandidatePage, PageLog, candidate_browser, chromium_path
from tests.e2e.stack import Stack, web_server
from tests.factories import make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]

# A lone high surrogate, as a truncated paste leaves it. Written as a JS escape and set from
# the page itself, exactly as the browser holds such text (JS strings are UTF-16).
BAD_TEXT_JS = "'surrogate \\ud800 here'"
LOOP_WINDOW_MS = 8_000  # the review counted 62 sockets in 20 s; the fixed page opens none


@pytest.fixture
def web(
    postgres_required: None, redis_url: str, tmp_path: Path, transactional_db: None
) -> Iterator[tuple[Stack, int]]:
    with web_server(redis_url, tmp_path) as served:
        yield served


def _sockets_opened(log: PageLog) -> int:
    return sum(1 for e in log.events if e.startswith("ws#") and " open " in e)


def _composer_holds(page: Page, js_literal: str) -> bool:
    return bool(page.evaluate(f"document.getElementById('answer').value === {js_literal}"))


def test_unstorable_answer__refused_in_plain_words__draft_kept__no_reconnect_loop(
    web: tuple[Stack, int],
) -> None:
    running, port = web
    created = make_interview(question_count=2)
    url = f"http://127.0.0.1:{port}{created.invite_path}"
    with candidate_browser(url, chromium_path()) as (page, log):
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.expect_banner("connected")
        expect(cp.box).to_be_enabled(timeout=WAIT_MS)
        page.evaluate(
            f"""() => {{
                const box = document.getElementById('answer');
                box.value = {BAD_TEXT_JS};
                box.dispatchEvent(new Event('input'));
            }}"""
        )
        cp.send.click()
        page.wait_for_timeout(LOOP_WINDOW_MS)
        opened = _sockets_opened(log)
        assert opened == 1, f"{opened} sockets opened: the page reconnected in a loop"

        cp.expect_banner("notice")
        expect(cp.banner).to_contain_text("cannot be saved", timeout=WAIT_MS)
        expect(cp.banner).to_contain_text("“surrogate”", timeout=WAIT_MS)
        assert _composer_holds(page, BAD_TEXT_JS), "the draft is back in the answer box"
        expect(cp.answers, "the refused answer is not shown as sent").to_have_count(0)
        stored = page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':pending'))")
        assert stored == [], "the refused answer is no longer queued for re-sending"

        # The candidate fixes the text; it goes through on the same socket.
        cp.box.fill("surrogate fixed here")
        cp.submit()
        cp.expect_acknowledged("surrogate fixed here")
        assert _sockets_opened(log) == 1
    assert "Exception in ASGI application" not in running.logs_text()


def _die_after_welcome(ws: WebSocketRoute) -> None:
    """Pass frames through, but drop the page's socket the moment its `welcome` arrives."""
    server = ws.connect_to_server()
    ws.on_message(lambda message: server.send(message))

    def from_server(message: str | bytes) -> None:
        ws.send(message)
        if isinstance(message, str) and '"type": "welcome"' in message:
            ws.close(code=1011, reason="dies after welcome")
            server.close()

    server.on_message(from_server)


def test_connection_dying_right_after_welcome__back_off_grows_instead_of_resetting(
    web: tuple[Stack, int],
) -> None:
    _, port = web
    created = make_interview(question_count=2)
    url = f"http://127.0.0.1:{port}{created.invite_path}"
    with candidate_browser(url, chromium_path()) as (page, _log):
        page.route_web_socket(re.compile(r".*/ws/interviews/.*"), _die_after_welcome)
        page.reload(wait_until="domcontentloaded")  # the route applies to new sockets
        cp = CandidatePage(page)
        # Back-off doubles from 0.5 s (full jitter): attempt 5 is at most 0.5+1+2+4+8 s away.
        # Reset on every welcome, the banner never shows more than "attempt 1".
        # Attempt 5 or later: a loaded machine may poll the banner after it moved on.
        expect(cp.banner).to_contain_text(re.compile(r"\(attempt ([5-9]|\d{2,})\)"), timeout=40_000)
        assert page.evaluate("window.__interview.attempt") >= 5


def _fail_first_answer(ws: WebSocketRoute) -> None:
    """Pass frames through, except the first answer of the page's first socket: answered as the
    server answers an unexpected error (an `internal_error` frame, then close 1011)."""
    server = ws.connect_to_server()
    server.on_message(lambda message: ws.send(message))
    first_socket = not _fail_first_answer.used  # type: ignore[attr-defined]
    _fail_first_answer.used = True  # type: ignore[attr-defined]

    def from_page(message: str | bytes) -> None:
        if first_socket and isinstance(message, str) and '"type":"answer"' in message:
            ws.send(
                '{"type":"error","code":"internal_error","retryable":false,'
                '"message":"Something went wrong on our side. Reconnecting; your saved answers'
                ' are safe."}'
            )
            ws.close(code=1011, reason="internal error")
            server.close()
            return
        server.send(message)

    ws.on_message(from_page)


def test_answer_met_by_an_internal_error__draft_back_and_explained_after_the_reconnect(
    web: tuple[Stack, int],
) -> None:
    _, port = web
    created = make_interview(question_count=2)
    url = f"http://127.0.0.1:{port}{created.invite_path}"
    _fail_first_answer.used = False  # type: ignore[attr-defined]
    with candidate_browser(url, chromium_path()) as (page, log):
        page.route_web_socket(re.compile(r".*/ws/interviews/.*"), _fail_first_answer)
        page.reload(wait_until="domcontentloaded")
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.type_answer("An answer the server choked on")
        cp.send.click()
        for _ in range(300):  # the page reconnects after 1011
            if _sockets_opened(log) >= 2:
                break
            page.wait_for_timeout(100)
        assert _sockets_opened(log) >= 2, "the page reconnected after 1011"
        cp.expect_banner("notice")  # after the new socket's welcome
        expect(cp.banner).to_contain_text("Something went wrong on our side", timeout=WAIT_MS)
        expect(cp.box).to_have_value("An answer the server choked on", timeout=WAIT_MS)
        expect(cp.answers, "not shown as sent").to_have_count(0)
        cp.submit()
        cp.expect_acknowledged("An answer the server choked on")
