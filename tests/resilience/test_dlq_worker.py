"""The dead-letter queue with a real Redis broker and a real Celery worker process.

Terminal failures land once, after their retries, with the traceback; retrying from the admin
and from the API re-runs the task and resolves the entry; a hard time-limit kill and a killed
pool process (WorkerLostError) land too.
"""

import os
import signal
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.test import Client

from interviewsite.celery import app
from resilience.dlq.models import DeadLetter, DeadLetterStatus
from tests.e2e.stack import Stack, base_env, database_url, stack
from tests.resilience import dlq_tasks
from tests.resilience.dlq_helpers import start_worker
from tests.services import require_postgres, require_redis_url
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.services,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),
]

TASKS = "tests.resilience.dlq_tasks"


@pytest.fixture(scope="module")
def worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One worker for the module, on the test database and this run's Redis databases."""
    # These tests need a real broker and PostgreSQL: skipped locally without them, failed in CI.
    url = require_redis_url()
    require_postgres()
    # This run's broker DB only. The worker, started before any task is sent, declares the
    # queue bindings again (a message sent to an exchange without them would be dropped).
    redis.Redis.from_url(app.conf.broker_url).flushdb()
    logs = tmp_path_factory.mktemp("dlq-worker")
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=url,
        VAR_DIR=str(logs / "var"),
        CRITICAL_TASKS="",
    )
    with stack(env, logs) as running:
        start_worker(running)
        yield running


def _label() -> str:
    return uuid.uuid4().hex[:12]


def _entry_for(label: str, status: str | None = None) -> DeadLetter | None:
    rows = DeadLetter.objects.filter(args=[label])
    if status:
        rows = rows.filter(status=status)
    return rows.first()


def _staff_client(*, superuser: bool = False) -> Client:
    """An operator: the dead-letter API and the admin's actions both need the model's view and
    change permissions (a superuser has every permission)."""
    client = Client()
    make = User.objects.create_superuser if superuser else User.objects.create_user
    user = make(f"ops-{_label()}", password="x", is_staff=True)
    if not superuser:
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="resilience",
                codename__in=["view_deadletter", "change_deadletter"],
            )
        )
    client.force_login(user)
    return client


def test_always_failing_task__lands_exactly_once_after_its_retries_with_its_traceback(
    worker: Stack,
) -> None:
    label = _label()
    result = app.send_task(f"{TASKS}.always_fails", args=[label], kwargs={"note": "n"})

    entry = wait_for(lambda: _entry_for(label), 90, "the dead-letter entry")

    # Three runs happened before the entry was written, and no run wrote one earlier (the
    # entry would then say 1 attempt: captures for one task id are not repeated).
    assert cache.get(dlq_tasks.attempts_key(label)) == dlq_tasks.RETRIES + 1
    assert DeadLetter.objects.filter(task_id=result.id).count() == 1
    assert DeadLetter.objects.count() == 1
    assert entry.task_name == f"{TASKS}.always_fails"
    assert entry.task_id == result.id
    assert entry.queue == "maintenance"
    assert (entry.args, entry.kwargs) == ([label], {"note": "n"})
    assert entry.attempts == dlq_tasks.RETRIES + 1
    assert entry.exception_type == "RuntimeError"
    assert entry.exception_message == f"always fails ({label})"
    assert "Traceback" in entry.traceback
    assert 'raise RuntimeError(f"always fails ({label})")' in entry.traceback
    assert entry.status == DeadLetterStatus.PENDING
    assert entry.critical is False


