"""The interview page in a real Chromium against a real uvicorn: nothing typed is lost (draft
restored on reload, leaving asks first, an over-long paste refused with a message), the
connection state follows the browser's offline and online events, questions' Markdown is
rendered and nothing else is, and focus and announcements follow new questions."""

import re

import pytest
from playwright.sync_api import Dialog, WebSocketRoute, expect

from interviews.models import Turn
from tests.e2e.browser import WAIT_MS, CandidatePage, artifact
from tests.e2e.journey import SIZES, browser, started, web
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]
__all__ = ["web"]  # the fixture, used by name

DRAFT = "A half-written answer: I would start by profiling the\nslow endpoint, then"


@pytest.mark.parametrize("size", SIZES)
def test_draft__restored_after_reload__and_leaving_with_it_asks_first(
    web: tuple[Stack, str], size: str
) -> None:
    _, base = web
    created = started(question_count=2)
    dialogs: list[str] = []
    with browser(size) as page:

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.type)
            dialog.accept()

        page.on("dialog", on_dialog)
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.box.click()
        cp.box.press_sequentially(DRAFT)
        page.reload()
        cp.expect_prompts(1)
        expect(cp.box).to_have_value(DRAFT)
        expect(cp.box).to_be_enabled()
        page.screenshot(path=artifact(f"journey-draft-restored-{size}.png"))
    assert dialogs == ["beforeunload"], "leaving with text in the box asks first"


@pytest.mark.parametrize("size", SIZES)
def test_paste_beyond_the_limit__refused_with_a_visible_message__never_cut(
    web: tuple[Stack, str], size: str
) -> None:
    _, base = web
    created = started(question_count=2)
    with browser(size) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.box.click()
        cp.box.press_sequentially("Intro. ")
        page.evaluate("t => navigator.clipboard.writeText(t)", "word " * 2000)  # 10,000
        cp.box.press("Control+V")
        message = page.get_by_test_id("answer-limit")
        expect(message).to_be_visible()
        expect(message).to_contain_text("Not pasted")
        expect(message).to_contain_text("8,000")
        expect(cp.box).to_have_value("Intro. ")
        page.screenshot(path=artifact(f"journey-paste-refused-{size}.png"))
        page.evaluate("t => navigator.clipboard.writeText(t)", "fits within the limit")
        cp.box.press("Control+V")
        expect(cp.box).to_have_value("Intro. fits within the limit")
        expect(message).to_be_hidden()


@pytest.mark.parametrize("size", SIZES)
def test_offline__banner_says_so_at_once__the_answer_waits__online_sends_it(
    web: tuple[Stack, str], size: str
) -> None:
    _, base = web
    created = started(question_count=2)
    answer = "Sent while offline: profile first, then fix the algorithm."
    with browser(size) as page:
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.expect_banner("connected")
        page.context.set_offline(True)
        cp.expect_banner("offline", timeout=3_000)
        expect(cp.banner).to_contain_text("offline")
        cp.type_answer(answer)
        cp.submit()
        expect(cp.bubble(answer)).to_have_attribute("data-status", "sending")
        page.wait_for_timeout(1_500)
        cp.expect_banner("offline")  # not "Connected." while nothing can be sent
        page.screenshot(path=artifact(f"journey-offline-{size}.png"))
        page.context.set_offline(False)
        cp.expect_acknowledged(answer)
        cp.expect_banner(re.compile("connected|degraded"))


def test_markdown__subset_rendered__hostile_markup_shown_as_text(web: tuple[Stack, str]) -> None:
    _, base = web
    question = (
        "Explain `@staticmethod` versus *class* methods, **briefly**:\n\n"
        "```python\nclass A:\n    @staticmethod\n    def f(x): return x < 1\n```\n\n"
        "- when would you use one?\n- when not?\n\n"
        '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
        "[link](javascript:window.__xss=3)"
    )
    created = started(question_count=2, text=question)
    with browser("desktop") as page:
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        body = cp.questions.first.locator(".msg-text")
        expect(body.locator("p code").first).to_have_text("@staticmethod")
        expect(body.locator("em")).to_have_text("class")
        expect(body.locator("strong")).to_have_text("briefly")
        expect(body.locator("pre code")).to_contain_text("def f(x): return x < 1")
        expect(body.locator("ul li")).to_have_count(2)
        expect(body).to_contain_text('<img src=x onerror="window.__xss=1">')
        expect(body.locator("img, script, a, [onerror]")).to_have_count(0)
        page.screenshot(path=artifact("journey-markdown-desktop.png"))
        assert page.evaluate("window.__xss") is None


@pytest.mark.parametrize("size", SIZES)
def test_focus__moves_to_the_box_on_each_question__ctrl_enter_sends__questions_announced(
    web: tuple[Stack, str], size: str
) -> None:
    _, base = web
    created = started(question_count=2)
    answer = (
        "I would profile first to find the bottleneck, replace the nested loop with a "
        "dictionary lookup, and add a benchmark so the gain is measured and kept."
    )
    with browser(size) as page:
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        expect(cp.box).to_be_focused()
        expect(page.get_by_test_id("announcer")).to_contain_text("Question 1 of 2")
        page.keyboard.type(answer)
        page.keyboard.press("Control+Enter")
        cp.expect_acknowledged(answer)
        cp.expect_prompts(2, timeout=WAIT_MS)
        expect(cp.box).to_be_focused()
        expect(page.get_by_test_id("announcer")).to_contain_text(
            re.compile("Question 2 of 2|Follow-up question")
        )


RECORD_BANNERS = """
window.__banners = [];
new MutationObserver(() => {
  const b = document.getElementById('banner');
  if (b) window.__banners.push(b.dataset.state + ': ' + b.textContent);
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""


def test_send_timeout__an_answer_never_acknowledged_reconnects__and_is_stored_once(
    web: tuple[Stack, str],
) -> None:
    _, base = web
    created = started(question_count=2)
    answer = "Lost on the way the first time: profile first, then fix the algorithm."
    dropped: list[str] = []

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            # The first answer frame vanishes, as on a link that died without closing.
            if '"answer"' in str(message) and not dropped:
                dropped.append(str(message))
                return
            server.send(message)

        ws.on_message(from_page)

    with browser("desktop") as page:
        page.add_init_script(RECORD_BANNERS)
        page.route_web_socket(re.compile(r"/ws/interviews/"), route)
        page.goto(base + created.invite_path)
        cp = CandidatePage(page)
        cp.expect_prompts(1)
        cp.type_answer(answer)
        cp.submit()
        cp.expect_acknowledged(answer, timeout=30_000)
        banners: list[str] = page.evaluate("window.__banners")
    assert len(dropped) == 1
    assert any(b.startswith("reconnecting: No reply from the server") for b in banners), banners
    assert Turn.objects.filter(interview_id=created.interview.pk, text=answer).count() == 1
