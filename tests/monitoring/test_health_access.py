"""Who may read what: cheap probes are public, detailed reports need staff or a token,
metrics need a token or an allowed address."""

import io
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db

DETAILED = ("/health/", "/health/workers/", "/health/infrastructure/")
TOKEN = "s3cret-health-token"


@pytest.fixture(autouse=True)
def health_token(settings: Any) -> None:
    settings.HEALTH_TOKEN = TOKEN
    settings.METRICS_TOKEN = "s3cret-metrics-token"


def test_live_and_ready__public(client: Client) -> None:
    live = client.get("/health/live/", HTTP_ACCEPT="application/json")
    ready = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert (live.status_code, live.json()["status"]) == (200, "healthy")
    assert ready.json()["checks"].keys() == {
        "database",
        "cache",
        "channel_layer",
        "redis_databases",
    }


@pytest.mark.parametrize("path", DETAILED)
def test_detailed__refused_without_credentials(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="health"'
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path", DETAILED)
def test_detailed__refused_with_a_wrong_token(client: Client, path: str) -> None:
    assert client.get(path, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(f"{path}?token=wrong").status_code == 401


def test_detailed__refused_for_signed_in_non_staff(client: Client) -> None:
    client.force_login(User.objects.create_user("someone", password="x"))
    response = client.get("/health/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_detailed__an_empty_token_setting_admits_nobody_by_token(
    client: Client, settings: Any
) -> None:
    settings.HEALTH_TOKEN = ""
    assert client.get("/health/workers/", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert client.get("/health/workers/?token=").status_code == 401


def test_detailed__bearer_token_reads_the_full_report(client: Client) -> None:
    response = client.get(
        "/health/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_ACCEPT="application/json"
    )
    report = response.json()
    assert response.status_code == (503 if report["status"] == "unhealthy" else 200)
    assert list(report["checks"]) == [
        "database",
        "cache",
        "channel_layer",
        "redis_databases",
        "celery_workers",
        "queue_depth",
        "celery_beat",
        "circuit_breakers",
        "dead_letters",
        "stuck_work",
    ]


def test_detailed__query_token_reads_the_workers_report(client: Client) -> None:
    report = client.get(f"/health/workers/?token={TOKEN}").json()
    assert set(report) >= {"status", "timestamp", "responseTime", "redis", "queues", "workers"}
    assert set(report["queues"]) == {"evaluation", "maintenance", "sandbox"}
    assert set(report["queues"]["evaluation"]) >= {"waiting", "active", "failed"}


def test_detailed__staff_reads_the_infrastructure_report(client: Client) -> None:
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True))
    report = client.get("/health/infrastructure/").json()
    database = report["dependencies"]["database"]
    assert set(database) == {"status", "message", "latency_ms", "details", "recommendation"}
    assert database["status"] == "ok"
    assert database["recommendation"] == "No action needed."


def test_metrics__allowed_from_localhost(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_metrics__refused_from_another_address(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_metrics__token_admits_any_address(client: Client) -> None:
    response = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token"
    )
    assert response.status_code == 200
    wrong = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403


def test_metrics__allow_list_takes_networks(client: Client, settings: Any) -> None:
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_health_check_command__runs_the_endpoints_own_list() -> None:
    out = io.StringIO()
    call_command("health_check", "health_ready", stdout=out)
    redis_databases = (
        "redis_databases: ok (OK)"
        if settings.REDIS_URL
        else "redis_databases: not_applicable (REDIS_URL is not set (embedded default))"
    )
    assert out.getvalue().splitlines() == [
        "database: ok (OK)",
        "cache: ok (OK)",
        "channel_layer: ok (OK)",
        redis_databases,
        "status: healthy",
    ]


def test_health_check_command__unknown_endpoint_exits_2() -> None:
    with pytest.raises(CommandError) as raised:
        call_command("health_check", "health_workers")
    assert raised.value.returncode == 2
