from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring import hooks, redis_check  # noqa: F401  (registers its system check)

        # Celery signals: request ids travel with tasks, and a worker process that exits
        # removes its live Prometheus gauges. Connected here because every process (web,
        # worker, beat) loads the app registry before it publishes or runs a task.
        hooks.connect()
