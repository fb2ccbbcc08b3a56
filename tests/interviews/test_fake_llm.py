"""The fake LLM server over real HTTP: provider shapes, the prompt contract, every fault mode,
the control endpoint and the management command. No database needed."""

import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from interviews.llm import fake_content, fake_server
from interviews.llm.fake_server import ControlError, FakeLLMHandle, run_fake_llm_in_thread
from interviews.management.commands import fake_llm

# Test servers stay inside this range so they never land on a port a developer's own
# services (runserver, a drill's fake_llm on 8088, ...) are using.
TEST_PORTS = range(18080, 18100)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DIALECTS = ("openai", "anthropic")
RECOMMENDATIONS = {"strong_hire", "hire", "lean_no", "no_hire"}


def _start(stack: contextlib.ExitStack, **options: Any) -> FakeLLMHandle:
    for port in TEST_PORTS:
        try:
            return stack.enter_context(run_fake_llm_in_thread(port=port, **options))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    pytest.fail(f"no free port in {TEST_PORTS}")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMHandle]:
    with contextlib.ExitStack() as stack:
        yield _start(stack)


@pytest.fixture
def fake(server: FakeLLMHandle) -> FakeLLMHandle:
    server.control(
        mode="ok", latency_ms=0, fail_rate=1.0, retry_after=1, seed=None, reset_counts=True
    )
    return server


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


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


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


# --- the prompt contract, in both provider shapes ------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generate_question_is_schema_valid_in_both_shapes(
    fake: FakeLLMHandle, dialect: str
) -> None:
    document = ask(fake, dialect, question_prompt())

    assert set(document) == {"question", "rubric"}
    assert "PostgreSQL indexing" in document["question"]
    assert 3 <= len(document["rubric"]) <= 4
    assert all(isinstance(point, str) and point for point in document["rubric"])


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_questions_vary_by_index_and_avoid_previous_questions(
    fake: FakeLLMHandle, difficulty: str
) -> None:
    asked: list[str] = []
    for index in range(1, 6):
        prompt = question_prompt(difficulty=difficulty, index=index, previous_questions=asked)
        asked.append(ask(fake, "openai", prompt)["question"])
    assert len(set(asked)) == 5

    # Even when the index points at a question already asked, it is not asked again.
    repeat = ask(
        fake, "openai", question_prompt(difficulty=difficulty, previous_questions=asked[:1])
    )
    assert repeat["question"] != asked[0]


def test_difficulty_changes_the_question(fake: FakeLLMHandle) -> None:
    easy = ask(fake, "openai", question_prompt(difficulty="easy"))["question"]
    hard = ask(fake, "openai", question_prompt(difficulty="hard"))["question"]
    assert easy != hard


