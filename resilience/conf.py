"""The resilience settings as one typed value, read once per process (docs/settings.md).
Field names are the settings' names in lower case; their defaults apply when a setting is
absent and are the only ones in the code (interviewsite/appconf.py)."""

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from interviewsite.appconf import register_type_check, reset_on_change, settings_from


@dataclass(frozen=True, slots=True)
class ResilienceSettings:
    # Dotted path of the breaker state store (settings.py picks Redis when REDIS_URL is set).
    breaker_store: str = "resilience.breakers.stores.database.DatabaseStore"
    breaker_redis_url: str = field(default="", repr=False)  # REDIS_URL's fourth database
    breaker_defaults: dict[str, Any] = field(default_factory=dict)  # every new breaker's policy
    breakers: dict[str, dict[str, Any]] = field(default_factory=dict)  # per name, over defaults
    max_retry_attempts: int = 3  # HTTP tries per provider and step, the first included
    retry_base_delay: float = 1.0  # seconds before the first retry (exponential, jittered)
    retry_max_delay: float = 10.0  # cap of one wait, and of the waits a call may plan
    question_cache_backend: str = "resilience.question_cache.backends.database.DatabaseBackend"
    question_cache_ttl_days: int = 7
    question_cache_max_per_key: int = 10
    question_cache_prewarm: list[str] = field(default_factory=list)  # topic:difficulty:language
    question_cache_source: str = ""  # dotted path of the pre-warm QuestionSource; "" = none
    dlq_retention_days: int = 30
    dlq_max_rows: int = 10_000
    critical_tasks: list[str] = field(default_factory=list)  # terminal failure alerts
    alert_webhook_url: str = field(default="", repr=False)  # may carry a token


@cache
def resilience_settings() -> ResilienceSettings:
    return settings_from(ResilienceSettings)


reset_resilience_settings = reset_on_change(resilience_settings, "resilience.conf")
register_type_check(resilience_settings, "resilience.E050")
