"""Fixtures for the chaos scenarios.

The suite (and so CI) runs test_*.py here: llm-down, worker-kill and redis-restart, about four
minutes in all. full_*.py (postgres-restart, storm, llm-slow) are run explicitly
(`.venv/bin/pytest tests/chaos/full_*.py`) and, spec-sized, by `make chaos`.

Fixtures: one private PostgreSQL cluster per session (migrated once
into a template database), and each scenario's own Redis, fake LLM and scale-out topology,
started and stopped by bench/chaos.py. Nothing here touches the shared PostgreSQL or Redis.

The scenarios themselves live in bench/chaos.py (`make chaos` runs them spec-sized); the tests
run them CI-sized and assert the same things: nothing lost, everything recovered.
"""

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import chaos as chaos_bench  # noqa: E402

from tests.services import missing  # noqa: E402

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


@pytest.fixture(scope="session")
def chaos_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator["chaos_bench.Cluster"]:
    if shutil.which("redis-server") is None:
        missing("redis-server (chaos scenarios start their own)")
    try:
        chaos_bench.infra.postgres_bindir()
    except RuntimeError:
        missing("PostgreSQL server binaries (chaos scenarios start their own cluster)")
    with chaos_bench.Cluster(tmp_path_factory.mktemp("chaos")) as cluster:
        yield cluster


@pytest.fixture
def run_scenario(chaos_cluster: "chaos_bench.Cluster", tmp_path: Path) -> Any:
    """Run one scenario CI-sized (keyword overrides on top), print its record, return it."""

    def run(name: str, **overrides: Any) -> "chaos_bench.Record":
        sizes = {**CI_SIZES, **overrides}
        command = ".venv/bin/pytest tests/chaos -m chaos -k " + name.replace("-", "_")
        record = chaos_bench.run_scenario(chaos_cluster, name, tmp_path, command, **sizes)
        print(record.text())
        return record

    return run
