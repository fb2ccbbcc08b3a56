"""The sandbox's settings: read once into one typed value, validated at start-up."""

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from sandbox.checks import check_sandbox_settings, unisolated_worker_warn
from sandbox.conf import sandbox_settings
from sandbox.engines import SandboxEngine, get_engine
from sandbox.engines.local import LocalEngine


def test_defaults__the_local_engine_with_the_documented_limits() -> None:
    conf = sandbox_settings()

    assert isinstance(get_engine(), LocalEngine)
    assert isinstance(get_engine(), SandboxEngine)
    assert (conf.limits.cpu_seconds, conf.limits.wall_seconds) == (5.0, 10.0)
    assert conf.limits.memory_bytes == 256 * 2**20
    assert "python" in conf.languages()


def test_engine_by_dotted_path(settings: Any) -> None:
    settings.SANDBOX_ENGINE = "sandbox.engines.piston.PistonEngine"
    settings.SANDBOX_PISTON_URL = "http://127.0.0.1:9"

    assert type(get_engine()).__name__ == "PistonEngine"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SANDBOX_ISOLATION", "maybe", "SANDBOX_ISOLATION must be one of"),
        ("SANDBOX_MEMORY_MB", 8, "SANDBOX_MEMORY_MB must be at least 32"),
        ("SANDBOX_WALL_SECONDS", 0, "must be above 0"),
        ("SANDBOX_ENGINE", "sandbox.engines.piston.PistonEngine", "SANDBOX_PISTON_URL is required"),
    ],
)
def test_invalid_settings__refused_at_start_up(
    settings: Any, name: str, value: object, message: str
) -> None:
    setattr(settings, name, value)

    assert any(message in str(m.msg) for m in check_sandbox_settings())
    with pytest.raises(ImproperlyConfigured, match=message):
        sandbox_settings()


def test_an_engine_path_that_is_not_an_engine__refused(settings: Any) -> None:
    settings.SANDBOX_ENGINE = "sandbox.types.Limits"

    with pytest.raises(ImproperlyConfigured, match="is not a sandbox engine"):
        get_engine()


def _worker(*queues: str) -> SimpleNamespace:
    """What celeryd_after_setup hands over: the worker, whose app knows the queues it consumes."""
    consume_from = {name: None for name in queues}
    return SimpleNamespace(app=SimpleNamespace(amqp=SimpleNamespace(
        queues=SimpleNamespace(consume_from=consume_from))))  # fmt: skip


def test_a_sandbox_worker_that_cannot_isolate__warns_at_start(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SANDBOX_ISOLATION = "none"

    assert unisolated_worker_warn(instance=_worker("evaluation", "sandbox")) is True
    assert "candidate code is not isolated" in caplog.text
    assert unisolated_worker_warn(instance=_worker("evaluation", "maintenance")) is False


def test_a_sandbox_worker_as_root_with_unshare__does_not_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert unisolated_worker_warn(instance=_worker("sandbox")) is False
    assert "sandbox worker" not in caplog.text
