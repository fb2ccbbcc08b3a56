from django.apps import AppConfig
from django.core import checks


class ResilienceConfig(AppConfig):
    name = "resilience"
    verbose_name = "Resilience"

    def ready(self) -> None:
        from resilience.breakers import registry
        from resilience.breakers.checks import check_breaker_configs, check_breaker_settings
        from resilience.breakers.selectors import DatabasePolicies
        from resilience.breakers.services import breaker_config_ensure, breaker_transition_notify
        from resilience.dlq.checks import check_dead_letter_settings
        from resilience.dlq.signals import connect_signals
        from resilience.question_cache.checks import check_question_cache_settings
        from resilience.retry.checks import check_retry_settings

        checks.register(check_breaker_settings)
        checks.register(check_breaker_configs, checks.Tags.database)
        checks.register(check_retry_settings)
        checks.register(check_dead_letter_settings)
        checks.register(check_question_cache_settings)
        # Every process connects them; only Celery workers (and eager runs) ever send them.
        connect_signals()
        # The breakers read their policies from the rows (created on first use) and report
        # transitions to the services: wired here, so the breaker code imports neither.
        registry.configure(
            listener=breaker_transition_notify,
            policies=lambda: DatabasePolicies(ensure=lambda name: breaker_config_ensure(name=name)),
        )
