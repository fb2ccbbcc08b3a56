"""Test-only Celery tasks for the dead-letter tests; the test worker imports them with
`-I tests.resilience.dlq_tasks`. They coordinate with the test through Django's cache (the
same Redis database in the test process and the worker)."""

import os
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache

RETRIES = 2  # so every failing task runs 3 times before it is dead


def attempts_key(label: str) -> str:
    return f"dlq-test:attempts:{label}"


def fixed_key(label: str) -> str:
    return f"dlq-test:fixed:{label}"


def successes_key(label: str) -> str:
    return f"dlq-test:successes:{label}"


def pid_key(label: str) -> str:
    return f"dlq-test:pid:{label}"


def _count(key: str) -> None:
    cache.add(key, 0, timeout=3600)
    cache.incr(key)


@shared_task(autoretry_for=(RuntimeError,), max_retries=RETRIES, default_retry_delay=1)
def always_fails(label: str, *, note: str = "") -> None:
    _count(attempts_key(label))
    raise RuntimeError(f"always fails ({label})")


@shared_task(autoretry_for=(RuntimeError,), max_retries=RETRIES, default_retry_delay=1)
def fails_until_fixed(label: str) -> str:
    _count(attempts_key(label))
    if not cache.get(fixed_key(label)):
        raise RuntimeError(f"not fixed yet ({label})")
    _count(successes_key(label))
    return "ok"


@shared_task(time_limit=2, soft_time_limit=1)
def sleeps_past_time_limit(label: str) -> None:
    """Ignore the soft limit, as code stuck in a C call would; only the hard kill stops it."""
    _count(attempts_key(label))
    try:
        time.sleep(30)
    except SoftTimeLimitExceeded:
        time.sleep(30)


@shared_task
def sleeps_until_killed(label: str) -> None:
    """Publish the pool process's pid, then wait for the test to SIGKILL it."""
    cache.set(pid_key(label), os.getpid(), timeout=3600)
    time.sleep(60)
