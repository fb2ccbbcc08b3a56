import logging
import shutil
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from sandbox.conf import _read, sandbox_settings, settings_problems

logger = logging.getLogger(__name__)


def check_sandbox_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        conf = _read()
    except ImproperlyConfigured:
        return []  # a value of the wrong type: the type check (sandbox.E050) names it
    return [checks.Error(p, id="sandbox.E001") for p in settings_problems(conf)]


def unisolated_worker_warn(sender: Any = None, instance: Any = None, **kwargs: Any) -> bool:
    """At a Celery worker's start (celeryd_after_setup): if it consumes the `sandbox` queue with
    the local runner and cannot create namespaces, say so loudly. Web processes never run code,
    so this is a worker's start-up message, not a system check. True when it warned."""
    queues = getattr(getattr(instance, "app", None), "amqp", None)
    consumed = set(getattr(getattr(queues, "queues", None), "consume_from", None) or ())
    conf = sandbox_settings()
    if "sandbox" not in consumed or not conf.engine.endswith(".LocalEngine"):
        return False
    if conf.isolation == "none":
        logger.warning("sandbox worker: SANDBOX_ISOLATION=none; candidate code is not isolated")
        return True
    from sandbox.engines.local import namespaces_available

    if namespaces_available(shutil.which("unshare") or ""):
        return False
    logger.warning(
        "sandbox worker: this worker cannot create namespaces (not root, or no unshare); "
        "candidate code runs with resource limits only (docs/sandbox.md, 'Isolation'). "
        "SANDBOX_ISOLATION=namespaces makes it refuse instead."
    )
    return True
