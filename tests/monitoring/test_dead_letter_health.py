"""The dead-letter backlog in /health/, /health/workers/, /metrics and the dashboard."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from resilience.dlq.models import DeadLetter
from resilience.dlq.services import dead_letter_capture

# transaction=True: /health/ runs its checks on other threads, which use their own connections.
pytestmark = pytest.mark.django_db(transaction=True)


def capture(task: str = "interviews.tasks.evaluate_interview", queue: str = "evaluation") -> None:
    dead_letter_capture(
        task_name=task,
        task_id=uuid.uuid4().hex,
        queue=queue,
        args=[1],
        kwargs={},
        exception_type="ProvidersUnavailable",
        exception_message="every provider failed",
        traceback="Traceback (most recent call last): ...",
        attempts=3,
    )


@pytest.fixture
def staff_client(client: Client) -> Client:
    """On call: staff who may see dead letters (the dashboard's panel needs the view permission)."""
    user = User.objects.create_user("oncall", password="x", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="resilience", codename="view_deadletter")
    )
    client.force_login(user)
    return client


def dead_letters_check(client: Client) -> dict[str, Any]:
    report = client.get("/health/", HTTP_ACCEPT="application/json").json()
    return dict(report["checks"]["dead_letters"])


def test_backlog__within_the_threshold_is_ok(staff_client: Client, settings: Any) -> None:
    settings.DLQ_BACKLOG_WARNING = 5
    for _ in range(5):
        capture()
    assert dead_letters_check(staff_client)["status"] == "ok"


def test_backlog__over_the_threshold_warns(staff_client: Client, settings: Any) -> None:
    settings.DLQ_BACKLOG_WARNING = 5
    for _ in range(6):
        capture()
    check = dead_letters_check(staff_client)
    assert (check["status"], check["message"]) == (
        "warning",
        "6 dead letters pending (more than 5)",
    )


def test_backlog__one_pending_for_over_a_day_warns(staff_client: Client, settings: Any) -> None:
    settings.DLQ_BACKLOG_MAX_AGE_HOURS = 24
    capture()
    DeadLetter.objects.update(last_failed_at=timezone.now() - timedelta(hours=25))
    check = dead_letters_check(staff_client)
    assert check["status"] == "warning"
    assert "has waited 25.0 h" in check["message"]


def test_workers_report__failed_counts_come_from_the_dead_letter_queue(
    staff_client: Client,
) -> None:
    capture(queue="evaluation")
    capture(queue="evaluation")
    capture(task="resilience.tasks.question_cache.prewarm", queue="maintenance")
    queues = staff_client.get("/health/workers/").json()["queues"]
    assert (queues["evaluation"]["failed"], queues["maintenance"]["failed"]) == (2, 1)


def test_metrics__pending_dead_letters_gauge_by_task(client: Client) -> None:
    capture()
    capture()
    text = client.get("/metrics").content.decode()
    line = 'resilience_dead_letters_pending{task="interviews.tasks.evaluate_interview"} 2.0'
    assert line in text
    assert 'monitoring_collector_up{collector="dead_letters"} 1.0' in text


def test_dashboard__dead_letter_panel_counts_pending_per_task_and_links_the_list(
    staff_client: Client,
) -> None:
    capture()
    page = staff_client.get("/admin/dashboard/panels/").content.decode()
    assert "Pending: <strong>1</strong>" in page
    assert "/admin/resilience/deadletter/?status__exact=pending" in page
    assert "interviews.tasks.evaluate_interview</a></td><td>1</td>" in page
