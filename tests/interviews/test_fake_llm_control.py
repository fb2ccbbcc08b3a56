"""The fake LLM's control endpoint (`POST`/`GET /_control`) and the `fake_llm` management
command. No database needed."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from interviews.fake_llm import server as fake_server
from interviews.fake_llm.server import ControlError, FakeLLMHandle, run_fake_llm_in_thread
from interviews.management.commands import fake_llm
from tests.interviews.fake_llm_client import (
    PROJECT_ROOT,
    ask,
    call,
    question_prompt,
    reply_text,
)
from tests.interviews.llm_support import TEST_PORTS
from tests.waiting import wait_for

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
        *("--trickle-ms", "120"),
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
        "trickle_ms": 120.0,
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

        wait_for(answers, 15, "manage.py fake_llm to answer")
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
