from django.apps import AppConfig
from django.core import checks


class ResilienceConfig(AppConfig):
    name = "resilience"
    verbose_name = "Resilience"

    def ready(self) -> None:
        from resilience.checks import check_breaker_configs, check_breaker_settings

        checks.register(check_breaker_settings)
        checks.register(check_breaker_configs, checks.Tags.database)
