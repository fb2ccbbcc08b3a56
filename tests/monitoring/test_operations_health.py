"""Open breakers and stuck work in /health/, /health/circuit-breakers/ and the checks.

Breakers live in the real store of this run (Redis when REDIS_URL is set): a breaker is tripped
by real failing calls, or forced open through the same service the admin calls.
"""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from interviews.models import Evaluation, EvaluationStatus, Interview, InterviewStatus
from resilience.breakers import BreakerOpen, get_breaker, registry
from resilience.breakers.services import breaker_force_open, breaker_reset
from resilience.models import BreakerConfig
from tests.factories import make_interview

# transaction=True: /health/ runs its checks on other threads, which use their own connections.
pytestmark = pytest.mark.django_db(transaction=True)


class Down(Exception):
    status_code = 503


def _fail() -> None:
    raise Down("dependency down")


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    return client


@pytest.fixture
def breaker_name() -> Iterator[str]:
    # A unique name per test: the Redis store outlives the test database.
    name = f"test.ops.{uuid.uuid4().hex[:10]}"
    registry.reset_registry()
    yield name
    breaker_reset(name=name, user=None)
    registry.reset_registry()


def trip(name: str, *, critical: bool) -> None:
    breaker = get_breaker(name)
    assert breaker.policy  # first use creates the config row
    BreakerConfig.objects.filter(name=name).update(failure_threshold=2, critical=critical)
    registry.expire_policies()
    for _ in range(2):
        with pytest.raises(Down):
            breaker.call(_fail)
    with pytest.raises(BreakerOpen):
        breaker.call(_fail)


def test_circuit_breakers__all_closed_is_healthy(staff_client: Client, breaker_name: str) -> None:
    assert get_breaker(breaker_name).call(lambda: 42) == 42
    response = staff_client.get("/health/circuit-breakers/")
    body = response.json()
    assert (response.status_code, body["status"], body["open"]) == (200, "healthy", [])
    row = body["breakers"][breaker_name]
    assert (row["state"], row["calls"], row["failures"]) == ("closed", 1, 0)
    assert set(body["metrics"]) == {"counters", "errors", "avg_latencies"}


def test_circuit_breakers__a_tripped_breaker_is_open_with_its_counters(
    staff_client: Client, breaker_name: str
) -> None:
    trip(breaker_name, critical=False)
    body = staff_client.get("/health/circuit-breakers/").json()
    row = body["breakers"][breaker_name]
    assert (body["status"], body["open"]) == ("degraded", [breaker_name])
    assert (row["state"], row["failures"], row["consecutive_failures"]) == ("open", 2, 2)
    assert row["retry_after"] > 0
    assert body["metrics"]["counters"]["breaker_rejections"] >= 1


def test_circuit_breakers__a_critical_open_breaker_is_unhealthy_everywhere(
    staff_client: Client, breaker_name: str
) -> None:
    trip(breaker_name, critical=True)
    report = staff_client.get("/health/circuit-breakers/")
    full = staff_client.get("/health/", HTTP_ACCEPT="application/json")
    assert (report.status_code, report.json()["status"]) == (503, "unhealthy")
    check = full.json()["checks"]["circuit_breakers"]
    assert check["status"] == "unavailable"
    assert breaker_name in check["message"]


def test_circuit_breakers__forced_open_by_staff_shows_open_and_warns(
    staff_client: Client, breaker_name: str
) -> None:
    get_breaker(breaker_name)
    breaker_force_open(name=breaker_name, user=None, reason="incident drill")
    body = staff_client.get("/health/circuit-breakers/").json()
    row = body["breakers"][breaker_name]
    assert (row["state"], row["mode"], body["status"]) == ("open", "forced_open", "degraded")
    check = staff_client.get("/health/", HTTP_ACCEPT="application/json").json()["checks"]
    assert check["circuit_breakers"]["status"] == "warning"


def test_circuit_breakers__refused_to_anonymous(client: Client) -> None:
    response = client.get("/health/circuit-breakers/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_stuck_work__an_idle_in_progress_interview_warns(
    staff_client: Client, settings: Any
) -> None:
    settings.INTERVIEW_ABANDON_AFTER_MINUTES = 60
    created = make_interview()
    Interview.objects.filter(pk=created.interview.pk).update(
        status=InterviewStatus.IN_PROGRESS,
        last_activity_at=timezone.now() - timedelta(minutes=61),
    )
    check = staff_client.get("/health/", HTTP_ACCEPT="application/json").json()["checks"]
    assert check["stuck_work"]["status"] == "warning"
    assert "1 interviews" in check["stuck_work"]["message"]


def test_stuck_work__a_pending_evaluation_whose_task_never_came_warns(
    staff_client: Client, settings: Any
) -> None:
    settings.EVALUATION_PENDING_RESEND_MINUTES = 30
    created = make_interview()
    evaluation = Evaluation.objects.create(
        interview=created.interview, status=EvaluationStatus.PENDING
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(
        created_at=timezone.now() - timedelta(minutes=31)
    )
    check = staff_client.get("/health/", HTTP_ACCEPT="application/json").json()["checks"]
    assert check["stuck_work"]["status"] == "warning"
    assert "1 unsent evaluations" in check["stuck_work"]["message"]


def test_stuck_work__recent_activity_is_not_stuck(staff_client: Client) -> None:
    created = make_interview()
    Interview.objects.filter(pk=created.interview.pk).update(
        status=InterviewStatus.IN_PROGRESS, last_activity_at=timezone.now()
    )
    check = staff_client.get("/health/", HTTP_ACCEPT="application/json").json()["checks"]
    assert check["stuck_work"]["status"] == "ok"
