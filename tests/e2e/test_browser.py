"""The candidate page in a real Chromium against real uvicorn, PostgreSQL, Redis and Celery.

A candidate types every answer, the web server is restarted twice mid-interview (once right
after an answer is stored, once with an answer sent while it is down), and the transcript the
page shows must equal the one in the database: no turn lost, none repeated.

Playwright's sync API marks its event loop as running between calls, which Django's ORM refuses
(SynchronousOnlyOperation), so the database is only read before the browser starts and after it
has closed.
"""

import re
from pathlib import Path
from typing import TypeVar

import pytest
import redis
from playwright.sync_api import expect

from interviews.models import Evaluation, Interview, InterviewStatus, Turn
from tests.e2e.browser import (
    PHONE,
    RECONNECT_WAIT_MS,
    WAIT_MS,
    CandidatePage,
    candidate_browser,
    chromium_path,
    describe,
    shown_text,
    transcript,
)
from tests.e2e.stack import Proc, Stack, base_env, database_url, free_port, stack, stop
from tests.factories import make_interview
from tests.waiting import wait_for

T = TypeVar("T")

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

QUESTIONS = 3
MAX_ANSWERS = QUESTIONS * 2  # at most one follow-up per question
ANSWER = (
    "Answer {n}: I would profile first to find the real bottleneck, then fix the algorithm, "
    "for example replacing a nested loop with a dictionary lookup. I add tests and benchmarks "
    "so behaviour stays the same, and weigh memory use against readability."
)


class Restarts:
    """The web server, stopped by its pid and started again on the same port."""

    def __init__(self, running: Stack, port: int) -> None:
        self.running = running
        self.port = port
        self.count = 1
        self.web: Proc = running.uvicorn(port, name="web-1")

    def stop(self) -> None:
        stop(self.web)

    def start(self) -> None:
        self.count += 1
        self.web = self.running.uvicorn(self.port, name=f"web-{self.count}")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_candidate_in_chromium__survives_two_server_restarts__and_is_evaluated(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    executable = chromium_path()
    broker = redis_url  # the run's broker database, flushed: no task of an earlier test
    redis.Redis.from_url(broker).flushdb()
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=broker,
        VAR_DIR=str(tmp_path / "var"),
    )
    port = free_port()
    created = make_interview(
        question_count=QUESTIONS, candidate_name="Grace Hopper", role="Backend engineer"
    )
    url = f"http://127.0.0.1:{port}{created.invite_path}"
    sent: list[str] = []  # every answer typed, in order
    sent_offline = ""  # the answer sent while the server was down, and its client_msg_id
    offline_msg_id = ""

    with stack(env, tmp_path) as running:
        server = Restarts(running, port)
        running.celery_worker()
        with candidate_browser(url, executable) as (page, log):
            cp = CandidatePage(page)
            cp.expect_prompts(1)
            cp.expect_progress(1)
            cp.expect_banner("connected")

            for n in range(1, MAX_ANSWERS + 1):
                if cp.last_prompt_kind() == "completed":
                    break
                text = ANSWER.format(n=n)
                prompts = cp.prompts.count()
                if n == 1:
                    cp.type_answer(text)
                    cp.submit()
                    cp.expect_acknowledged(text)
                    # The server goes away right after the answer is stored: the next turn
                    # may or may not have been generated, and must come either way.
                    server.stop()
                    cp.expect_banner("reconnecting")
                    server.start()
                    cp.expect_banner("connected", timeout=RECONNECT_WAIT_MS)
                elif n == 2:
                    cp.type_answer(text)
                    cp.submit(keyboard=True)
                    cp.expect_acknowledged(text)
                elif n == 3:
                    server.stop()
                    cp.expect_banner("reconnecting")
                    cp.type_answer(text)
                    cp.submit()
                    bubble = cp.bubble(text)
                    expect(bubble, "the offline answer waits as 'sending'").to_have_attribute(
                        "data-status", "sending", timeout=WAIT_MS
                    )
                    offline_msg_id = bubble.get_attribute("data-client-msg-id") or ""
                    sent_offline = text
                    cp.screenshot("browser-phone-reconnecting.png", PHONE, in_view=bubble)
                    server.start()
                    cp.expect_acknowledged(text, timeout=RECONNECT_WAIT_MS)
                    cp.expect_banner(re.compile("^(connected|completed)$"))
                else:
                    cp.type_answer(text)
                    cp.submit()
                    cp.expect_acknowledged(text)
                sent.append(text)
                cp.expect_prompts(prompts + 1)
                cp.expect_progress(cp.questions.count())
                if n == 2:
                    cp.screenshot("browser-phone-mid-interview.png", PHONE, in_view=cp.prompts.last)
            expect(
                cp.prompts.last, f"completed after at most {MAX_ANSWERS} answers"
            ).to_have_attribute("data-kind", "completed", timeout=WAIT_MS)
            cp.expect_banner("completed")
            expect(cp.banner).to_contain_text("Interview complete", timeout=WAIT_MS)
            cp.expect_progress(QUESTIONS)
            expect(cp.box).to_be_disabled(timeout=WAIT_MS)
            cp.screenshot("browser-finished.png", in_view=cp.prompts.last)
            rows = transcript(page)
            page_errors = list(log.errors)

        # The browser is closed: the ORM may be used again. Still inside stack(), so a failure
        # below prints the server logs too.
        turns = list(
            Turn.objects.filter(interview=created.interview)
            .order_by("seq")
            .values("seq", "kind", "text", "client_msg_id")
        )
        evaluation = wait_for(
            lambda: Evaluation.objects.filter(interview=created.interview, status="done").first(),
            120,
            "the evaluation to be done",
        )

        shown = describe(rows)
        assert not page_errors, f"uncaught errors in the page: {page_errors}"
        assert all(row["status"] in ("", "sent") for row in rows), f"unsettled answer:\n{shown}"
        seqs = [row["seq"] for row in rows]
        assert seqs == [t["seq"] for t in turns], f"page and database differ:\n{shown}\n{turns}"
        assert seqs == list(range(1, len(turns) + 1)), f"gap or repeat:\n{shown}"
        for row, turn in zip(rows, turns, strict=True):
            if turn["kind"] == "system":  # the page words the end of the interview itself
                assert row["kind"] == "completed", shown
            else:
                assert (row["kind"], row["text"]) == (
                    turn["kind"],
                    shown_text(turn["kind"], turn["text"]),
                ), shown
        assert [t["text"] for t in turns if t["kind"] == "answer"] == sent, (
            "each answer stored once"
        )
        assert sent_offline in sent
        offline = [t for t in turns if str(t["client_msg_id"]) == offline_msg_id]
        assert [t["text"] for t in offline] == [sent_offline], "the offline answer, stored once"

        assert Interview.objects.get(pk=created.interview.pk).status == InterviewStatus.COMPLETED
        assert evaluation.overall_score is not None
