"""Health and metrics show each breaker's state as it is now, read from the shared store at
request time: an open breaker whose open period has passed reads as half-open, and a breaker
opened by another process, never seen by this one, has a series.

Breakers live in the real store of this run (Redis when REDIS_URL is set).
"""

import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy, get_breaker, registry
from resilience.breakers.services import breaker_reset
from resilience.breakers.state import Outcome
from resilience.breakers.stores.redis import RedisStore
from resilience.models import BreakerConfig
from tests.waiting import wait_for

# transaction=True: /health/ runs its checks on other threads, which use their own connections.
pytestmark = pytest.mark.django_db(transaction=True)

# Long enough that a loaded machine still reads OPEN right after the trip.
RECOVERY = 2.0


def _fail() -> None:
    raise TimeoutError("dependency down")


@pytest.fixture
def name() -> Iterator[str]:
    # A unique name per test: the Redis store outlives the test database.
    name = f"test.now.{uuid.uuid4().hex[:10]}"
    registry.reset_registry()
    yield name
    breaker_reset(name=name, user=None)
    registry.reset_registry()


def _configure(name: str) -> Breaker:
    breaker = get_breaker(name)
    assert breaker.policy  # first use creates the config row
    BreakerConfig.objects.filter(name=name).update(failure_threshold=1, recovery_timeout=RECOVERY)
    registry.expire_policies()
    return breaker


def _trip(breaker: Breaker) -> None:
    with pytest.raises(TimeoutError):
        breaker.call(_fail)
    with pytest.raises(BreakerOpen):
        breaker.call(_fail)


def _state_series(client: Client) -> dict[str, float]:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    families = text_string_to_metric_families(response.content.decode())
    family = next(f for f in families if f.name == "resilience_breaker_state")
    return {s.labels["breaker"]: s.value for s in family.samples}


def _health_row(admin_client: Client, name: str) -> dict[str, object]:
    row: dict[str, object] = admin_client.get("/health/circuit-breakers/").json()["breakers"][name]
    return row


def test_open_period_passed__health_and_metrics_read_half_open(
    admin_client: Client, client: Client, name: str
) -> None:
    _trip(_configure(name))
    assert _health_row(admin_client, name)["state"] == "open"
    assert _state_series(client)[name] == 1

    # Nobody calls it, so the store still holds OPEN: the open period passing is enough.
    def half_open_row() -> dict[str, object] | None:
        row = _health_row(admin_client, name)
        return row if row["state"] == "half_open" else None

    row = wait_for(half_open_row, RECOVERY + 10, "the health row to read half-open")
    assert row["retry_after"] == 0.0
    assert _state_series(client)[name] == 2


def test_state_changed_by_another_process__is_the_series_here(
    redis_url: str, client: Client, name: str
) -> None:
    """Another process's transitions reach this one only through the shared store: its own
    metrics (and a dead worker's) are not this process's to report."""
    breaker = _configure(name)  # this process knows the breaker; it has seen no transition
    policy = BreakerPolicy(name=name, failure_threshold=1, recovery_timeout=60.0)
    elsewhere = RedisStore(settings.BREAKER_REDIS_URL)  # another process's client
    admitted = elsewhere.acquire(name, policy)
    elsewhere.record(name, policy, admitted.gen, admitted.lease, Outcome.FAILURE, False)
    assert _state_series(client)[name] == 1, "opened elsewhere"
    elsewhere.reset(name, policy)
    assert _state_series(client)[name] == 0, "closed elsewhere"
    _trip(breaker)  # seen here: the transition is logged and counted here
    assert _state_series(client)[name] == 1
    elsewhere.reset(name, policy)
    assert _state_series(client)[name] == 0, "this process's last view is not the state"
