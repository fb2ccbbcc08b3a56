"""How long the operations dashboard takes to render, on the embedded default, with 1,000
interviews (and their evaluations and turns) in the database.

    python bench/dashboard_render.py [--interviews 1000] [--renders 20]

Runs on a fresh embedded setup (SQLite in a temporary VAR_DIR, the file broker, no Redis) as the
`make run` default would, with no Celery worker running (the case the 3 s were seen in). Prints
p50/p95/max of the full page (GET /admin/dashboard/ through Django's test client as a
superuser) and of the panels refresh, with the number of SQL queries of each.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="dashboard-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

from interviewsite.runtime import prepare_process  # noqa: E402

prepare_process()  # the directories a process's entry point makes
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from interviews.models import Evaluation, EvaluationStatus, Interview, InterviewStatus  # noqa: E402
from interviews.services.positions import position_create  # noqa: E402


def populate(n: int) -> None:
    position = position_create(
        title="Backend", topics=["python"], difficulty="medium", question_count=3
    )
    statuses = [InterviewStatus.COMPLETED, InterviewStatus.SCHEDULED, InterviewStatus.IN_PROGRESS]
    rows = [
        Interview(
            position=position,
            candidate_name=f"Candidate {k}",
            role="Backend",
            topic="python",
            difficulty="medium",
            question_count=3,
            status=statuses[k % 3],
            room_id=f"bench{k:08d}",
            token_hash=f"{k:064d}",
            token_expires_at="2030-01-01T00:00:00Z",
        )
        for k in range(n)
    ]
    Interview.objects.bulk_create(rows, batch_size=500)
    done = Interview.objects.filter(status=InterviewStatus.COMPLETED)
    Evaluation.objects.bulk_create(
        [Evaluation(interview=i, status=EvaluationStatus.PENDING) for i in done], batch_size=500
    )


def measure(client: Client, path: str, renders: int) -> tuple[list[float], int]:
    times, queries = [], 0
    for _ in range(renders):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    return times, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    setup_test_environment()
    populate(args.interviews)
    User.objects.create_superuser("bench", password="bench-password-1")
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    count, broker = Interview.objects.count(), settings.CELERY_BROKER_URL
    print(f"embedded default, {count} interviews, broker {broker}")
    for label, path in (("page", "/admin/dashboard/"), ("panels", "/admin/dashboard/panels/")):
        client.get(path)  # warm-up: template compilation, first connections
        times, queries = measure(client, path, args.renders)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"{label:7s} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
            f"max {max(times):7.1f} ms  queries {queries}"
        )


if __name__ == "__main__":
    main()
