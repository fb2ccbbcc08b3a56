"""Each app reads its settings once, through its conf.py, whose dataclass holds the defaults."""

import ast
from collections.abc import Callable
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from interviews.conf import interviews_settings
from monitoring.conf import monitoring_settings
from resilience.conf import resilience_settings
from retrieval.conf import retrieval_settings
from sandbox.conf import sandbox_settings
from tests.e2e.stack import ROOT

APPS = ("interviews", "resilience", "monitoring", "sandbox", "retrieval", "interviewsite")


def _getattr_with_default_on_settings(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) == 3
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "settings"
    ]


def test_app_code__no_module_repeats_a_setting_default_with_getattr() -> None:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == ROOT / "interviewsite" / "appconf.py":
                continue  # the one place a setting's absence falls back to its field default
            lines = _getattr_with_default_on_settings(ast.parse(path.read_text()))
            found += [f"{path.relative_to(ROOT)}:{line}" for line in lines]
    assert found == []


@pytest.mark.parametrize(
    ("accessor", "setting", "attribute", "value"),
    [
        (resilience_settings, "MAX_RETRY_ATTEMPTS", "max_retry_attempts", 7),
        (resilience_settings, "CRITICAL_TASKS", "critical_tasks", ["a.task"]),
        (interviews_settings, "CELERY_TASK_TIME_LIMIT", "celery_task_time_limit", 42),
        (monitoring_settings, "LOG_FORMAT", "log_format", "json"),
        (retrieval_settings, "RETRIEVAL_TOP_K", "top_k", 9),
        (sandbox_settings, "SANDBOX_MAX_TESTS", "max_tests", 7),
    ],
)
def test_app_settings__read_once_and_read_again_when_a_setting_changes(
    accessor: Callable[[], Any], setting: str, attribute: str, value: object
) -> None:
    assert accessor() is accessor()
    before = getattr(accessor(), attribute)
    with override_settings(**{setting: value}):
        assert getattr(accessor(), attribute) == value
    assert getattr(accessor(), attribute) == before


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("ALERT_WEBHOOK_URL", 42, "ALERT_WEBHOOK_URL must be str, not int 42."),
        ("CRITICAL_TASKS", "interviews.tasks.evaluate_interview", "CRITICAL_TASKS must be list"),
        ("QUESTION_CACHE_SOURCE", None, "QUESTION_CACHE_SOURCE must be str, not NoneType"),
        ("CELERY_TASK_TIME_LIMIT", "300", "CELERY_TASK_TIME_LIMIT must be int, not str '300'."),
        ("LOG_FORMAT", True, "LOG_FORMAT must be str, not bool True."),
        ("RETRY_BASE_DELAY", True, "RETRY_BASE_DELAY must be float, not bool True."),
        ("RETRIEVAL_TOP_K", "4", "RETRIEVAL_TOP_K must be int, not str '4'."),
        ("EMBEDDINGS_BASE_URL", 42, "EMBEDDINGS_BASE_URL must be str, not int 42."),
        ("SANDBOX_MEMORY_MB", "256", "SANDBOX_MEMORY_MB must be int, not str '256'."),
        ("SANDBOX_HIDE_PATHS", "/srv", "SANDBOX_HIDE_PATHS must be list, not str '/srv'."),
    ],
)
def test_app_settings__a_value_of_the_wrong_type_is_a_check_error_naming_it(
    setting: str, value: object, message: str
) -> None:
    with override_settings(**{setting: value}):
        errors = [str(m.msg) for m in checks.run_checks() if m.level >= checks.ERROR]
    assert any(error.startswith(message) for error in errors), errors


def test_app_settings__an_absent_setting_takes_the_field_default() -> None:
    from django.conf import settings

    with override_settings():
        del settings.MAX_RETRY_ATTEMPTS
        assert resilience_settings().max_retry_attempts == 3
