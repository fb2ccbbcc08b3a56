"""Dead-letter services without a worker: capture, retry bookkeeping, discard, retention,
alerts, the beat schedule. (The real-worker behaviour is in test_dlq_worker.py.)"""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from resilience.alerts import services as alerts
from resilience.dlq.models import DeadLetter, DeadLetterStatus
from resilience.dlq.selectors import dead_letter_stats
from resilience.dlq.services import (
    dead_letter_resolve,
    dead_letters_discard,
    dead_letters_purge,
    dead_letters_retry,
)
from resilience.models import AlertThrottle
from tests.migration_rows import ensure_migration_rows
from tests.resilience.dlq_helpers import CRITICAL_TASK, Webhook, capture

pytestmark = pytest.mark.django_db(transaction=True)

TASK = CRITICAL_TASK


def test_capture__the_same_task_id_twice_keeps_one_entry_unchanged() -> None:
    first = capture()
    again = capture(attempts=1)

    assert again.pk == first.pk
    assert DeadLetter.objects.count() == 1
    entry = DeadLetter.objects.get()
    assert (entry.attempts, entry.failure_count, entry.error) == (3, 1, "RuntimeError: boom")


def test_capture_of_a_retry__reopens_the_original_entry_and_adds_its_attempts() -> None:
    entry = capture()
    retry_id = dead_letters_retry(ids=[entry.pk], actor=None).retried[entry.pk]

    again = capture(task_id=retry_id)

    assert again.pk == entry.pk
    assert DeadLetter.objects.count() == 1
    entry.refresh_from_db()
    assert entry.status == DeadLetterStatus.PENDING
    assert (entry.attempts, entry.failure_count) == (6, 2)
    assert entry.last_failed_at > entry.first_failed_at
    assert entry.task_id == "t-1"


def test_retry__marks_retried_with_a_new_task_id_and_skips_resolved_entries() -> None:
    staff = User.objects.create_user("ops", is_staff=True)
    pending = capture("t-1")
    done = capture("t-2")
    DeadLetter.objects.filter(pk=done.pk).update(status=DeadLetterStatus.RESOLVED)

    report = dead_letters_retry(ids=[pending.pk, done.pk], actor=staff)

    assert list(report.retried) == [pending.pk]
    assert report.skipped == [done.pk]
    assert report.send_failed == []
    pending.refresh_from_db()
    assert pending.status == DeadLetterStatus.RETRIED
    assert pending.retry_task_id == report.retried[pending.pk] != pending.task_id
    assert (pending.retried_by, pending.retry_count) == (staff, 1)
    assert dead_letter_resolve(task_id=pending.retry_task_id) is True
    pending.refresh_from_db()
    assert pending.status == DeadLetterStatus.RESOLVED
    assert dead_letter_resolve(task_id="some-ordinary-task") is False


def test_discard__only_pending_entries_and_records_who() -> None:
    staff = User.objects.create_user("ops", is_staff=True)
    pending, resolved = capture("t-1"), capture("t-2")
    DeadLetter.objects.filter(pk=resolved.pk).update(status=DeadLetterStatus.RESOLVED)

    assert dead_letters_discard(ids=[pending.pk, resolved.pk], actor=staff) == 1

    pending.refresh_from_db()
    assert (pending.status, pending.discarded_by) == (DeadLetterStatus.DISCARDED, staff)
    assert pending.discarded_at is not None
    assert DeadLetter.objects.get(pk=resolved.pk).status == DeadLetterStatus.RESOLVED


def test_stats__pending_per_task_and_the_longest_waiting(django_assert_num_queries: Any) -> None:
    capture("t-1")
    capture("t-2")
    capture("t-3", task_name="other.task")
    DeadLetter.objects.filter(task_id="t-1").update(
        last_failed_at=timezone.now() - timedelta(hours=3)
    )
    discarded = capture("t-4")
    dead_letters_discard(ids=[discarded.pk], actor=None)

    with django_assert_num_queries(3):
        stats = dead_letter_stats()

    assert stats.pending == 3
    assert stats.pending_by_task == {TASK: 2, "other.task": 1}
    assert stats.by_status["discarded"] == 1
    assert stats.oldest_pending_age is not None
    assert stats.oldest_pending_age > timedelta(hours=2, minutes=59)


