"""Redis goes away mid-run: breakers fail open to local state, then share state again."""

import logging
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from prometheus_client import REGISTRY

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy, State
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.stores.redis import RedisStore

from .tcp_proxy import TcpProxy

POLICY = BreakerPolicy(name="outage", failure_threshold=3, recovery_timeout=60.0)


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"store": "redis"}) or 0.0


@pytest.fixture
def proxy(redis_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    proxy.start()
    yield proxy
    proxy.stop()


def through(proxy: TcpProxy, redis_url: str) -> str:
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))


def test_redis_unreachable__calls_continue_on_local_state_then_shared_state_resumes(
    redis_url: str, redis_prefix: str, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore(through(proxy, redis_url), prefix=redis_prefix, reconnect_interval=0.2)
    breaker = Breaker("outage", store=store, policies=StaticPolicies(POLICY))
    shared = RedisStore(redis_url, prefix=redis_prefix)  # another process, with a working Redis
    assert breaker.call(lambda: "via redis") == "via redis"
    assert shared.snapshot("outage", POLICY).calls == 1

    outages, local_calls = (
        metric("resilience_breaker_store_unavailable_total"),
        metric("resilience_breaker_store_fallback_calls_total"),
    )
    proxy.stop()
    with caplog.at_level(logging.WARNING, logger="resilience.breakers.stores.redis"):
        results = [breaker.call(lambda i=i: i) for i in range(50)]
        time.sleep(0.3)  # past the reconnect interval: the store tries Redis again, and fails
        results += [breaker.call(lambda: "still served")]
    assert results == [*range(50), "still served"]
    assert store.degraded
    assert metric("resilience_breaker_store_unavailable_total") == outages + 1
    assert metric("resilience_breaker_store_fallback_calls_total") >= local_calls + 51
    unavailable = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(unavailable) == 1  # logged once per outage, not once per call

    # Meanwhile another process, whose Redis works, sees the dependency fail and opens it.
    other = Breaker("outage", store=shared, policies=StaticPolicies(POLICY))
    for _ in range(3):
        with pytest.raises(TimeoutError):
            other.call(lambda: (_ for _ in ()).throw(TimeoutError()))
    assert shared.snapshot("outage", POLICY).state == State.OPEN

    proxy.start()
    deadline = time.monotonic() + 15
    with caplog.at_level(logging.WARNING, logger="resilience.breakers.stores.redis"):
        while True:  # poll: when depends on the reconnect interval and the breaker's view
            try:
                breaker.call(lambda: None)
            except BreakerOpen:
                break
            assert time.monotonic() < deadline, "the shared state never came back"
            time.sleep(0.05)
    assert not store.degraded
    assert any("is back" in r.getMessage() for r in caplog.records)


def test_redis_on_a_closed_port__breaker_works_on_local_state_from_the_start(
    proxy: TcpProxy, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    proxy.stop()  # nothing listens on the proxy's port any more
    store = RedisStore(through(proxy, redis_url), prefix="never-written")
    breaker = Breaker("outage", store=store, policies=StaticPolicies(POLICY))
    with caplog.at_level(logging.WARNING, logger="resilience.breakers.stores.redis"):
        for _ in range(3):
            with pytest.raises(TimeoutError):
                breaker.call(lambda: (_ for _ in ()).throw(TimeoutError()))
        with pytest.raises(BreakerOpen):  # the local state opened it: still a breaker
            breaker.call(lambda: None)
    assert store.degraded
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1
