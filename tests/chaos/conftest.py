"""Fixtures for the chaos scenarios.

The suite (and so CI) runs test_*.py here: llm-down and redis-restart, a few minutes in all.
full_*.py (postgres-restart, storm, llm-slow, worker-kill) are run explicitly
(`.venv/bin/pytest tests/chaos/full_*.py`) and, spec-sized, by `make chaos`.

The scenarios live in bench/chaos.py (`make chaos` runs them spec-sized). A test runs one
CI-sized through that command line, as an operator would, in a process of its own with its
own PostgreSQL cluster, Redis, fake LLM and scale-out topology (nothing here touches the
shared PostgreSQL or Redis), and asserts on the record it writes as JSON: nothing lost,
everything recovered.
"""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.e2e.stack import ROOT
from tests.services import missing

# CI sizes: a few interviews, short faults, quick candidates. Figures are reported, never
# asserted tightly: the machine is shared and slow at times.
CI_SIZES: dict[str, Any] = {
    "interviews": 8,
    "warm": 6.0,
    "after": 6.0,
    "ramp": 2.0,
    "think_min": 1.0,
    "think_max": 2.0,
}
MISSING_SERVERS = 3  # bench/chaos.py's exit status without redis-server or PostgreSQL binaries


@pytest.fixture
def run_scenario(tmp_path: Path) -> Any:
    """Run one scenario CI-sized (keyword overrides on top), print its record, return it
    (its fields as attributes: lost, duplicated, ok, problems, ...)."""

    def run(name: str, **overrides: Any) -> SimpleNamespace:
        sizes = {**CI_SIZES, **overrides}
        out = tmp_path / f"{name}.json"
        options = [f"--{key.replace('_', '-')}={value}" for key, value in sizes.items()]
        command = [sys.executable, "bench/chaos.py", name, "--json", str(out), *options]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400)
        print(done.stdout)
        if done.returncode == MISSING_SERVERS:
            missing(done.stderr.strip())
        assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
        (record,) = json.loads(out.read_text())
        return SimpleNamespace(**record)

    return run
