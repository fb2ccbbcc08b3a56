"""Critical breakers alert staff when they open: mail and webhook, once per 15 minutes."""

import logging
import socket
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from resilience.background import breaker_side_effects
from resilience.breakers import Breaker, State
from resilience.breakers.selectors import DatabasePolicies
from resilience.breakers.services import breaker_alert_send, breaker_transition_notify
from resilience.breakers.state import Reason, Transition
from resilience.breakers.stores.memory import MemoryStore
from resilience.models import (
    AlertThrottle,
    BreakerConfig,
    BreakerEvent,
    BreakerEventKind,
    BreakerState,
)

from .conftest import FakeClock
from .dlq_helpers import Webhook

pytestmark = pytest.mark.django_db(transaction=True)


def critical_breaker(clock: FakeClock, name: str = "llm.openai", critical: bool = True) -> Breaker:
    BreakerConfig.objects.create(
        name=name, critical=critical, failure_threshold=1, recovery_timeout=5.0
    )
    return Breaker(
        name,
        store=MemoryStore(clock=clock),
        policies=DatabasePolicies(clock=clock),
        listener=breaker_transition_notify,
        clock=clock,
    )


def trip(breaker: Breaker) -> None:
    with pytest.raises(TimeoutError):
        breaker.call(lambda: (_ for _ in ()).throw(TimeoutError("down")))


def test_critical_breaker_opening__alerts_once_per_15_minutes(
    webhook: Webhook, clock: FakeClock
) -> None:
    breaker = critical_breaker(clock)
    trip(breaker)  # closed -> open: alert
    clock.advance(5.0)
    trip(breaker)  # open -> half-open -> open again, minutes later at most: no second alert
    assert breaker_side_effects.drain(timeout=20)

    assert len(mail.outbox) == 1
    assert "llm.openai opened" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["ops@example.com"]
    assert [(body["breaker"], body["reason"]) for body in webhook.received] == [
        ("llm.openai", "consecutive_failures")
    ]
    transitions = BreakerEvent.objects.filter(kind=BreakerEventKind.TRANSITION).order_by("id")
    assert [(e.from_state, e.to_state) for e in transitions] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
    ]
    assert BreakerEvent.objects.filter(kind=BreakerEventKind.ALERT).count() == 1
    mirror = BreakerState.objects.get(config__name="llm.openai")
    assert (mirror.state, mirror.trips) == ("open", 2)

    # Fifteen minutes on, the next opening alerts again.
    AlertThrottle.objects.update(last_sent_at=timezone.now() - timedelta(minutes=16))
    clock.advance(10.0)
    trip(breaker)
    assert breaker_side_effects.drain(timeout=20)
    assert len(mail.outbox) == 2
    assert len(webhook.received) == 2


def test_non_critical_breaker__opens_without_alerting(webhook: Webhook, clock: FakeClock) -> None:
    breaker = critical_breaker(clock, name="llm.cheap", critical=False)
    trip(breaker)
    assert breaker_side_effects.drain(timeout=20)
    assert breaker.snapshot().state == State.OPEN
    assert mail.outbox == []
    assert webhook.received == []
    assert BreakerEvent.objects.filter(kind=BreakerEventKind.TRANSITION).count() == 1


def test_webhook_failure__is_logged_and_the_mail_still_goes(
    settings: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the probe closes
    settings.ALERT_WEBHOOK_URL = f"http://127.0.0.1:{closed_port}/alerts"
    settings.ADMINS = [("Ops", "ops@example.com")]
    breaker = critical_breaker(clock)
    with caplog.at_level(logging.ERROR, logger="resilience.alerts"):
        trip(breaker)
        assert breaker_side_effects.drain(timeout=20)
    assert breaker.snapshot().state == State.OPEN
    assert len(mail.outbox) == 1
    assert "alert webhook failed" in caplog.text


def test_alert_send__processes_seeing_the_same_opening_send_one_alert(
    webhook: Webhook, clock: FakeClock
) -> None:
    breaker = critical_breaker(clock)
    trip(breaker)
    assert breaker_side_effects.drain(timeout=20)
    transition = BreakerEvent.objects.filter(kind=BreakerEventKind.TRANSITION).get()
    assert transition.to_state == "open"
    mail.outbox.clear()
    webhook.received.clear()
    AlertThrottle.objects.all().delete()
    opened = Transition(
        "llm.openai", State.CLOSED, State.OPEN, Reason.FAILURE_RATE, 9, 20, 12, 0, 3, 1, 5.0
    )
    start = threading.Barrier(4)

    def send() -> bool:
        start.wait()
        try:
            return breaker_alert_send(transition=opened)
        finally:
            connection.close()

    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(send())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1
    assert len(webhook.received) == 1
