"""A real uvicorn process builds the interviewer chain at start-up, before serving anyone."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import ROOT, free_port

UVICORN = str(Path(sys.executable).parent / "uvicorn")


def _uvicorn(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [UVICORN, "interviewsite.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_startup__a_bad_llm_configuration_stops_the_process_with_the_reason(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "LLM_PROVIDERS": "gemini", "VAR_DIR": str(tmp_path)}
    proc = _uvicorn(env, free_port())
    try:
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "LLM_PROVIDERS names unknown provider(s) 'gemini'" in output
    assert "Application startup failed" in output


def _start_up_output(tmp_path: Path) -> str:
    """What a uvicorn process printed until it listened (it is then stopped)."""
    env = {**os.environ, "LLM_PROVIDERS": "offline", "VAR_DIR": str(tmp_path)}
    proc = _uvicorn(env, free_port())
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Uvicorn running on" in line:
                break
    finally:
        proc.terminate()
        # Read on to the end while it stops: a process whose output nobody reads blocks once
        # the pipe is full, and would never exit.
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode is not None, rest
    return "".join(lines)


def test_startup__the_chain_is_built_before_the_server_accepts_requests(tmp_path: Path) -> None:
    text = _start_up_output(tmp_path)

    assert "interviewer chain ready in" in text
    assert text.index("interviewer chain ready in") < text.index("Application startup complete")


def test_startup__start_up_objects_frozen_and_full_collections_rarer(
    tmp_path: Path,
) -> None:
    text = _start_up_output(tmp_path)

    found = re.search(
        r"(\d+) start-up objects frozen out of the garbage collector; thresholds \((.*?)\)", text
    )
    assert found is not None, text
    # Django, the apps and the libraries: far more than a handful, all before serving anyone.
    assert int(found.group(1)) > 50_000
    assert found.group(2).endswith(", 100")  # full collections ten times rarer
    assert text.index(found.group(0)) < text.index("Application startup complete")
