"""System checks: breaker settings at start-up, stored breaker configs with --database.

Registered in ResilienceConfig.ready(). The settings check runs with every management command
and server start; the configuration rows are checked by `manage.py check --database default`
and before `migrate` (the database constraints already forbid invalid rows; this catches rows
edited around them).
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error
from django.db import DatabaseError
from django.utils.module_loading import import_string

from resilience.breakers.config import NAME_PATTERN, InvalidPolicy, policy_from_mapping
from resilience.breakers.models import BreakerConfig
from resilience.breakers.stores.base import BreakerStore
from resilience.conf import resilience_settings


def check_breaker_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    return [*_store_errors(), *_default_errors()]


def check_breaker_configs(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for alias in databases or ():
        try:
            rows = list(BreakerConfig.objects.using(alias).all())
        except DatabaseError:
            continue  # not migrated yet: nothing stored to check
        for row in rows:
            for key, message in row.to_policy().errors().items():
                errors.append(
                    Error(
                        f"Circuit breaker {row.name!r} ({alias}): {key} {message}.",
                        hint="Fix it in the admin (Resilience > Circuit breakers).",
                        obj=row,
                        id="resilience.E010",
                    )
                )
    return errors


def _store_errors() -> list[CheckMessage]:
    path = resilience_settings().breaker_store
    try:
        store_class = import_string(path)
    except ImportError:
        return [
            Error(
                f"BREAKER_STORE {path!r} cannot be imported.",
                hint="Use resilience.breakers.stores.redis.RedisStore, "
                "resilience.breakers.stores.database.DatabaseStore or "
                "resilience.breakers.stores.memory.MemoryStore.",
                id="resilience.E001",
            )
        ]
    if not (isinstance(store_class, type) and issubclass(store_class, BreakerStore)):
        return [Error(f"BREAKER_STORE {path!r} is not a BreakerStore.", id="resilience.E002")]
    from resilience.breakers.stores.redis import RedisStore

    if issubclass(store_class, RedisStore) and not resilience_settings().breaker_redis_url:
        return [
            Error(
                "BREAKER_STORE is the Redis store but BREAKER_REDIS_URL is empty.",
                hint="Set REDIS_URL, or choose the database store.",
                id="resilience.E003",
            )
        ]
    return []


def _default_errors() -> list[CheckMessage]:
    conf = resilience_settings()
    defaults = conf.breaker_defaults or {}
    per_name = conf.breakers or {}
    if not isinstance(defaults, dict) or not isinstance(per_name, dict):
        return [
            Error(
                "BREAKER_DEFAULTS must be a dict of field: value and BREAKERS a dict of "
                "name: {field: value}.",
                id="resilience.E004",
            )
        ]
    errors: list[CheckMessage] = []
    candidates: dict[str, dict[str, Any]] = {"BREAKER_DEFAULTS": defaults}
    for name, values in per_name.items():
        if (
            not isinstance(name, str)
            or not NAME_PATTERN.match(name)
            or not isinstance(values, dict)
        ):
            errors.append(
                Error(
                    f"BREAKERS[{name!r}]: the name must match {NAME_PATTERN.pattern} and the "
                    "value be a dict.",
                    id="resilience.E006",
                )
            )
            continue
        candidates[f"BREAKERS[{name!r}]"] = {**defaults, **values}
    for label, values in candidates.items():
        try:
            policy_from_mapping("settings", values).validate()
        except InvalidPolicy as exc:
            errors.extend(
                Error(f"{label}: {key} {message}.", id="resilience.E005")
                for key, message in exc.errors.items()
            )
        except TypeError as exc:
            errors.append(Error(f"{label}: {exc}.", id="resilience.E005"))
    return errors
