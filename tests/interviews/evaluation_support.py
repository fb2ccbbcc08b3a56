"""Helpers shared by the test_evaluation_* modules (this module holds no tests).

Evaluations go through the real gateway over real HTTP: either the project's fake LLM
(interviews/fake_llm/server.py) or, where a test needs the model to say something specific
(a quote it made up, a score it was talked into), `ScriptedLLM`, a tiny server speaking the
same OpenAI Chat Completions protocol whose reply is computed from the task document it gets.
"""

import contextlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from celery import current_app

from interviews.llm.offline_bank import load_bank
from interviews.models import Interview, InterviewStatus, Turn, TurnKind, TurnRole, TurnSource
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from resilience.breakers.registry import reset_registry
from tests.factories import make_interview
from tests.interviews.llm_support import KEY

Reply = Callable[[dict[str, Any]], dict[str, Any]]


class ScriptedLLM:
    """OpenAI-compatible /v1/chat/completions on 127.0.0.1; `reply(task document) -> object`."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.bodies: list[dict[str, Any]] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                scripted.bodies.append(body)
                document = json.loads(body["messages"][-1]["content"])
                content = json.dumps(scripted.reply(document))
                payload = json.dumps(
                    {
                        "id": f"chatcmpl-{len(scripted.bodies)}",
                        "object": "chat.completion",
                        "model": body.get("model", ""),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextlib.contextmanager
    def running(self) -> Iterator["ScriptedLLM"]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(5)


def use_openai_at(settings: Any, base_url: str) -> None:
    """Evaluate with the OpenAI provider at `base_url` only: no offline interviewer to rescue
    it, fast retries, and a breaker that never opens (the tests count requests)."""
    use_provider_at(settings, "openai", base_url)


def use_provider_at(settings: Any, provider: str, base_url: str) -> None:
    """`use_openai_at` for "openai" or "anthropic" (both dialects are served by the fake)."""
    settings.LLM_PROVIDERS = [provider]
    settings.OPENAI_BASE_URL = f"{base_url}/v1"
    settings.OPENAI_API_KEY = KEY
    settings.ANTHROPIC_BASE_URL = base_url
    settings.ANTHROPIC_API_KEY = KEY
    settings.LLM_TIMEOUT_SECONDS = 2.0
    settings.MAX_RETRY_ATTEMPTS = 3
    settings.RETRY_BASE_DELAY = 0.01
    settings.RETRY_MAX_DELAY = 0.05
    settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
    settings.BREAKERS = {f"llm.{provider}": {"failure_threshold": 1000}}
    reset_registry()


@contextlib.contextmanager
def eager_celery() -> Iterator[None]:
    """Tasks run in-process, retries included (Celery runs an eager retry at once)."""
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = previous


def finished_interview(*answers: str) -> Interview:
    """An interview with one question per answer, each (and its follow-up) answered with that
    text, by the offline interviewer, so no LLM request is spent before the evaluation."""
    interview_id = make_interview(question_count=len(answers)).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    interview = Interview.objects.get(pk=interview_id)
    for _ in range(len(answers) * 2):
        text = answers[interview.current_index - 1]
        interview_answer_submit(interview_id=interview_id, text=text, client_msg_id=uuid.uuid4())
        interview_advance(interview_id=interview_id)
        interview.refresh_from_db()
        if interview.is_finished:
            return interview
    raise AssertionError("interview did not finish within two turns per question")


def interview_answering(*samples: tuple[str, str], topic: str = "python") -> Interview:
    """A finished interview whose question i is bank question samples[i][0] (with its rubric,
    as the offline interviewer stores it) answered with samples[i][1]: any answer to any bank
    question, without walking the interview through a provider."""
    created = make_interview(question_count=len(samples), topic=topic)
    interview = Interview.objects.get(pk=created.interview.pk)
    seq = 0
    for index, (qid, answer) in enumerate(samples, start=1):
        entry = load_bank().by_id[qid]
        rubric = [p.point for p in entry.rubric]
        for kind, role, text, meta in (
            (TurnKind.QUESTION, TurnRole.INTERVIEWER, entry.text, {"rubric": rubric}),
            (TurnKind.ANSWER, TurnRole.CANDIDATE, answer, {}),
        ):
            seq += 1
            Turn.objects.create(
                interview=interview,
                seq=seq,
                role=role,
                kind=kind,
                question_index=index,
                text=text,
                source=TurnSource.OFFLINE if kind == TurnKind.QUESTION else "",
                provider="offline" if kind == TurnKind.QUESTION else "",
                meta=meta,
            )
    Interview.objects.filter(pk=interview.pk).update(
        status=InterviewStatus.COMPLETED, last_seq=seq, current_index=len(samples)
    )
    interview.refresh_from_db()
    return interview
