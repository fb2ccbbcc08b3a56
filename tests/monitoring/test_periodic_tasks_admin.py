"""Running the question cache pre-warm from Periodic tasks says what it actually did."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django_celery_beat.models import PeriodicTask

from monitoring.periodic_tasks_admin import PREWARM_TASK, describe_prewarm
from tests.migration_rows import ensure_migration_rows

pytestmark = pytest.mark.django_db


def _run(client: Client, task: PeriodicTask) -> list[str]:
    response = client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "run_tasks", "_selected_action": [task.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_prewarm_with_nothing_configured__says_so_not_successfully_run(
    client: Client, settings: Any
) -> None:
    settings.QUESTION_CACHE_PREWARM = []
    ensure_migration_rows("resilience", "0002_question_cache", "schedule")
    task = PeriodicTask.objects.get(task=PREWARM_TASK)
    client.force_login(User.objects.create_superuser("ops", password="x"))
    said = _run(client, task)
    assert said == [
        "Question cache pre-warm did nothing to do: QUESTION_CACHE_PREWARM is empty, so no "
        "question was generated."
    ]
    assert not any("successfully run" in m for m in said)


def test_prewarm_report__in_words() -> None:
    assert describe_prewarm({"stored": 4, "duplicates": 1, "full": 2, "stopped": ""})[1] == (
        "Question cache pre-warm finished: 4 new question(s) stored, 1 duplicate(s), "
        "2 key(s) already full."
    )
    assert describe_prewarm({"stored": 1, "stopped": "breaker_open:llm"})[1] == (
        "Question cache pre-warm stopped early (breaker open:llm): 1 new question(s) stored, "
        "0 duplicate(s), 0 key(s) already full."
    )