def test_anthropic_text_blocks_with_fenced_json_are_understood(fake: FakeLLMHandle) -> None:
    blocks = [
        {"type": "text", "text": "Here is the task:"},
        {"type": "text", "text": "```json\n" + json.dumps(question_prompt()) + "\n```"},
    ]
    document = json.loads(reply_text("anthropic", call(fake, "anthropic", blocks)))
    assert "PostgreSQL indexing" in document["question"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_follow_up_only_for_thin_answers(fake: FakeLLMHandle, dialect: str) -> None:
    base = {"task": "follow_up", "question": "What is an index?", "rubric": ["Explains B-trees"]}

    thin = ask(fake, dialect, base | {"answer": "It makes queries faster."})
    full = ask(fake, dialect, base | {"answer": LONG_ANSWER})

    assert isinstance(thin["follow_up"], str)
    assert "?" in thin["follow_up"]
    assert full == {"follow_up": None}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_evaluate_quotes_evidence_verbatim_and_scores_by_length(
    fake: FakeLLMHandle, dialect: str
) -> None:
    answers = {
        1: "",
        2: "Indexes speed up reads.",
        3: "An index is a separate structure that maps values to rows. It avoids scanning the "
        "whole table, which matters once tables grow past memory.",
        4: LONG_ANSWER,
    }
    prompt = {
        "task": "evaluate",
        "role": "backend engineer",
        "topic": "PostgreSQL indexing",
        "difficulty": "medium",
        "answers": [
            {"index": i, "question": f"Q{i}", "rubric": ["a", "b", "c"], "answer": text}
            for i, text in answers.items()
        ],
    }

    result = ask(fake, dialect, prompt)

    by_index = {q["index"]: q for q in result["questions"]}
    assert set(by_index) == set(answers)
    for index, question in by_index.items():
        assert isinstance(question["score"], int)
        assert 1 <= question["score"] <= 5
        assert isinstance(question["rationale"], str)
        assert question["rationale"]
        for quote in question["evidence"]:
            assert quote
            assert len(quote) <= 200
            assert quote in answers[index]
    assert by_index[1]["score"] == 1
    assert by_index[1]["evidence"] == []
    assert by_index[4]["evidence"] == ["I would start with a B-tree index on the lookup column."]
    scores = [by_index[i]["score"] for i in sorted(answers)]
    assert scores[0] < scores[1] < scores[2] < scores[3]  # the answers grow longer
    assert isinstance(result["overall_score"], float)
    assert 1.0 <= result["overall_score"] <= 5.0
    assert result["recommendation"] in RECOMMENDATIONS
    assert all(isinstance(item, str) for item in result["strengths"] + result["concerns"])


@given(st.text(max_size=600))
def test_evidence_is_always_a_verbatim_substring(answer: str) -> None:
    [question] = fake_content.evaluate({"answers": [{"index": 1, "answer": answer}]})["questions"]
    for quote in question["evidence"]:
        assert quote
        assert len(quote) <= fake_content.MAX_QUOTE_CHARS
        assert quote in answer
    if not answer.strip():
        assert question["score"] == 1
        assert question["evidence"] == []


@pytest.mark.parametrize(
    "content", ["Hello, how are you?", json.dumps({"task": "write_poem", "topic": "SQL"})]
)
def test_plain_or_unknown_prompts_get_a_plain_text_reply(fake: FakeLLMHandle, content: str) -> None:
    text = reply_text("openai", call(fake, "openai", content))
    with pytest.raises(ValueError, match="Expecting value"):
        json.loads(text)
    assert fake.status()["by_task"] == {"other": 1}


# --- what a real provider would refuse ------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dXNlcjpwYXNz"])
def test_openai_without_bearer_key_is_401_in_openai_shape(
    fake: FakeLLMHandle, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    response = fake.client.post("/v1/chat/completions", headers=headers, json=body)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]


def test_anthropic_without_api_key_is_401_in_anthropic_shape(fake: FakeLLMHandle) -> None:
    response = call(fake, "anthropic", "hi", key=None)
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"


def test_requests_a_provider_would_reject_are_400(fake: FakeLLMHandle) -> None:
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    no_max_tokens = {"model": "claude", "messages": [{"role": "user", "content": "hi"}]}
    response = fake.client.post("/v1/messages", headers=headers, json=no_max_tokens)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("max_tokens")

    response = fake.client.post(
        "/v1/chat/completions", headers={"Authorization": "Bearer k"}, content=b"{not json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


# --- fault modes ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_error500_mode_answers_500_with_a_provider_error(fake: FakeLLMHandle, dialect: str) -> None:
    fake.control(mode="error500")
    response = call(fake, dialect, json.dumps(question_prompt()))
    assert response.status_code == 500
    body = response.json()
    if dialect == "openai":
        assert body["error"]["type"] == "server_error"
    else:
        assert body["type"] == "error"
        assert body["error"]["type"] == "api_error"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rate_limit_mode_answers_429_with_retry_after(fake: FakeLLMHandle, dialect: str) -> None:
    fake.control(mode="rate_limit")
    response = call(fake, dialect, "hi")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"

    fake.control(retry_after=7)
    assert call(fake, dialect, "hi").headers["Retry-After"] == "7"


def test_hang_is_cut_by_the_client_timeout_and_ok_answers_right_after(fake: FakeLLMHandle) -> None:
    fake.control(mode="hang")
    with pytest.raises(httpx.TimeoutException):
        call(fake, "openai", "hi", timeout=0.5)
    # The control endpoint answers while a request is held.
    assert fake.status()["mode"] == "hang"

    fake.control(mode="ok")
    assert reply_text("openai", call(fake, "openai", "hi", timeout=5))
    wait_until(lambda: fake.status()["hanging"] == 0, "the abandoned request to be let go")
    assert fake.status()["by_outcome"] == {"abandoned": 1, "ok": 1}


@pytest.mark.parametrize(("new_mode", "status"), [("ok", 200), ("error500", 500)])
def test_held_request_answers_in_the_new_mode_when_the_mode_changes(
    fake: FakeLLMHandle, new_mode: str, status: int
) -> None:
    fake.control(mode="hang")
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(call, fake, "anthropic", "hi", timeout=10)
        wait_until(lambda: fake.status()["hanging"] == 1, "the request to be held")
        fake.control(mode=new_mode)
        response = held.result(timeout=10)
    assert response.status_code == status


def test_shutdown_releases_held_requests() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool, httpx.Client(timeout=10) as own_client:
        with contextlib.ExitStack() as stack:
            own = _start(stack, mode="hang")
            own_client.base_url = httpx.URL(own.base_url)
            held = pool.submit(call, own, "openai", "hi", client=own_client)
            wait_until(lambda: own.status()["hanging"] == 1, "the request to be held")
            stopping = time.monotonic()
        # uvicorn's own graceful-shutdown backstop is 5 s; a release is far quicker.
        assert time.monotonic() - stopping < 4
        response = held.result(timeout=10)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_malformed_mode_returns_content_that_does_not_parse(
    fake: FakeLLMHandle, dialect: str
) -> None:
    fake.control(mode="malformed")
    text = reply_text(dialect, call(fake, dialect, json.dumps(question_prompt())))
    with pytest.raises(ValueError, match="Expecting value"):
        json.loads(text)
    # Not even a lenient client that cuts out the outermost {...} gets a document.
    with pytest.raises(ValueError, match="Expecting"):
        json.loads(text[text.find("{") : text.rfind("}") + 1])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_drop_mode_closes_the_connection_without_a_response(
    fake: FakeLLMHandle, dialect: str
) -> None:
    fake.control(mode="drop")
    with pytest.raises(httpx.RemoteProtocolError):
        call(fake, dialect, "hi")
    fake.control(mode="ok")
    assert reply_text(dialect, call(fake, dialect, "hi"))


def _statuses(fake: FakeLLMHandle, count: int) -> list[int]:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": "Bearer k"}
    path = "/v1/chat/completions"
    return [fake.client.post(path, headers=headers, json=body).status_code for _ in range(count)]


def test_fail_rate_applies_the_fault_to_about_that_share_of_requests(fake: FakeLLMHandle) -> None:
    fake.control(mode="error500", fail_rate=0.5, seed=1234)
    statuses = _statuses(fake, 200)

    failures = statuses.count(500)
    assert failures + statuses.count(200) == 200
    # Binomial(200, 0.5): mean 100, sd ~7; this band is over 5 sd wide on each side.
    assert 60 <= failures <= 140
    assert fake.status()["by_outcome"] == {"ok": 200 - failures, "error500": failures}

    fake.control(seed=1234)
    assert _statuses(fake, 200) == statuses  # a seeded run replays exactly


def test_fail_rate_zero_never_applies_the_fault(fake: FakeLLMHandle) -> None:
    fake.control(mode="drop", fail_rate=0)
    assert _statuses(fake, 20) == [200] * 20


@pytest.mark.parametrize("mode", ["ok", "error500"])
def test_latency_delays_every_answer(fake: FakeLLMHandle, mode: str) -> None:
    fake.control(mode=mode, latency_ms=300)
    started = time.monotonic()
    call(fake, "openai", "hi")
    assert time.monotonic() - started >= 0.25


# --- the control endpoint -------------------------------------------------------------------


def test_control_round_trip_counts_requests_and_resets(fake: FakeLLMHandle) -> None:
    control = "/_control"
    ask(fake, "openai", question_prompt())
    ask(fake, "anthropic", {"task": "follow_up", "question": "Q", "rubric": [], "answer": "no"})
    call(fake, "openai", "small talk")

    status = fake.client.get(control).json()
    assert status["requests"] == 3
    assert status["by_path"] == {"/v1/chat/completions": 2, "/v1/messages": 1}
    assert status["by_task"] == {"generate_question": 1, "follow_up": 1, "other": 1}

    changes = {"mode": "rate_limit", "latency_ms": 5, "fail_rate": 0.25, "retry_after": 3}
    changed = fake.client.post(control, json=changes)
    assert changed.status_code == 200
    assert changed.json() == fake.client.get(control).json()
    assert {k: changed.json()[k] for k in changes} == changes
    assert changed.json()["requests"] == 3

    reset = fake.client.post(control, json={"reset_counts": True}).json()
    assert (reset["requests"], reset["by_path"], reset["by_task"]) == (0, {}, {})
    assert reset["mode"] == "rate_limit"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"mode": "explode"}', "mode"),
        (b'{"fail_rate": 1.5}', "fail_rate"),
        (b'{"fail_rate": "0.5"}', "fail_rate"),
        (b'{"latency_ms": -1}', "latency_ms"),
        (b'{"retry_after": -2}', "retry_after"),
        (b'{"colour": "red"}', "colour"),
        (b'{"mode": "error500", "fail_rate": 7}', "fail_rate"),
        (b"not json", None),
        (b"[1, 2]", None),
        (b"", None),
    ],
)
def test_bad_control_input_is_400_and_changes_nothing(
    fake: FakeLLMHandle, body: bytes, field: str | None
) -> None:
    response = fake.client.post("/_control", content=body)
    assert response.status_code == 400
    error = response.json()
    assert isinstance(error["error"], str)
    assert error["error"]
    assert error.get("field") == field
    assert fake.status()["mode"] == "ok"  # all or nothing: a half-valid change is not applied


