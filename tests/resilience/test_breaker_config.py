"""BreakerConfig validation (clean, constraints, system checks) and how fast a change spreads."""

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from resilience.breakers.checks import check_breaker_configs, check_breaker_settings
from resilience.breakers.services import breaker_config_ensure, breaker_force_open
from resilience.models import BreakerConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"success_threshold": 4, "half_open_max_calls": 3},
            "success_threshold",
            "could never close",
        ),
        ({"minimum_calls": 50, "window_size": 20}, "minimum_calls", "cannot exceed window_size"),
        (
            {"slow_call_duration": 0, "slow_call_rate_threshold": 50},
            "slow_call_rate_threshold",
            "needs slow_call_duration",
        ),
        (
            {"failure_threshold": 0, "failure_rate_threshold": 0, "slow_call_rate_threshold": 0},
            "failure_threshold",
            "every opening rule is off",
        ),
        (
            {"recovery_timeout": 60, "recovery_timeout_max": 30},
            "recovery_timeout_max",
            "at least recovery_timeout",
        ),
        ({"call_timeout": 20, "max_half_open_wait": 10}, "max_half_open_wait", "lose its slot"),
        ({"failure_rate_threshold": 120}, "failure_rate_threshold", "between 0 (off) and 100"),
        ({"window_type": "time", "window_size": 7200}, "window_size", "between 1 and 3600 seconds"),
        ({"recovery_backoff": 0.5}, "recovery_backoff", "at least 1"),
    ],
)
def test_clean__rejects_invalid_combinations_with_a_clear_message(
    values: dict[str, Any], field: str, message: str
) -> None:
    config = BreakerConfig(name="llm.openai", **values)
    with pytest.raises(ValidationError) as invalid:
        config.full_clean()
    errors = invalid.value.message_dict
    assert any(message in text for text in errors[field])
    # The field error explains it; the matching database constraint does not repeat it.
    assert NON_FIELD_ERRORS not in errors


@pytest.mark.django_db
def test_clean__accepts_the_defaults() -> None:
    BreakerConfig(name="llm.openai").full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"success_threshold": 4, "half_open_max_calls": 3},
        {"minimum_calls": 50, "window_size": 20},
        {"failure_threshold": 0, "failure_rate_threshold": 0, "slow_call_rate_threshold": 0},
        {"mode": "sideways"},
    ],
)
def test_constraints__database_rejects_invalid_rows_written_around_clean(
    values: dict[str, Any],
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        BreakerConfig.objects.create(name="llm.bad", **values)


# BREAKERS emptied: each of its entries inherits the bad defaults and would be reported too.
@override_settings(BREAKER_DEFAULTS={"success_threshold": 5, "half_open_max_calls": 2}, BREAKERS={})
def test_system_check__reports_invalid_defaults_in_settings() -> None:
    errors = check_breaker_settings()
    assert [e.id for e in errors] == ["resilience.E005"]
    assert "success_threshold" in errors[0].msg


@override_settings(BREAKERS={"llm.openai": {"failure_treshold": 3}})
def test_system_check__reports_misspelt_setting_names() -> None:
    errors = check_breaker_settings()
    assert [e.id for e in errors] == ["resilience.E005"]
    assert "failure_treshold" in errors[0].msg


@override_settings(BREAKER_STORE="resilience.breakers.stores.nowhere.Store")
def test_system_check__reports_a_store_that_cannot_be_imported() -> None:
    assert [e.id for e in check_breaker_settings()] == ["resilience.E001"]


@override_settings(
    BREAKER_STORE="resilience.breakers.stores.redis.RedisStore", BREAKER_REDIS_URL=""
)
def test_system_check__reports_redis_store_without_a_url() -> None:
    assert [e.id for e in check_breaker_settings()] == ["resilience.E003"]


@pytest.mark.django_db
def test_database_check__reports_rows_edited_around_the_constraints() -> None:
    BreakerConfig.objects.create(name="llm.edited")
    BreakerConfig.objects.filter(name="llm.edited").update(
        slow_call_duration=-1, slow_call_rate_threshold=0
    )
    errors = check_breaker_configs(databases=["default"])
    assert all(isinstance(e, Error) and e.id == "resilience.E010" for e in errors)
    assert any("llm.edited" in e.msg and "slow_call_duration" in e.msg for e in errors)


# --- a change in one process, in force in another ---------------------------------------


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}{port}/{settings['NAME']}"


@pytest.fixture
def probe() -> Iterator[tuple[subprocess.Popen[str], "queue.Queue[dict[str, Any]]"]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "test-only",
        "BREAKER_STORE": "resilience.breakers.stores.memory.MemoryStore",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.resilience.config_probe", "config.probe"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    yield process, lines
    process.kill()
    process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
def test_config_change__made_through_the_orm_is_in_force_in_another_process_within_2s(
    probe: tuple[subprocess.Popen[str], "queue.Queue[dict[str, Any]]"],
) -> None:
    config = breaker_config_ensure(name="config.probe")
    _, lines = probe
    first = lines.get(timeout=60)  # the probe has started and read the initial config
    assert (first["threshold"], first["mode"], first["rejects"]) == (10, "normal", False)

    config.failure_threshold = 3
    config.save()
    saved_at = time.time()
    seen = lines.get(timeout=30)
    assert seen["threshold"] == 3
    assert seen["at"] - saved_at <= 2.0

    breaker_force_open(name="config.probe", user=None, reason="incident drill")
    forced_at = time.time()
    seen = lines.get(timeout=30)
    assert (seen["mode"], seen["rejects"]) == ("forced_open", True)
    assert seen["at"] - forced_at <= 2.0