def test_retry_from_the_admin_action__reruns_the_task_and_resolves_the_entry(
    worker: Stack,
) -> None:
    label = _label()
    app.send_task(f"{TASKS}.fails_until_fixed", args=[label])
    entry = wait_for(lambda: _entry_for(label), 90, "the dead-letter entry")
    cache.set(dlq_tasks.fixed_key(label), True, timeout=3600)  # the operator fixed the cause

    response = _staff_client(superuser=True).post(
        "/admin/resilience/deadletter/",
        {"action": "retry_selected", "_selected_action": [entry.pk]},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    # The worker may already have run the retry and resolved the entry by now.
    assert entry.status in (DeadLetterStatus.RETRIED, DeadLetterStatus.RESOLVED)
    assert entry.retry_task_id
    assert entry.retry_task_id != entry.task_id
    assert entry.retried_by is not None
    resolved = wait_for(
        lambda: _entry_for(label, DeadLetterStatus.RESOLVED), 90, "the entry to be resolved"
    )
    assert resolved.resolved_at is not None
    assert cache.get(dlq_tasks.successes_key(label)) == 1


def test_retry_from_the_api__fails_again_back_to_pending_then_resolves_once_fixed(
    worker: Stack,
) -> None:
    label = _label()
    app.send_task(f"{TASKS}.fails_until_fixed", args=[label])
    entry = wait_for(lambda: _entry_for(label), 90, "the dead-letter entry")
    client = _staff_client()
    runs = dlq_tasks.RETRIES + 1

    first = client.post(
        "/api/admin/dlq/", {"action": "retry", "ids": [entry.pk]}, content_type="application/json"
    )
    assert first.status_code == 200
    first_retry_id = first.json()["retried"][0]["retry_task_id"]
    # Not fixed: the retried task fails for good again, back into the same entry.
    again = wait_for(
        lambda: DeadLetter.objects.filter(pk=entry.pk, failure_count=2).first(),
        90,
        "the retry to fail into the same entry",
    )
    assert again.status == DeadLetterStatus.PENDING
    assert again.attempts == 2 * runs
    assert again.retry_task_id == first_retry_id
    assert DeadLetter.objects.filter(args=[label]).count() == 1

    cache.set(dlq_tasks.fixed_key(label), True, timeout=3600)
    second = client.post(
        "/api/admin/dlq/", {"action": "retry", "ids": [entry.pk]}, content_type="application/json"
    )
    assert second.status_code == 200
    wait_for(lambda: _entry_for(label, DeadLetterStatus.RESOLVED), 90, "the entry to be resolved")
    assert cache.get(dlq_tasks.attempts_key(label)) == 2 * runs + 1
    assert cache.get(dlq_tasks.successes_key(label)) == 1
    listed = client.get("/api/admin/dlq/?status=resolved&task=" + f"{TASKS}.fails_until_fixed")
    assert [e["id"] for e in listed.json()["entries"]] == [entry.pk]


def test_hard_time_limit_kill__lands_in_the_dlq(worker: Stack) -> None:
    label = _label()
    result = app.send_task(f"{TASKS}.sleeps_past_time_limit", args=[label])

    entry = wait_for(lambda: _entry_for(label), 90, "the dead-letter entry")

    assert entry.task_id == result.id
    assert entry.exception_type == "billiard.exceptions.TimeLimitExceeded"
    assert "Hard time limit (2" in entry.exception_message
    assert entry.attempts == 1
    assert entry.queue == "maintenance"
    # The worker's main process reported the kill; the pool process it replaced still works.
    follow_up = _label()
    app.send_task(f"{TASKS}.always_fails", args=[follow_up])
    wait_for(lambda: _entry_for(follow_up), 90, "a task after the kill to run")
    assert DeadLetter.objects.filter(args=[label]).count() == 1
    assert cache.get(dlq_tasks.attempts_key(label)) == 1


def test_pool_process_killed_mid_task__lands_in_the_dlq_as_worker_lost(worker: Stack) -> None:
    label = _label()
    result = app.send_task(f"{TASKS}.sleeps_until_killed", args=[label])
    pid = wait_for(lambda: cache.get(dlq_tasks.pid_key(label)), 90, "the task to start")

    os.kill(int(pid), signal.SIGKILL)  # the pool process this test's worker forked

    entry = wait_for(lambda: _entry_for(label), 90, "the dead-letter entry")
    assert entry.task_id == result.id
    assert entry.exception_type == "billiard.exceptions.WorkerLostError"
    assert "SIGKILL" in entry.exception_message
    assert entry.attempts == 1
    # Not requeued (task_reject_on_worker_lost=False): a task that kills its process must
    # not come back forever.
    assert DeadLetter.objects.filter(args=[label]).count() == 1