def test_handle_control_raises_control_error_with_the_server_message(fake: FakeLLMHandle) -> None:
    with pytest.raises(ControlError, match="between 0 and 1"):
        fake.control(fail_rate=2)


def test_helper_rejects_bad_options_before_starting() -> None:
    with (
        pytest.raises(ControlError, match="mode must be one of"),
        run_fake_llm_in_thread(mode="sometimes"),
    ):
        pass


# --- the management command -----------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stands in for the blocking server so argument handling can be checked on its own."""
    calls: list[dict[str, Any]] = []

    def fake_serve(host: str, port: int, **kwargs: Any) -> None:
        calls.append({"host": host, "port": port, **kwargs})

    monkeypatch.setattr(fake_server, "serve", fake_serve)
    return calls


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--mode", "bogus"], "--mode: mode must be one of ok, error500"),
        (["--fail-rate", "1.5"], "--fail-rate: fail_rate must be a finite number between 0 and 1"),
        (["--fail-rate", "-0.1"], "--fail-rate"),
        (["--fail-rate", "nan"], "--fail-rate"),
        (["--fail-rate", "half"], "invalid float value"),
        (["--latency-ms", "-5"], "--latency-ms: latency_ms must be a finite number >= 0"),
        (["--retry-after", "-1"], "--retry-after"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
    ],
)
def test_command_rejects_bad_arguments(
    served: list[dict[str, Any]], argv: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(fake_llm.Command(), *argv)
    assert served == []


def test_command_passes_checked_options_to_the_server(served: list[dict[str, Any]]) -> None:
    call_command(
        fake_llm.Command(),
        *("--port", "18099", "--mode", "rate_limit", "--fail-rate", "0.3"),
        *("--latency-ms", "250", "--retry-after", "4", "--seed", "9", "--no-access-log"),
    )
    [options] = served
    assert {k: v for k, v in options.items() if k != "on_ready"} == {
        "host": "127.0.0.1",
        "port": 18099,
        "access_log": False,
        "mode": "rate_limit",
        "fail_rate": 0.3,
        "latency_ms": 250.0,
        "retry_after": 4,
        "seed": 9,
    }


def _free_test_port() -> int:
    for port in TEST_PORTS:
        with contextlib.suppress(OSError), socket.create_server(("127.0.0.1", port)):
            return port
    pytest.fail(f"no free port in {TEST_PORTS}")


def test_manage_py_fake_llm_serves_and_exits_when_terminated() -> None:
    port = _free_test_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "fake_llm", "--port", str(port), "--no-access-log"],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def answers() -> bool:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"fake_llm exited early ({process.returncode}):\n{output}")
            try:
                return httpx.get(f"{base_url}/_control", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(answers, "manage.py fake_llm to answer", timeout=15)
        response = httpx.post(
            f"{base_url}/v1/chat/completions",
            headers={"Authorization": "Bearer k"},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        )
        assert reply_text("openai", response)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
            pytest.fail("fake_llm did not exit within 10 s of SIGTERM")
    # uvicorn stops gracefully, then re-raises the signal so the exit status tells the truth.
    assert process.returncode in (0, -signal.SIGTERM)
