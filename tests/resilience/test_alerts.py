"""Breaker alerts and dead-letter alerts go through one module: one throttle table, one sender,
one interval and one webhook timeout (resilience/alerts/services.py)."""

from datetime import timedelta

import pytest
from django.core import mail

from resilience.breakers.state import Reason, State, Transition
from resilience.models import AlertThrottle, BreakerConfig

from .dlq_helpers import CRITICAL_TASK, Webhook, capture

pytestmark = pytest.mark.django_db(transaction=True)


def breaker_opens() -> bool:
    from resilience.breakers.services import breaker_alert_send

    opened = Transition(
        "llm.openai", State.CLOSED, State.OPEN, Reason.FAILURE_RATE, 2, 20, 12, 0, 3, 1, 5.0
    )
    return breaker_alert_send(transition=opened)


def test_alerts__breakers_and_dead_letters_share_one_throttle_table(webhook: Webhook) -> None:
    BreakerConfig.objects.create(name="llm.openai", critical=True)
    assert breaker_opens()
    capture("t-1")
    assert not breaker_opens()  # within the interval: held back and counted
    capture("t-2")

    rows = dict(AlertThrottle.objects.values_list("key", "suppressed"))
    assert rows == {"breaker:llm.openai": 1, f"task:{CRITICAL_TASK}": 1}
    assert len(mail.outbox) == 2
    assert [("breaker" in body, "task" in body) for body in webhook.received] == [
        (True, False),
        (False, True),
    ]


def test_alerts__one_interval_rules_both_kinds(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resilience.alerts import services as alerts

    # One constant decides how often either kind may alert: with no interval, every breaker
    # opening and every critical failure alerts.
    monkeypatch.setattr(alerts, "ALERT_INTERVAL", timedelta(0))
    BreakerConfig.objects.create(name="llm.openai", critical=True)
    assert breaker_opens()
    assert breaker_opens()
    capture("t-1")
    capture("t-2")
    assert len(mail.outbox) == 4
    assert len(webhook.received) == 4
