"""The counters operators read follow where this process really counts: a process that
imported prometheus_client before PROMETHEUS_MULTIPROC_DIR was set counts in memory, and its
own counts must not vanish behind files it never writes."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import ROOT

_SCRIPT = """
import json, os
import prometheus_client  # first import: no directory yet, so this process counts in memory
os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ["LATE_METRICS_DIR"]
import django
django.setup()
from monitoring.operations import counters_snapshot
from retrieval.metrics import SEARCHES
before = counters_snapshot()["counters"]["rag_searches"]
for _ in range(3):
    SEARCHES.labels(mode="lexical", outcome="ok").inc()
print(json.dumps({"before": before, "after": counters_snapshot()["counters"]["rag_searches"]}))
"""


def test_counters__a_process_that_counts_in_memory_reads_its_own_counts(tmp_path: Path) -> None:
    late = tmp_path / "late"
    late.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= {"LATE_METRICS_DIR": str(late), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert counts["after"] - counts["before"] == 3
