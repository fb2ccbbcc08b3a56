"""/health/workers/ states the same verdicts, in the same words, as the celery_workers and
queue_depth checks of /health/ (one source of each verdict)."""

from pathlib import Path

import pytest
from django.test import override_settings

from monitoring import checks
from monitoring.health import workers_payload
from tests.monitoring.helpers import celery_broker, filesystem_broker_options
from tests.monitoring.test_health_checks import _enqueue_evaluations, run


@pytest.mark.django_db
@override_settings(QUEUE_DEPTH_WARNING=2)
def test_workers_payload__problems_are_the_checks_messages(tmp_path: Path) -> None:
    with celery_broker("filesystem://", **filesystem_broker_options(tmp_path)):
        _enqueue_evaluations(3)
        payload = workers_payload()
        verdicts = [run(checks.CeleryWorkers()), run(checks.QueueDepth())]
    assert verdicts == [
        ("ServiceUnavailable", "no worker answered within 1 s"),
        ("ServiceWarning", "more than 2 waiting: evaluation=3"),
    ]
    assert payload["problems"] == [message for _, message in verdicts]
    assert payload["status"] == "unhealthy"
    assert payload["queues"]["evaluation"]["waiting"] == 3