def test_purge__deletes_old_non_pending_keeps_pending_and_recent(settings: Any) -> None:
    settings.DLQ_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    for task_id, status in [
        ("old-resolved", DeadLetterStatus.RESOLVED),
        ("old-discarded", DeadLetterStatus.DISCARDED),
        ("old-pending", DeadLetterStatus.PENDING),
    ]:
        capture(task_id)
        DeadLetter.objects.filter(task_id=task_id).update(status=status, last_failed_at=old)
    capture("recent-resolved")
    DeadLetter.objects.filter(task_id="recent-resolved").update(status=DeadLetterStatus.RESOLVED)
    # Failed long ago but resolved yesterday: kept until it has been idle that long.
    capture("old-but-just-resolved")
    DeadLetter.objects.filter(task_id="old-but-just-resolved").update(
        status=DeadLetterStatus.RESOLVED,
        last_failed_at=old,
        resolved_at=timezone.now() - timedelta(days=1),
    )

    report = dead_letters_purge()

    assert (report.expired, report.capped) == (2, 0)
    assert set(DeadLetter.objects.values_list("task_id", flat=True)) == {
        "old-pending",
        "recent-resolved",
        "old-but-just-resolved",
    }


def test_purge__caps_the_table_oldest_non_pending_first(settings: Any) -> None:
    settings.DLQ_MAX_ROWS = 3
    now = timezone.now()
    for i, status in enumerate(["resolved", "pending", "discarded", "pending", "resolved"]):
        capture(f"t-{i}")
        DeadLetter.objects.filter(task_id=f"t-{i}").update(
            status=status, last_failed_at=now - timedelta(hours=10 - i)
        )

    report = dead_letters_purge()

    assert (report.capped, report.capped_pending) == (2, 0)
    assert sorted(DeadLetter.objects.values_list("task_id", flat=True)) == ["t-1", "t-3", "t-4"]


def test_purge__when_only_pending_remain_over_the_cap_drops_the_oldest_pending(
    settings: Any,
) -> None:
    settings.DLQ_MAX_ROWS = 2
    for i in range(3):
        capture(f"t-{i}")

    report = dead_letters_purge()

    assert (report.capped, report.capped_pending) == (1, 1)
    assert sorted(DeadLetter.objects.values_list("task_id", flat=True)) == ["t-1", "t-2"]


def test_critical_task_failure__mails_and_posts_once_per_15_minutes(webhook: Webhook) -> None:
    capture("t-1")
    capture("t-2")  # within the interval: suppressed, counted
    capture("t-3", task_name="not.critical")

    assert len(mail.outbox) == 1
    assert TASK in mail.outbox[0].subject
    assert "RuntimeError: boom" in mail.outbox[0].body
    assert len(webhook.received) == 1
    assert webhook.received[0]["task"] == TASK
    assert webhook.received[0]["task_id"] == "t-1"
    assert DeadLetter.objects.get(task_id="t-1").critical is True
    assert DeadLetter.objects.get(task_id="t-3").critical is False

    AlertThrottle.objects.filter(key=f"task:{TASK}").update(
        last_sent_at=timezone.now() - alerts.ALERT_INTERVAL - timedelta(seconds=1)
    )
    capture("t-4")

    assert len(mail.outbox) == 2
    assert "1 more failures since the last alert" in mail.outbox[1].subject
    assert [r["task_id"] for r in webhook.received] == ["t-1", "t-4"]
    assert webhook.received[1]["suppressed_since_last_alert"] == 1


def test_alert_webhook_down__the_entry_is_still_recorded(settings: Any) -> None:
    settings.CRITICAL_TASKS = [TASK]
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.ALERT_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"

    entry = capture()

    assert DeadLetter.objects.filter(pk=entry.pk).exists()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_beat_schedule__retention_runs_hourly_and_expires_before_the_next_run() -> None:
    ensure_migration_rows("resilience", "0003_dead_letter", "schedule")
    task = PeriodicTask.objects.get(task="resilience.tasks.dead_letters.purge_dead_letters")
    assert (task.interval.every, task.interval.period) == (1, "hours")
    assert task.expire_seconds is not None
    assert 0 < task.expire_seconds < 3600
    assert task.queue == "maintenance"
