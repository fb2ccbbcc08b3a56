"""SIGKILL a whole Celery worker in the middle of `evaluate_interview`: after another worker
starts, the evaluation completes exactly once.

The evaluation is made slow honestly: the worker's LLM is the fake server with 6 s of latency
(`manage.py fake_llm`), so the kill lands while the provider call is in flight. With
`task_acks_late` the message was never acknowledged; Redis hands it to the new worker once the
visibility timeout (shortened here, with the time limits it must exceed) has passed. The
result is recorded in docs/reliability.md ("Worker killed mid-evaluation").
"""

import signal
import time
from pathlib import Path
from typing import cast

import httpx
import pytest
import redis

from interviews.models import Evaluation, EvaluationStatus
from interviewsite.celery import app
from resilience.dlq.models import DeadLetter
from tests.e2e.stack import BIN, base_env, database_url, free_port, stack, stop, wait_http
from tests.factories import make_interview, run_to_completion
from tests.resilience.dlq_helpers import start_worker
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),
]

LATENCY_MS = 6000
VISIBILITY_TIMEOUT = 20  # > hard limit 14 s + longest countdown 2 s (checked at start-up)


def _oldest_unacked_age(broker: redis.Redis) -> float:
    """Seconds since the oldest unacknowledged message was delivered (kombu's index)."""
    oldest = cast(list[tuple[bytes, float]], broker.zrange("unacked_index", 0, 0, withscores=True))
    return time.time() - oldest[0][1] if oldest else 0.0


def _llm_status(base_url: str) -> dict:
    return dict(httpx.get(f"{base_url}/_control", timeout=5).json())


def test_sigkill_worker_mid_evaluation__another_worker_completes_it_exactly_once(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    broker = redis.Redis.from_url(app.conf.broker_url)
    broker.flushdb()  # this run's broker DB only
    llm_port = free_port()
    llm_url = f"http://127.0.0.1:{llm_port}"
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        VAR_DIR=str(tmp_path / "var"),
        LLM_PROVIDERS="openai",
        OPENAI_BASE_URL=f"{llm_url}/v1",
        OPENAI_API_KEY="test-key-for-the-fake-llm",
        LLM_TIMEOUT_SECONDS="12",
        CELERY_TASK_SOFT_TIME_LIMIT="12",
        CELERY_TASK_TIME_LIMIT="14",
        EVALUATION_RETRY_BASE_SECONDS="1",
        EVALUATION_RETRY_MAX_SECONDS="2",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CRITICAL_TASKS="",
        # Breaker state of its own: earlier tests may have left llm.openai open in the shared
        # Redis store, and this test is about the worker, not the breaker.
        BREAKER_STORE="resilience.breakers.stores.memory.MemoryStore",
    )
    with stack(env, tmp_path) as running:
        llm = running.start(
            "fake-llm",
            str(BIN / "python"),
            "manage.py",
            "fake_llm",
            "--port",
            str(llm_port),
            "--latency-ms",
            str(LATENCY_MS),
        )
        wait_http(f"{llm_url}/_control", llm)
        # Started first: a worker declares the queues' bindings, which the flush removed (a
        # message published to an exchange without them is dropped).
        first = start_worker(running, name="doomed")
        # The transcript is built here with the offline provider; only the worker's
        # evaluation goes to the slow fake LLM. Finishing the interview enqueues it.
        interview = run_to_completion(make_interview(question_count=1).interview.pk)
        wait_for(
            lambda: _llm_status(llm_url)["requests"] >= 1,
            90,
            "the evaluation's LLM call to be in flight",
        )
        running_eval = Evaluation.objects.get(interview=interview)
        assert (running_eval.status, running_eval.attempts) == (EvaluationStatus.RUNNING, 1)

        killed_at = time.monotonic()
        stop(first, sig=signal.SIGKILL)  # the main process and its pool, no warm shutdown
        assert first.popen.returncode == -signal.SIGKILL
        assert Evaluation.objects.get(interview=interview).status == EvaluationStatus.RUNNING
        assert broker.hlen("unacked") == 1  # reserved by the dead worker, never acknowledged

        # A worker restores unacknowledged messages older than the visibility timeout when it
        # starts (and then on a slow periodic scan): restart it once that much time passed,
        # as a supervisor restarting a crashed worker would eventually.
        wait_for(
            lambda: _oldest_unacked_age(broker) > VISIBILITY_TIMEOUT + 1,
            VISIBILITY_TIMEOUT + 60,
            "the dead worker's message to pass the visibility timeout",
        )
        start_worker(running, name="successor")
        done = wait_for(
            lambda: Evaluation.objects.filter(
                interview=interview, status=EvaluationStatus.DONE
            ).first(),
            120,
            "the successor worker to finish the evaluation",
        )
        recovered_after = time.monotonic() - killed_at
        llm_calls = _llm_status(llm_url)
        assert broker.hlen("unacked") == 0
        assert broker.llen("evaluation") == 0

    assert Evaluation.objects.filter(interview=interview).count() == 1
    assert done.attempts == 2  # the killed run and the successor's
    assert done.overall_score is not None
    assert llm_calls["requests"] == 2  # one cut off by the kill, one answered
    # A whole-worker crash is not a task failure: nothing lands in the dead-letter queue.
    assert not DeadLetter.objects.exists()
    print(
        f"\nworker-kill: killed pid {first.popen.pid} mid-evaluation; successor finished "
        f"{recovered_after:.1f}s after the kill (visibility timeout {VISIBILITY_TIMEOUT}s); "
        f"evaluation rows=1 status={done.status} attempts={done.attempts} "
        f"score={done.overall_score} method={done.method}; fake LLM {llm_calls['by_task']} "
        f"{llm_calls['by_outcome']}"
    )
