"""Requests to the fake LLM the way the real OpenAI and Anthropic clients send them, and the
checks that its replies have each provider's real shape (shared by the test_fake_llm_* files).
The `fake` fixture (tests/interviews/conftest.py) is the module's server, reset per test."""

import json
from pathlib import Path
from typing import Any

import httpx

from interviews.fake_llm.server import FakeLLMHandle

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DIALECTS = ("openai", "anthropic")
RECOMMENDATIONS = {"strong_hire", "hire", "lean_no", "no_hire"}


def call(
    fake: FakeLLMHandle,
    dialect: str,
    content: Any,
    *,
    key: str | None = "test-key",
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """One request the way the real OpenAI / Anthropic clients send it."""
    if dialect == "openai":
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        body: dict[str, Any] = {
            "model": "gpt-4o-mini",
            "temperature": 0.2,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": "You are a technical interviewer."},
                {"role": "user", "content": content},
            ],
        }
        path = "/v1/chat/completions"
    else:
        headers = {"anthropic-version": "2023-06-01"}
        if key is not None:
            headers["x-api-key"] = key
        body = {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "You are a technical interviewer.",
            "messages": [{"role": "user", "content": content}],
        }
        path = "/v1/messages"
    return (client or fake.client).post(path, headers=headers, json=body, timeout=timeout)


def reply_text(dialect: str, response: httpx.Response) -> str:
    """The assistant's text, after checking the envelope is the provider's real shape."""
    assert response.status_code == 200, response.text
    data = response.json()
    if dialect == "openai":
        assert data["id"].startswith("chatcmpl-")
        assert data["object"] == "chat.completion"
        assert isinstance(data["created"], int)
        assert data["model"] == "gpt-4o-mini"
        [choice] = data["choices"]
        assert choice["index"] == 0
        assert choice["finish_reason"] == "stop"
        assert choice["message"]["role"] == "assistant"
        usage = data["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        text = choice["message"]["content"]
    else:
        assert data["id"].startswith("msg_")
        assert (data["type"], data["role"]) == ("message", "assistant")
        assert data["model"] == "claude-sonnet-4-5"
        assert data["stop_reason"] == "end_turn"
        assert data["usage"]["input_tokens"] > 0
        assert data["usage"]["output_tokens"] > 0
        [block] = data["content"]
        assert block["type"] == "text"
        text = block["text"]
    assert isinstance(text, str)
    assert text
    return text


def ask(fake: FakeLLMHandle, dialect: str, prompt: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        reply_text(dialect, call(fake, dialect, json.dumps(prompt)))
    )
    return document


def question_prompt(**overrides: Any) -> dict[str, Any]:
    prompt = {
        "task": "generate_question",
        "role": "backend engineer",
        "topic": "PostgreSQL indexing",
        "difficulty": "medium",
        "language": "en",
        "index": 1,
        "total": 5,
        "previous_questions": [],
    }
    return prompt | overrides


LONG_ANSWER = (
    "  I would start with a B-tree index on the lookup column.  Then I would check the plan "
    "with EXPLAIN ANALYZE to confirm the index is used, watch for sequential scans on large "
    "tables, and consider partial or covering indexes when only a subset of rows is queried. "
    "Write amplification matters too, so every extra index has to earn its keep on a busy "
    "table, and I would measure insert latency before and after adding one. Finally I would "
    "keep statistics fresh with ANALYZE, because a stale estimate makes the planner ignore "
    "a perfectly good index, and I would review unused indexes every quarter."
)
