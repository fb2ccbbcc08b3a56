"""The `sandbox` queue's task: thin, by id (docs/sandbox.md, "Runs through Celery")."""

import logging
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from sandbox.models import SandboxRun
from sandbox.services import sandbox_run_execute, sandbox_run_fail
from sandbox.types import EngineUnavailable

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def run_code(self: Any, run_id: str) -> str:
    """Run a submitted run. While the engine is unavailable (down, breaker open) wait and try
    again, SANDBOX_RUN_RETRIES times, for at least what the breaker asked; then mark it failed
    and re-raise, so the dead-letter hook records it."""
    try:
        return sandbox_run_execute(run_id=run_id).state
    except SandboxRun.DoesNotExist:
        logger.warning("sandbox run %s no longer exists; dropped", run_id)
        return "missing"
    except EngineUnavailable as exc:
        if self.request.retries >= settings.SANDBOX_RUN_RETRIES:
            sandbox_run_fail(run_id=run_id, reason=f"The engine stayed unavailable: {exc}")
            raise
        delay = get_exponential_backoff_interval(
            factor=settings.SANDBOX_RUN_RETRY_BASE_SECONDS,
            retries=self.request.retries,
            maximum=settings.SANDBOX_RUN_RETRY_MAX_SECONDS,
            full_jitter=True,
        )
        delay = min(max(delay, exc.retry_after or 0), settings.SANDBOX_RUN_RETRY_MAX_SECONDS)
        logger.warning("sandbox run %s: engine unavailable (%s); retrying in %ss", run_id, exc,
                       delay)  # fmt: skip
        raise self.retry(exc=exc, countdown=delay) from exc
